import type { DatasetName } from '../collect/snapshot.js';
import type { CheckDefinition } from '../engine/define-check.js';
import { SEVERITY_ORDER, type Severity } from '../engine/finding.js';
import { DEFAULT_THRESHOLDS, THRESHOLD_DOCS } from '../engine/thresholds.js';

/** What each dataset is read from, so a user knows which privileges and views a check depends on. */
const DATASET_SOURCES: Record<DatasetName, string> = {
  settings: 'pg_settings (the server\'s values, not the session\'s)',
  databases: 'pg_database and pg_stat_database',
  activity: 'pg_stat_activity and pg_blocking_pids() (all sessions need pg_read_all_stats)',
  prepared: 'pg_prepared_xacts and pg_locks',
  slots: 'pg_replication_slots',
  standbys: 'pg_stat_replication',
  vacuumProgress: 'pg_stat_progress_vacuum joined to pg_stat_activity',
  multixactMembers: 'pg_control_checkpoint() and the pg_multixact offsets (superuser only)',
  xidClocks: 'pg_control_checkpoint() and the last vacuum of each relation (pg_class, table statistics)',
  clogSegments: 'pg_ls_dir(), pg_stat_file() and pg_read_binary_file() on pg_xact and pg_multixact, pg_control_checkpoint() and pg_database (superuser only)',
  transactions: 'pg_stat_database: commits, rollbacks, conflicts and (14+) how sessions ended',
  tables: 'pg_class and the table statistics, in every database',
  locks: 'pg_locks, in every database',
  serverLog: 'the last 16 MB of the server log (pg_current_logfile() and pg_read_binary_file(): superuser, or pg_read_server_files with EXECUTE on pg_read_binary_file; logging_collector on)',
  statements: 'pg_stat_statements, from each database where the extension is created (the statistics are cluster-wide); other roles\' query texts need pg_read_all_stats',
  bloat: 'pg_class, pg_index, pg_stats and the table statistics, in every database (widths only for tables the role may read); pgstattuple when installed',
};

/**
 * docs/checks/<id>.md, generated from the check's meta so the page cannot drift from the code
 * (`npx vite-node packages/doctor/scripts/docs-checks.ts` writes them; a test fails when one is stale).
 */
export function renderCheckDoc(check: CheckDefinition): string {
  const { meta } = check;
  const lines = [
    '<!-- Generated from packages/doctor/src/checks/' + check.id + '.ts by packages/doctor/scripts/docs-checks.ts: edit the meta, not this file. -->',
    '',
    `# \`${check.id}\`: ${meta.title}`,
    '',
    `Area: ${meta.area}. Source: [packages/doctor/src/checks/${check.id}.ts](../../packages/doctor/src/checks/${check.id}.ts); `
      + `tests: [packages/doctor/test/check/${check.id}.test.ts](../../packages/doctor/test/check/${check.id}.test.ts).`,
    '',
    meta.description,
    '',
    '## Why it matters',
    '',
    meta.why,
    '',
    '## Severities',
    '',
    '| severity | when |',
    '| --- | --- |',
    ...(Object.entries(meta.severities) as [Severity, string][])
      .sort(([a], [b]) => SEVERITY_ORDER[a] - SEVERITY_ORDER[b])
      .map(([severity, when]) => `| ${severity} | ${when} |`),
    '',
    '## What it reads',
    '',
    ...check.uses.map((name) => `- \`${name}\`: ${DATASET_SOURCES[name]}`),
    '',
    'If one of these could not be read (for want of a privilege), the check is reported as skipped, with the reason.',
  ];
  if (meta.settings?.length) {
    lines.push('', '## Settings it takes into account', '', meta.settings.map((s) => `\`${s}\``).join(', ') + '.');
  }
  if (meta.thresholds?.length) {
    lines.push(
      '',
      '## Thresholds',
      '',
      'Change one with `mvcc-doctor check --threshold NAME=VALUE`.',
      '',
      '| name | default | meaning |',
      '| --- | --- | --- |',
      ...meta.thresholds.map((name) => `| \`${name}\` | ${DEFAULT_THRESHOLDS[name].toLocaleString('en-US')} | ${THRESHOLD_DOCS[name]} |`),
    );
  }
  lines.push('', '## What to do', '', meta.remediation, '', 'Each finding carries the exact SQL for its subject, safest step first.', '');
  return lines.join('\n');
}
