import { parseArgs } from 'node:util';
import { DoctorError } from '../connect/doctor-error.js';
import { planSalvage, type SalvageOptions } from '../corruption/salvage-plan.js';
import { assertRunnable, runSalvage } from '../corruption/salvage-run.js';
import { renderSalvagePlan, renderSalvageResult } from '../corruption/salvage-text.js';
import { scanCorruption } from '../corruption/scan.js';
import { renderScan } from '../corruption/scan-text.js';
import type { TidMethod } from '../corruption/tid.js';
import { parseDuration } from '../engine/parse-duration.js';
import { confirmWith, type Confirm } from './confirm.js';
import { CONNECTION_FLAGS, connFromFlags } from './connection-flags.js';
import type { CommandIO } from './io.js';

export const CORRUPTION_HELP = `Usage: mvcc-doctor corruption scan [conninfo | postgresql://URL] [--table T] [options]
       mvcc-doctor corruption salvage plan|run [conninfo | URL] --table T (--into NEW | --to FILE) [options]

scan: find every block and tuple that cannot be read. Each table is read by ctid ranges (a TID Range Scan on
PostgreSQL 14+, a TID list before), one statement per probe; a range that fails is split around the block its error
names (else in halves) down to single blocks, and a block whose page reads is split down to its tuples. Then amcheck
where it is installed and allowed (verify_heapam on the blocks that read, in chunks; bt_index_check), and every
B-tree index read end to end when amcheck is not. Only SELECT is needed, no transaction ID is used: it works on a
hot standby and in the stop zone. Databases with checksum failures first, the oldest tables first.

salvage: copy every row that reads out of a damaged table, by the ctid ranges the scan finds: into a new table
(CREATE TABLE NEW (LIKE T INCLUDING ALL), INSERT … SELECT per range, one transaction), or with --to FILE into a
COPY text file (COPY (SELECT …) TO STDOUT: no transaction ID, so it works in the stop zone). T is only ever read.
"plan" (a dry run) shows what is lost, what runs, and the swap to run afterwards so VACUUM FREEZE can finish;
"run" asks first (--yes when not on a terminal).

Options:
  -h, --host HOST             server host
  -p, --port PORT             server port
  -U, --user USER             role (SELECT on the tables is enough to scan; salvage --into needs CREATE)
  -d, --dbname DB             scan only this database (default: every database that accepts connections)
      --table T               only this table (schema.table); salvage: the damaged table
      --into NEW              salvage: the new table (in T's schema unless qualified); must not exist
      --to FILE               salvage: the COPY file to write instead; must not exist
  -y, --yes                   salvage run: do not ask
      --statement-timeout D   limit of each probe; a range too long to read in time is split (default 30s)
      --lock-timeout D        never wait longer for a lock (default 1s)
      --no-amcheck            do not use amcheck even where it is allowed
      --pages-only            read the pages and count the rows, without decoding every column: about the cost of
                              SELECT count(*), enough for bad blocks, blind to a value that cannot be decoded
      --method M              tid-range (PostgreSQL 14+, the default there) or tid-list
      --json                  machine-readable output (docs/corruption.md)
      --no-color              plain output (also NO_COLOR)
Exit codes: scan: 0 nothing corrupt, 1 something could not be verified, 2 corruption found; salvage plan: 0 the
table reads whole, 2 rows are lost; salvage run: 0 copied, 2 not confirmed; 3 could not run.`;

export interface CorruptionCommandDeps {
  /** Ask a person to confirm `salvage run`; the default reads a line from the terminal. */
  confirm?: Confirm;
}

