import type { Cluster } from '../cluster.js';
import { waitFor } from '../evidence.js';
import { once, uniqueName, type Fault } from './fault.js';

export interface AutovacuumDisabledOptions {
  database?: string;
  /** Rows inserted (and analyzed, so reltuples is set) before the deletes. Default 10000. */
  rows?: number;
  /** Fraction of the rows deleted afterwards: the dead tuples. Default 0.5, well past the default 20% + 50 trigger. */
  deadFraction?: number;
}

export interface AutovacuumDisabledFault extends Fault {
  database: string;
  /** Quoted, schema-qualified table created WITH (autovacuum_enabled = off). */
  table: string;
  /** pg_class.reltuples after the ANALYZE: the base of the autovacuum trigger. */
  reltuples: number;
  /** n_dead_tup as pg_stat_user_tables shows it once the deletes are counted. */
  deadTuples: number;
  /**
   * The dead-tuple count past which autovacuum would vacuum this table if it were enabled, computed as
   * relation_needs_vacanalyze() does: vacuum_threshold + vacuum_scale_factor * reltuples (reloptions first,
   * then the settings), capped by autovacuum_vacuum_max_threshold on 18+.
   */
  threshold: number;
}

/**
 * A table whose autovacuum was switched off with a reloption (often "temporarily", for a bulk load) and
 * that has since collected dead tuples far past its trigger: autovacuum never comes, bloat only grows.
 */
export async function autovacuumDisabled(cluster: Cluster, options: AutovacuumDisabledOptions = {}): Promise<AutovacuumDisabledFault> {
  const database = options.database ?? 'postgres';
  const rows = options.rows ?? 10_000;
  const deleted = Math.floor(rows * (options.deadFraction ?? 0.5));
  const table = `public."${uniqueName('lab_noautovac')}"`;
  const sql = <R extends Record<string, unknown>>(text: string, params: unknown[] = []) => cluster.sql<R>(text, params, database);
  const release = once(async () => {
    await sql(`DROP TABLE IF EXISTS ${table}`);
  });

  try {
    // Off from creation: with autovacuum running, not even the insert or the first analyze may be automatic.
    await sql(`CREATE TABLE ${table} (id int PRIMARY KEY, payload text) WITH (autovacuum_enabled = off)`);
    await sql(`INSERT INTO ${table} SELECT g, repeat('x', 100) FROM generate_series(1, $1::int) g`, [rows]);
    // reltuples is -1 until the first ANALYZE (14+), and autovacuum then reads it as 0.
    await sql(`ANALYZE ${table}`);
    await sql(`DELETE FROM ${table} WHERE id <= $1`, [deleted]);
    // PG 15+ keeps this session's counters until its next flush; ask for one so the dead tuples show now.
    if (cluster.major >= 15) await sql('SELECT pg_stat_force_next_flush()');
    const deadTuples = await waitFor(async () => {
      const { rows: stats } = await sql<{ dead: string }>('SELECT n_dead_tup::text AS dead FROM pg_stat_user_tables WHERE relid = $1::regclass', [table]);
      const dead = Number(stats[0]?.dead ?? 0);
      return dead >= deleted ? dead : 0;
    }, `n_dead_tup of ${table} to reach ${deleted}`);

    const { rows: rel } = await sql<{ reltuples: number; options: string[] | null }>(
      'SELECT reltuples::float8 AS reltuples, reloptions AS options FROM pg_class WHERE oid = $1::regclass',
      [table],
    );
    const reltuples = rel[0]!.reltuples;
    const threshold = await vacuumThreshold(cluster, database, Math.max(reltuples, 0), rel[0]!.options ?? []);
    return { database, table, reltuples, deadTuples, threshold, release };
  } catch (error) {
    await release();
    throw error;
  }
}

/** autovacuum's dead-tuple trigger for a table: per-table reloptions win over the server settings. */
async function vacuumThreshold(cluster: Cluster, database: string, reltuples: number, reloptions: string[]): Promise<number> {
  const names = ['autovacuum_vacuum_threshold', 'autovacuum_vacuum_scale_factor', ...(cluster.major >= 18 ? ['autovacuum_vacuum_max_threshold'] : [])];
  const { rows } = await cluster.sql<{ name: string; setting: string }>('SELECT name, setting FROM pg_settings WHERE name = ANY($1)', [names], database);
  const value = (name: string): number => {
    const own = reloptions.find((o) => o.startsWith(`${name}=`));
    return Number(own ? own.slice(name.length + 1) : rows.find((r) => r.name === name)?.setting);
  };
  const threshold = value('autovacuum_vacuum_threshold') + value('autovacuum_vacuum_scale_factor') * reltuples;
  // 18 caps the trigger for huge tables; -1 means no cap.
  const max = cluster.major >= 18 ? value('autovacuum_vacuum_max_threshold') : -1;
  return max >= 0 && threshold > max ? max : threshold;
}
