/** Every series `serve` records. XID and MultiXact counts end in `_xids`, never `_seconds`. */
export interface MetricDef {
  name: string;
  type: 'gauge' | 'counter';
  help: string;
  /** Label names besides `cluster`. */
  labels: readonly string[];
}

const gauge = (name: string, labels: readonly string[], help: string): MetricDef => ({ name, type: 'gauge', labels, help });
const counter = (name: string, labels: readonly string[], help: string): MetricDef => ({ name, type: 'counter', labels, help });

export const METRICS: readonly MetricDef[] = Object.freeze([
  gauge('mvcc_up', [], '1 when the last observation of the cluster succeeded, 0 when it was unreachable or failed.'),
  gauge('mvcc_observation_duration_seconds', [], 'How long the last observation of the cluster took.'),
  counter('mvcc_xids_assigned_total', [], 'The next transaction ID (with its epoch): its rise is the XID consumption rate. Read without assigning one.'),
  gauge('mvcc_database_xid_age_xids', ['database'], 'age(datfrozenxid): XIDs since the database was last completely frozen.'),
  gauge('mvcc_database_mxid_age_xids', ['database'], 'mxid_age(datminmxid): MultiXact IDs since the database was last completely frozen.'),
  gauge('mvcc_xid_limit_xids', ['limit'], 'XID ages at which PostgreSQL acts: autovacuum_freeze_max_age, failsafe, warning, stop.'),
  gauge('mvcc_database_xid_eta_seconds', ['database', 'limit'], 'Forecast seconds until the database XID age reaches each limit, at the fitted consumption rate.'),
  gauge('mvcc_xmin_horizon_age_xids', ['database', 'holder_kind', 'holder'], 'XIDs each horizon holder keeps VACUUM behind; database is empty for a holder of the whole cluster.'),
  gauge('mvcc_xmin_horizon_age_seconds', ['database', 'holder_kind', 'holder'], 'Seconds each horizon holder has held, where known.'),
  gauge('mvcc_idle_in_transaction_sessions', ['database'], 'Sessions idle in transaction.'),
  gauge('mvcc_idle_in_transaction_oldest_seconds', ['database'], 'The longest time a session has been idle in transaction.'),
  gauge('mvcc_long_transactions', ['database'], 'Transactions open longer than the long-transaction threshold.'),
  gauge('mvcc_transaction_oldest_seconds', ['database'], 'The age of the oldest open transaction.'),
  gauge('mvcc_prepared_transactions', ['database'], 'Prepared (two-phase) transactions.'),
  gauge('mvcc_prepared_transaction_oldest_seconds', ['database'], 'The age of the oldest prepared transaction.'),
  gauge('mvcc_replication_slot_xmin_age_xids', ['slot', 'slot_type'], 'The age of a slot\'s xmin, or catalog_xmin for a logical slot.'),
  gauge('mvcc_replication_slot_retained_wal_bytes', ['slot', 'slot_type'], 'WAL a slot keeps from removal.'),
  gauge('mvcc_replication_slot_active', ['slot', 'slot_type'], '1 when a process uses the slot.'),
  gauge('mvcc_table_dead_tuples', ['database', 'table'], 'Dead tuples of the tables with the most of them (top 10 per database).'),
  gauge('mvcc_autovacuum_workers_busy', [], 'Autovacuum workers running now.'),
  gauge('mvcc_lock_waiters', ['database'], 'Sessions waiting for a lock.'),
  gauge('mvcc_lock_wait_oldest_seconds', ['database'], 'The longest current lock wait.'),
  counter('mvcc_deadlocks_total', ['database'], 'Deadlocks detected since the statistics were reset.'),
  counter('mvcc_checksum_failures_total', ['database'], 'Data page checksum failures since the statistics were reset.'),
  counter('mvcc_log_events_total', ['class'], 'Events of the cluster\'s server log by class (as `mvcc-doctor logs` classifies them) since the daemon started.'),
  gauge('mvcc_findings', ['severity'], 'Open findings of the cluster by severity.'),
  gauge('mvcc_app_heap_used_bytes', ['app'], 'V8 heap used by an application process (from its @mvcc-doctor/pg registry).'),
  gauge('mvcc_app_rss_bytes', ['app'], 'Resident memory of an application process.'),
  gauge('mvcc_app_event_loop_delay_seconds', ['app'], 'The 99th percentile event-loop delay of an application process.'),
  gauge('mvcc_app_pool_clients', ['app', 'state'], 'Pool clients of the application by state (total, idle, waiting callers).'),
  gauge('mvcc_app_open_transactions', ['app'], 'Transactions and checked-out clients the application holds open.'),
  gauge('mvcc_app_oldest_transaction_seconds', ['app'], 'The age of the oldest transaction the application holds open.'),
]);

export const METRIC_BY_NAME: ReadonlyMap<string, MetricDef> = new Map(METRICS.map((m) => [m.name, m]));
