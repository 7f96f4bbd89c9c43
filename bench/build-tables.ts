import type pg from 'pg';
import type { Cluster } from '@mvcc-doctor/lab';

/** How the bench database is filled. */
export interface TableSet {
  /** Grow the database to this many tables (tables already there are kept). */
  tables: number;
  /** Tables created per transaction: each takes a few locks, and the shared lock table is finite. */
  batch?: number;
  /** Sessions creating tables at once (one per core is the sweet spot). */
  sessions?: number;
}

/**
 * Grow `database` to `tables` tables t_1 … t_N, each with a primary key and a TOAST table (text column), so
 * pg_class holds four relations per table as in real schemas. Every 20th new table gets 100 rows of which 30
 * are deleted (dead tuples), every 100th also a TOASTed value. One DO block per batch: no round trip per table.
 */
export async function growTables(cluster: Cluster, database: string, options: TableSet): Promise<void> {
  const { rows } = await cluster.sql<{ n: number }>(`SELECT count(*)::int AS n FROM pg_class WHERE relname ~ '^t_[0-9]+$' AND relkind = 'r'`, [], database);
  const from = rows[0]!.n + 1;
  const batch = options.batch ?? 500;
  const ranges: Array<[number, number]> = [];
  for (let start = from; start <= options.tables; start += batch) ranges.push([start, Math.min(options.tables, start + batch - 1)]);
  const sessions = await Promise.all(Array.from({ length: options.sessions ?? 2 }, () => cluster.connect(database, 'bench-build')));
  const worker = async (client: pg.Client) => {
    for (let range = ranges.shift(); range; range = ranges.shift()) {
      await client.query(`DO $$ BEGIN
        FOR i IN ${range[0]}..${range[1]} LOOP
          EXECUTE format('CREATE TABLE %I (id int PRIMARY KEY, payload text, n int, at timestamptz DEFAULT now())', 't_' || i);
          IF i % 20 = 0 THEN
            EXECUTE format('INSERT INTO %I (id, payload, n) SELECT g, md5(g::text), g FROM generate_series(1, 100) g', 't_' || i);
            EXECUTE format('DELETE FROM %I WHERE id <= 30', 't_' || i);
          END IF;
          IF i % 100 = 0 THEN
            -- ~9.6 kB of hex: still over the TOAST threshold after compression.
            EXECUTE format('INSERT INTO %I (id, payload) SELECT 0, string_agg(md5(random()::text), '''') FROM generate_series(1, 300)', 't_' || i);
          END IF;
        END LOOP;
      END $$`);
    }
  };
  try {
    await Promise.all(sessions.map(worker));
  } finally {
    await Promise.all(sessions.map((client) => client.end()));
  }
  // Statistics for check_postgres's bloat query (it reads pg_stats), and counters flushed for everyone.
  await cluster.sql('ANALYZE', [], database);
  if (cluster.major >= 15) await cluster.sql('SELECT pg_stat_force_next_flush()', [], database);
}
