import { parseArgs } from 'node:util';
import { checkClog } from '../clog/check-clog.js';
import { buildClogPlan } from '../clog/plan-clog.js';
import { renderClogCheck } from '../clog/render-check.js';
import { renderClogPlan } from '../clog/render-plan.js';
import { DoctorError } from '../connect/doctor-error.js';
import { parseDuration } from '../engine/parse-duration.js';
import { CONNECTION_FLAGS, connFromFlags } from './connection-flags.js';
import type { CommandIO } from './io.js';

export const CLOG_HELP = `Usage: mvcc-doctor clog check|plan [conninfo | postgresql://URL] [options]
       mvcc-doctor clog check|plan --pgdata DIR [options]

A missing commit log: "could not access status of transaction N".
"check" lists the pg_xact and pg_multixact segment files that are missing or short between the oldest ID in use
(datfrozenxid, datminmxid) and the next one, on a primary or a standby, and maps each failing transaction ID
(--xid, or found in the server log) to its file, byte offset and bits. "plan" prints the recovery, safest first:
copy the file from the primary, a standby or a backup (names, sizes, sha256sum to compare); per-row pg_surgery
(PostgreSQL 14+) with the SQL that finds the rows; last, on a stopped copy of the data directory, a fake
segment (zeros or 0x55) and the dump and restore that must follow. Both only read: SQL on one read-only session
bounded by statement_timeout (listing files needs superuser or EXECUTE on pg_ls_dir, pg_stat_file and
pg_read_binary_file), or file reads of a data directory (running or stopped).

Options:
  -h, --host HOST             server host
  -p, --port PORT             server port
  -U, --user USER             role (a superuser sees the files; another role gets "skipped: needs …")
  -d, --dbname DB             database to connect to
      --pgdata DIR            read this data directory instead of connecting
      --xid N                 a failing transaction ID (32-bit, 64-bit or epoch:xid; repeatable)
      --log FILE              the server log to search for failing IDs (default: the server's current log)
      --json                  machine-readable output
      --statement-timeout D   per-query limit (default 30s)
Exit codes: 0 every needed segment is there, 2 one is missing or short, 3 could not diagnose.`;

export async function clogCommand(argv: string[], io: CommandIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      ...CONNECTION_FLAGS,
      pgdata: { type: 'string' },
      xid: { type: 'string', multiple: true, default: [] },
      log: { type: 'string' },
      json: { type: 'boolean', default: false },
      'statement-timeout': { type: 'string', default: '30s' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    io.out(`${CLOG_HELP}\n`);
    return 0;
  }
  const [sub, ...rest] = positionals;
  if (sub !== 'check' && sub !== 'plan') throw new DoctorError('usage', `clog takes "check" or "plan"${sub ? `, not "${sub}"` : ''} (see mvcc-doctor clog --help)`);
  if (rest.length > 1) throw new DoctorError('usage', `clog ${sub} takes one connection argument, got ${rest.length}`);
  const hasConn = rest.length > 0 || [values.host, values.port, values.user, values.dbname].some((v) => v !== undefined);
  if (values.pgdata !== undefined && hasConn) throw new DoctorError('usage', '--pgdata reads the data directory instead of connecting: give one or the other');
  const limits = { statementTimeoutMs: parseDuration(values['statement-timeout'], '--statement-timeout', { min: 1 }), lockTimeoutMs: 1000 };
  const options = {
    xids: values.xid,
    ...(values.log !== undefined ? { logFile: values.log } : {}),
    ...(values.pgdata !== undefined ? { pgdata: values.pgdata } : { conn: connFromFlags(values, rest[0], io.env), limits }),
  };
  const check = await checkClog(options);
  if (sub === 'check') {
    io.out(values.json ? `${JSON.stringify(check, null, 2)}\n` : renderClogCheck(check));
    return check.exit_code;
  }
  const plan = buildClogPlan(check);
  io.out(values.json ? `${JSON.stringify(plan, null, 2)}\n` : renderClogPlan(plan));
  return plan.exit_code;
}
