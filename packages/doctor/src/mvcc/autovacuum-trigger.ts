import type { SettingRow, TableRow } from '../collect/rows.js';
import { settingNumber, settingText } from '../collect/rows.js';

/** A reloption's value, e.g. reloption(["autovacuum_enabled=false"], "autovacuum_enabled") → "false". */
export function reloption(options: string[] | null | undefined, name: string): string | undefined {
  const entry = options?.find((o) => o.startsWith(`${name}=`));
  return entry?.slice(name.length + 1);
}

/** Whether autovacuum may process the table: globally on, track_counts on, and not disabled by reloption. */
export function autovacuumEnabledFor(table: TableRow): boolean {
  return reloption(table.reloptions, 'autovacuum_enabled') !== 'false' && reloption(table.reloptions, 'autovacuum_enabled') !== 'off';
}

export function autovacuumGloballyOn(settings: SettingRow[] | undefined): boolean {
  return settingText(settings, 'autovacuum') !== 'off' && settingText(settings, 'track_counts') !== 'off';
}

/** Dead tuples at which autovacuum VACUUMs the table: threshold + scale_factor × reltuples (reloptions first). */
export function vacuumTrigger(table: TableRow, settings: SettingRow[] | undefined): number {
  const threshold = Number(reloption(table.reloptions, 'autovacuum_vacuum_threshold') ?? settingNumber(settings, 'autovacuum_vacuum_threshold', 50));
  const scale = Number(reloption(table.reloptions, 'autovacuum_vacuum_scale_factor') ?? settingNumber(settings, 'autovacuum_vacuum_scale_factor', 0.2));
  let trigger = threshold + scale * Math.max(table.reltuples, 0);
  // 18 caps the scale-factor part (autovacuum_vacuum_max_threshold, default 100M).
  const max = Number(reloption(table.reloptions, 'autovacuum_vacuum_max_threshold') ?? settingNumber(settings, 'autovacuum_vacuum_max_threshold', -1));
  if (max > 0) trigger = Math.min(trigger, max);
  return trigger;
}
