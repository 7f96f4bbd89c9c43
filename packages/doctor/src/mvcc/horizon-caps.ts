import type { TableRow } from '../collect/rows.js';
import type { HorizonHolder } from './horizon-holders.js';
import { bySafety } from './holder-release.js';

/**
 * What of one database a holder caps: VACUUM keeps the dead tuples it may still see, and cannot advance
 * relfrozenxid past its xmin, in
 * - "all": every relation (a physical slot or standby everywhere; a session or prepared transaction in its own database);
 * - "catalogs": the system catalogs only (a logical slot's catalog_xmin, in every database);
 * - "shared catalogs": only the catalogs the whole cluster shares (pg_database, pg_authid, …): a session or
 *   prepared transaction of another database, whose snapshot covers them.
 * So every holder caps every database's datfrozenxid: each database keeps its own relfrozenxid for the shared
 * catalogs (PostgreSQL's ComputeXidHorizons: data, catalog and shared horizons).
 */
export type CapScope = 'all' | 'catalogs' | 'shared catalogs';

export function capIn(holder: HorizonHolder, database: string): CapScope {
  if (holder.reach === 'cluster') return 'all';
  if (holder.reach === 'catalog') return 'catalogs';
  return holder.database === database ? 'all' : 'shared catalogs';
}

/** Whether a holder caps this relation of `database` (keeps its dead tuples, holds back its relfrozenxid). */
export function capsRelation(holder: HorizonHolder, database: string, table: Pick<TableRow, 'schema' | 'shared'>): boolean {
  switch (capIn(holder, database)) {
    case 'all':
      return true;
    case 'catalogs':
      return table.schema === 'pg_catalog';
    case 'shared catalogs':
      return table.shared === true;
  }
}

/** What a holder caps across the cluster, as checks' evidence and the freeze plan say it. */
export function capsText(holder: HorizonHolder): string {
  switch (holder.reach) {
    case 'cluster':
      return 'every database';
    case 'catalog':
      return 'the system catalogs of every database';
    case 'database':
      return `database "${holder.database}", and every other database through the shared catalogs`;
  }
}

/** What a holder caps of one database, for a finding about that database. */
export function scopeText(scope: CapScope): string {
  return scope === 'all' ? 'every relation' : scope === 'catalogs' ? 'the system catalogs only' : 'the shared catalogs only';
}

/** One holder as a database's finding names it. */
export interface Capper {
  holder: HorizonHolder;
  scope: CapScope;
}

/**
 * The holders that keep `database` at least `age` XIDs old whatever VACUUM does (each caps its datfrozenxid at
 * its own age), safest release first. With `age` = autovacuum_freeze_max_age: what keeps it past that limit.
 */
export function cappersOf(holders: readonly HorizonHolder[], database: string, age: number): Capper[] {
  return holders
    .filter((h) => h.xids > age)
    .sort(bySafety)
    .map((holder) => ({ holder, scope: capIn(holder, database) }));
}

/** The holder that caps `database` the furthest back: the oldest, since every holder caps every database. */
export function oldestCapper(holders: readonly HorizonHolder[], database: string): Capper | undefined {
  const oldest = [...holders].sort((a, b) => b.xids - a.xids)[0];
  return oldest && { holder: oldest, scope: capIn(oldest, database) };
}
