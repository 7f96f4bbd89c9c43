import { type Cluster, deadButNotRemovable, vacuumVerbose, autovacuumDisabled, deadlocks, type Fault, idleInTransaction, lockBlocking, preparedTransaction, replicationSlot } from '@mvcc-doctor/lab';

/**
 * The faults of the source documents, made for real on one cluster, each described in one line.
 * Order matters: creating a logical slot waits for open transactions, so the slot comes first and the
 * lock queue (which leaves sessions waiting) last.
 */
export async function reproduceIncidentFaults(cluster: Cluster, say: (line: string) => void): Promise<Fault[]> {
  const faults: Fault[] = [];
  const slot = await replicationSlot(cluster, { physical: false, deadRows: 10 });
  faults.push(slot);
  say(`an abandoned logical replication slot "${slot.logical?.name}" holding catalog_xmin ${slot.logical?.catalogXmin}`);

  const dl = await deadlocks(cluster);
  faults.push(dl);
  say(`a deadlock: pid ${dl.victim.pid} got SQLSTATE ${dl.error.code} "${dl.error.message}", pid ${dl.survivor.pid} went on`);

  const av = await autovacuumDisabled(cluster, { rows: 20_000, deadFraction: 0.5 });
  faults.push(av);
  say(`table ${av.table} with autovacuum disabled: ${av.deadTuples.toLocaleString('en-US')} dead tuples, trigger ${Math.round(av.threshold).toLocaleString('en-US')}`);

  const prepared = await preparedTransaction(cluster, { deadRows: 200 });
  faults.push(prepared);
  say(`an orphaned prepared ("in-doubt") transaction '${prepared.gid}' holding XID ${prepared.xid} and its locks; its session is gone`);

  const idle = await idleInTransaction(cluster, { deadRows: 2_000, applicationName: 'orders-api' });
  faults.push(idle);
  const kept = deadButNotRemovable(await vacuumVerbose(cluster, idle.table));
  say(`a leaked transaction: pid ${idle.pid} (orders-api) idle in transaction; VACUUM of ${idle.table} left ${kept.toLocaleString('en-US')} dead rows "not yet removable"`);

  const queue = await lockBlocking(cluster, { readers: 3, applicationName: 'report-job' });
  faults.push(queue);
  say(`a lock queue: ALTER TABLE (pid ${queue.alterPid}) waits behind idle pid ${queue.holderPid}; readers ${queue.readerPids.join(', ')} queue behind the ALTER`);
  return faults;
}
