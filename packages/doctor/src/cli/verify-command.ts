import { parseArgs } from 'node:util';
import { DoctorError } from '../connect/doctor-error.js';
import { parseDuration } from '../engine/parse-duration.js';
import { loadInvariants } from '../verify/invariant-files.js';
import { renderVerifyMarkdown } from '../verify/render-markdown.js';
import { renderVerifyText } from '../verify/render-text.js';
import { verify } from '../verify/verify.js';
import { CONNECTION_FLAGS, connFromFlags } from './connection-flags.js';
import type { CommandIO } from './io.js';

export const VERIFY_HELP = `Usage: mvcc-doctor verify [conninfo | postgresql://URL] [options]

After an incident (corruption, a lost commit log, a restore), prove one database whole: orphan rows under every
foreign key, duplicates under unique indexes (read from the heap, not the index), sequences behind their column,
foreign keys that are NOT VALID or whose RI triggers are off, disabled triggers, your own invariants, and amcheck
on B-tree indexes and tables where the extension is installed. Read-only; every statement bounded.

Options:
  -h, --host HOST             server host
  -p, --port PORT             server port
  -U, --user USER             role to connect as (needs SELECT on the tables; EXECUTE on amcheck for amcheck)
  -d, --dbname DB             the database to verify
      --schema S              only this schema's tables (all but the system schemas by default)
      --invariants DIR        each .sql file in DIR is one query returning the rows that break a rule
      --heapallindexed        amcheck also proves every row has its index entries (reads every table once more)
      --rows N                rows shown per finding (default 10)
      --json                  machine-readable output (schema: docs/verify.md)
      --markdown              Markdown output
      --statement-timeout D   per-statement limit (default 30s); a probe it ends is reported as not finished
      --lock-timeout D        never wait longer for a lock (default 1s)
      --no-color              plain output (also NO_COLOR)
Exit codes: 0 nothing wrong, 1 warning (NOT VALID key, sequence behind, disabled triggers), 2 critical (orphans,
duplicates, corruption, an invariant violated), 3 could not diagnose (or nothing found but something not finished).`;

export async function verifyCommand(argv: string[], io: CommandIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      ...CONNECTION_FLAGS,
      schema: { type: 'string' },
      invariants: { type: 'string' },
      heapallindexed: { type: 'boolean', default: false },
      rows: { type: 'string', default: '10' },
      json: { type: 'boolean', default: false },
      markdown: { type: 'boolean', default: false },
      'statement-timeout': { type: 'string', default: '30s' },
      'lock-timeout': { type: 'string', default: '1s' },
      'no-color': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    io.out(`${VERIFY_HELP}\n`);
    return 0;
  }
  if (positionals.length > 1) throw new DoctorError('usage', `verify takes one connection argument, got ${positionals.length}`);
  if (values.json && values.markdown) throw new DoctorError('usage', 'choose one of --json and --markdown');
  const rows = Number(values.rows);
  if (!Number.isInteger(rows) || rows < 1 || rows > 10_000) throw new DoctorError('usage', `--rows takes a whole number from 1 to 10000, not "${values.rows}"`);
  const limits = {
    statementTimeoutMs: parseDuration(values['statement-timeout'], '--statement-timeout', { min: 1 }),
    lockTimeoutMs: parseDuration(values['lock-timeout'], '--lock-timeout', { min: 1 }),
  };
  // Invariants are read before connecting: a wrong directory costs no connection.
  const invariants = values.invariants === undefined ? [] : loadInvariants(values.invariants);
  const conn = connFromFlags(values, positionals[0], io.env);
  const report = await verify(conn, { schema: values.schema, invariants, limits, rows, heapallindexed: values.heapallindexed });
  if (values.json) io.out(`${JSON.stringify(report, null, 2)}\n`);
  else if (values.markdown) io.out(renderVerifyMarkdown(report));
  else io.out(renderVerifyText(report, { color: io.color && !values['no-color'], evidenceRows: rows }));
  return report.exit_code;
}
