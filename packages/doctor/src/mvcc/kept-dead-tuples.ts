import type { TableRow } from '../collect/rows.js';
import type { Snapshot } from '../collect/snapshot.js';
import { capsRelation } from './horizon-caps.js';
import type { HorizonHolder } from './horizon-holders.js';

export interface KeptTable {
  database: string;
  table: TableRow;
}

/**
 * Tables whose dead tuples a holder keeps from removal. After a VACUUM, n_dead_tup is what it could *not*
 * remove; so a table vacuumed after the holder started that still has dead tuples is held by it.
 */
export function tablesKeptBy(holder: HorizonHolder, snapshot: Snapshot): KeptTable[] {
  if (holder.seconds === undefined) return [];
  const startedAt = snapshot.server.at - holder.seconds;
  const kept: KeptTable[] = [];
  for (const [database, tables] of Object.entries(snapshot.tables)) {
    for (const table of tables) {
      if (!capsRelation(holder, database, table)) continue;
      const vacuumed = Math.max(table.last_vacuum?.getTime() ?? 0, table.last_autovacuum?.getTime() ?? 0) / 1000;
      if ((table.dead_tuples ?? 0) > 0 && vacuumed >= startedAt) kept.push({ database, table });
    }
  }
  return kept.sort((a, b) => (b.table.dead_tuples ?? 0) - (a.table.dead_tuples ?? 0));
}

export function keptEvidence(kept: KeptTable[]): Record<string, unknown>[] {
  return kept.slice(0, 10).map(({ database, table }) => ({
    database,
    table: `${table.schema}.${table.name}`,
    dead_tuples_not_removable: table.dead_tuples,
    last_vacuum: (table.last_vacuum ?? table.last_autovacuum)?.toISOString(),
  }));
}
