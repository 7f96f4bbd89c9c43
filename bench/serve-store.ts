import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** What the embedded store holds after a run. */
export interface StoreSize {
  /** history.sqlite + -wal + -shm on disk. */
  fileBytes: number;
  /** Pages in use (the file less its free list), what a long run grows by. */
  usedBytes: number;
  /** Pages of the points tables alone (dbstat), what grows with every observation. */
  pointBytes: number;
  points: number;
  series: number;
  /** Distinct (cluster, time) pairs: one per observation stored. */
  observations: number;
}

const FILES = ['history.sqlite', 'history.sqlite-wal', 'history.sqlite-shm'];

export function storeFileBytes(dir: string): number {
  return FILES.map((f) => join(dir, f)).reduce((sum, path) => sum + (existsSync(path) ? statSync(path).size : 0), 0);
}

/** Read the store the daemon left (it must have stopped: the store is opened read-only, but its WAL is read too). */
export async function inspectStore(dir: string): Promise<StoreSize> {
  // Not a static import: the bench must be able to say "use Node 22.13+" instead of failing to load.
  const { DatabaseSync } = await import('node:sqlite');
  const db = new DatabaseSync(join(dir, 'history.sqlite'), { readOnly: true });
  try {
    const one = (sql: string) => Number(Object.values(db.prepare(sql).get() ?? { n: 0 })[0]);
    const pageSize = one('PRAGMA page_size');
    return {
      fileBytes: storeFileBytes(dir),
      usedBytes: (one('PRAGMA page_count') - one('PRAGMA freelist_count')) * pageSize,
      pointBytes: one(`SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name IN ('points', 'points_recent')`),
      points: one('SELECT (SELECT count(*) FROM points) + (SELECT count(*) FROM points_recent)'),
      series: one('SELECT count(*) FROM series'),
      observations: one(`SELECT count(*) FROM (
        SELECT DISTINCT s.cluster, p.t FROM (SELECT series_id, t FROM points UNION ALL SELECT series_id, t FROM points_recent) p
        JOIN series s ON s.id = p.series_id)`),
    };
  } finally {
    db.close();
  }
}
