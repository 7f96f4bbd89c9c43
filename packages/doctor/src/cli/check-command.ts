import { parseArgs } from 'node:util';
import { parseThresholds } from '../engine/thresholds.js';
import { DoctorError } from '../connect/doctor-error.js';
import { examine } from '../diagnose.js';
import { DEFAULT_THRESHOLDS } from '../engine/thresholds.js';
import { renderNagios } from '../report/nagios.js';
import { nagiosPerfdata } from '../report/nagios-perfdata.js';
import { renderMarkdown } from '../report/markdown.js';
import { renderTerminal } from '../report/terminal.js';
import { parseDuration } from '../engine/parse-duration.js';
import { parseSince } from '../engine/parse-since.js';
import { CONNECTION_FLAGS, connFromFlags } from './connection-flags.js';
import type { CommandIO } from './io.js';

export const CHECK_HELP = `Usage: mvcc-doctor check [conninfo | postgresql://URL] [options]

Diagnose every MVCC fault of a PostgreSQL 12–18 cluster: wraparound, horizon holders, bloat, locks.
Connection: -h/-p/-U/-d beat the argument (a postgresql:// URL, key=value conninfo or a database name), which beats
DATABASE_URL, which beats PGHOST/PGPORT/PGUSER/PGPASSWORD/PGDATABASE; a missing password is looked up in PGPASSFILE or ~/.pgpass.

Options:
  -h, --host HOST             server host
  -p, --port PORT             server port
  -U, --user USER             role to connect as (pg_monitor is enough)
  -d, --dbname DB             examine only this database (default: every database that accepts connections)
      --sample DURATION       measure the XID rate over this long for time-to-wraparound (default 1s; 0 = off)
      --json                  machine-readable output (schema: docs/check-json.md)
      --markdown              Markdown output
      --nagios                one Nagios/Icinga plugin line with perfdata (docs/nagios.md)
      --statement-timeout D   per-query limit (default 30s)
      --lock-timeout D        never wait longer for a lock (default 1s)
      --threshold NAME=VALUE  override a threshold, e.g. idleInTransactionSeconds=0 (repeatable)
      --since TIME|AGO        deadlock details from the server log since then: ISO 8601 or 90m, 6h, 7d (default 24h)
      --app URL               an @mvcc-doctor/pg registry endpoint: findings show the opening stack (repeatable)
      --no-color              plain output (also NO_COLOR)
  -v, --verbose               every evidence row, and info findings in full
Exit codes: 0 ok, 1 warning, 2 critical, 3 could not diagnose.`;

export async function checkCommand(argv: string[], io: CommandIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      ...CONNECTION_FLAGS,
      sample: { type: 'string', default: '1s' },
      json: { type: 'boolean', default: false },
      markdown: { type: 'boolean', default: false },
      nagios: { type: 'boolean', default: false },
      'statement-timeout': { type: 'string', default: '30s' },
      'lock-timeout': { type: 'string', default: '1s' },
      threshold: { type: 'string', multiple: true, default: [] },
      app: { type: 'string', multiple: true, default: [] },
      since: { type: 'string' },
      'no-color': { type: 'boolean', default: false },
      verbose: { type: 'boolean', short: 'v', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    io.out(`${CHECK_HELP}\n`);
    return 0;
  }
  if (positionals.length > 1) throw new DoctorError('usage', `check takes one connection argument, got ${positionals.length}`);
  if ([values.json, values.markdown, values.nagios].filter(Boolean).length > 1) throw new DoctorError('usage', 'choose one of --json, --markdown and --nagios');
  // Every flag is checked before the first connection, so a typo never costs a connect timeout.
  const sampleMs = parseDuration(values.sample, '--sample');
  const limits = {
    statementTimeoutMs: parseDuration(values['statement-timeout'], '--statement-timeout', { min: 1 }),
    // 0 would mean "wait for locks forever", the one thing a diagnosis during an incident must never do.
    lockTimeoutMs: parseDuration(values['lock-timeout'], '--lock-timeout', { min: 1 }),
  };
  const thresholds = parseThresholds(values.threshold);
  const since = values.since === undefined ? undefined : parseSince(values.since, '--since');
  const conn = connFromFlags(values, positionals[0], io.env);
  const { report, snapshot } = await examine(conn, { dbname: values.dbname, sampleMs, limits, thresholds, apps: values.app, since });
  if (values.nagios) io.out(renderNagios(report, nagiosPerfdata(snapshot, { ...DEFAULT_THRESHOLDS, ...thresholds })));
  else if (values.json) io.out(`${JSON.stringify(report, null, 2)}\n`);
  else if (values.markdown) io.out(renderMarkdown(report));
  else io.out(renderTerminal(report, { color: io.color && !values['no-color'], evidenceRows: values.verbose ? 1000 : 6, verbose: values.verbose }));
  return report.exit_code;
}