export async function corruptionCommand(argv: string[], io: CommandIO, deps: CorruptionCommandDeps = {}): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      ...CONNECTION_FLAGS,
      table: { type: 'string' },
      into: { type: 'string' },
      to: { type: 'string' },
      yes: { type: 'boolean', short: 'y', default: false },
      'statement-timeout': { type: 'string', default: '30s' },
      'lock-timeout': { type: 'string', default: '1s' },
      'no-amcheck': { type: 'boolean', default: false },
      'pages-only': { type: 'boolean', default: false },
      method: { type: 'string' },
      json: { type: 'boolean', default: false },
      'no-color': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    io.out(`${CORRUPTION_HELP}\n`);
    return 0;
  }
  if (positionals.length === 0) throw new DoctorError('usage', 'corruption takes "scan" or "salvage" (see mvcc-doctor corruption --help)');
  const action = positionals.shift()!;
  // Every flag is checked before the first connection, so a typo never costs a connect timeout.
  const limits = {
    statementTimeoutMs: parseDuration(values['statement-timeout'], '--statement-timeout', { min: 1 }),
    lockTimeoutMs: parseDuration(values['lock-timeout'], '--lock-timeout', { min: 1 }),
  };
  if (values.method !== undefined && values.method !== 'tid-range' && values.method !== 'tid-list') throw new DoctorError('usage', `--method takes tid-range or tid-list, not "${values.method}"`);
  const method = values.method as TidMethod | undefined;
  const color = io.color && !values['no-color'];

  if (action === 'scan') {
    if (values.into !== undefined || values.to !== undefined || values.yes) throw new DoctorError('usage', '--into, --to and --yes go with "corruption salvage"');
    if (positionals.length > 1) throw new DoctorError('usage', `corruption scan takes one connection argument, got ${positionals.length}`);
    const conn = connFromFlags(values, positionals[0], io.env);
    const progress = io.interactive && !values.json;
    const scan = await scanCorruption(conn, {
      dbname: values.dbname,
      table: values.table,
      limits,
      method,
      amcheck: !values['no-amcheck'],
      pagesOnly: values['pages-only'],
      onRelation: progress ? (r) => io.err(`  ${r.status.padEnd(10)} ${r.relation} in "${r.database}" (${r.probes} probe(s))\n`) : undefined,
    });
    io.out(values.json ? `${JSON.stringify(scan, null, 2)}\n` : renderScan(scan, { color }));
    return scan.exit_code;
  }

  if (action !== 'salvage') throw new DoctorError('usage', `corruption takes "scan" or "salvage", not "${action}" (see mvcc-doctor corruption --help)`);
  const mode = positionals.shift();
  if (mode !== 'plan' && mode !== 'run') throw new DoctorError('usage', `corruption salvage takes "plan" or "run"${mode ? `, not "${mode}"` : ''}`);
  if (positionals.length > 1) throw new DoctorError('usage', `corruption salvage takes one connection argument, got ${positionals.length}`);
  if (values.table === undefined) throw new DoctorError('usage', 'corruption salvage needs --table T (the damaged table)');
  if (values.into === undefined && values.to === undefined) throw new DoctorError('usage', 'corruption salvage needs --into NEW (a new table) or --to FILE (a COPY file)');
  if (values.into !== undefined && values.to !== undefined) throw new DoctorError('usage', 'choose one of --into and --to');
  if (values['no-amcheck'] || values['pages-only']) throw new DoctorError('usage', '--no-amcheck and --pages-only go with "corruption scan"');
  if (mode === 'plan' && values.yes) throw new DoctorError('usage', '--yes goes with "corruption salvage run"');
  const conn = connFromFlags(values, positionals[0], io.env);
  const options: SalvageOptions = { dbname: values.dbname, table: values.table, into: values.into, toFile: values.to, limits, method };
  const plan = await planSalvage(conn, options);
  const lost = plan.blocks_lost > 0 || plan.tuples_lost > 0;
  if (mode === 'plan') {
    io.out(values.json ? `${JSON.stringify(plan, null, 2)}\n` : renderSalvagePlan(plan));
    return lost ? 2 : 0;
  }
  assertRunnable(plan);
  if (!values.json) io.out(renderSalvagePlan(plan, { sql: false }));
  const question = `Copy ${plan.rows_readable} readable rows of ${plan.table} ${plan.into ? `into ${plan.into}` : `to ${plan.file}`}? [y/N] `;
  if (!values.yes && !(await confirmWith(io, deps.confirm, question, 'corruption salvage run'))) {
    io.err('corruption salvage: not confirmed; nothing was copied\n');
    return 2;
  }
  const result = await runSalvage(conn, plan, { lockTimeoutMs: limits.lockTimeoutMs });
  io.out(values.json ? `${JSON.stringify({ plan, result }, null, 2)}\n` : renderSalvageResult(result));
  return 0;
}
