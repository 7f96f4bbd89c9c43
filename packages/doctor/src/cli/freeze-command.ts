import { parseArgs } from 'node:util';
import { DoctorError } from '../connect/doctor-error.js';
import type { Blocker } from '../rescue/blockers.js';
import { planFreeze, type PlanFreezeOptions } from '../rescue/plan-freeze.js';
import { renderPlan } from '../rescue/plan-text.js';
import { progressView } from '../rescue/progress-view.js';
import { rescue, type RescueEvent } from '../rescue/rescue.js';
import { renderRelease, renderRunSummary } from '../rescue/run-text.js';
import { confirmWith, type Confirm } from './confirm.js';
import { CONNECTION_FLAGS, connFromFlags } from './connection-flags.js';
import type { CommandIO } from './io.js';
import { parseDuration } from '../engine/parse-duration.js';

export const FREEZE_HELP = `Usage: mvcc-doctor freeze [plan | run] [conninfo | postgresql://URL] [options]

The wraparound rescue, for every database of the cluster. "plan" (the default) changes nothing: it shows
the horizon holders and whether the target can be reached while they hold, the blockers and how they would
be released, the relations over the target in the order they would be frozen, and the exact SQL.
"run" carries it out: VACUUM (FREEZE, TRUNCATE false) per relation, zone by zone, J sessions in parallel
across all databases (the relations that hold a database in the stop zone start at once, before the plan
is read), and stops as soon as every database is under the target. A relation that fails is reported with the
next step and the run goes on; Ctrl-C cancels its own VACUUMs. No statement needs a new XID, so it works in
the stop zone. A second run continues where one stopped.

Options:
  -h, --host HOST             server host
  -p, --port PORT             server port
  -U, --user USER             role (a superuser, or the owner of every relation)
  -d, --dbname DB             database to connect to first (every database is frozen)
      --target-age N          XID age to bring every database under (default: autovacuum_freeze_max_age)
      --target-mxid-age N     MultiXact age (default: the XID target, or autovacuum_multixact_freeze_max_age if lower)
  -j, --jobs J                VACUUM sessions in parallel across all databases (default 2)
      --emergency             add INDEX_CLEANUP off: freeze only, leave indexes for later
      --lock-timeout D        a VACUUM that waits longer for a lock fails and is retried once at the end (default 1s)
      --leave-autovacuum      never cancel an autovacuum worker: by default, one throttled by vacuum_cost_delay on a
                              relation we must freeze is cancelled and the relation frozen at full speed
      --release-blockers      run: first release the blockers the plan shows (asks first; --yes when not on a terminal)
  -y, --yes                   confirm --release-blockers without asking
  -v, --verbose               run: a line for every skipped relation (by default they are counted per database)
      --json                  machine-readable output
      --no-color              plain output (also NO_COLOR)
Exit codes: plan: 0 nothing to do, 1 work to do, 2 the target cannot be reached while blockers hold;
run: 0 every database under the target, 2 not (failures, blockers, Ctrl-C); 3 could not run.`;

/** What the command needs besides argv and io; tests pass their own. */
export interface FreezeCommandDeps {
  /** Ask a person to confirm; the default reads a line from the terminal. */
  confirm?: Confirm;
  /** Ends the run when aborted; the default aborts on Ctrl-C. */
  signal?: AbortSignal;
}

export async function freezeCommand(argv: string[], io: CommandIO, deps: FreezeCommandDeps = {}): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      ...CONNECTION_FLAGS,
      'target-age': { type: 'string' },
      'target-mxid-age': { type: 'string' },
      jobs: { type: 'string', short: 'j', default: '2' },
      emergency: { type: 'boolean', default: false },
      'lock-timeout': { type: 'string', default: '1s' },
      'release-blockers': { type: 'boolean', default: false },
      'leave-autovacuum': { type: 'boolean', default: false },
      yes: { type: 'boolean', short: 'y', default: false },
      json: { type: 'boolean', default: false },
      verbose: { type: 'boolean', short: 'v', default: false },
      'no-color': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    io.out(`${FREEZE_HELP}\n`);
    return 0;
  }
  const mode = positionals[0] === 'plan' || positionals[0] === 'run' ? positionals.shift()! : 'plan';
  if (positionals.length > 1) throw new DoctorError('usage', `freeze takes one connection argument, got ${positionals.length}`);
  if (mode === 'plan' && (values['release-blockers'] || values.yes)) throw new DoctorError('usage', '--release-blockers and --yes go with "freeze run"');
  const conn = connFromFlags(values, positionals[0], io.env);
  const color = io.color && !values['no-color'];
  const options: PlanFreezeOptions = {
    jobs: count(values.jobs, '--jobs', 1, 64),
    emergency: values.emergency,
    targetXidAge: values['target-age'] === undefined ? undefined : count(values['target-age'], '--target-age', 0, 2_000_000_000),
    targetMxidAge: values['target-mxid-age'] === undefined ? undefined : count(values['target-mxid-age'], '--target-mxid-age', 0, 2_000_000_000),
    lockTimeoutMs: parseDuration(values['lock-timeout'], '--lock-timeout', { min: 1 }),
  };

  if (mode === 'plan') {
    const plan = await planFreeze(conn, options);
    io.out(values.json ? `${JSON.stringify(plan, null, 2)}\n` : renderPlan(plan, { color }));
    if (plan.databases.some((d) => !d.reachesTarget && d.relations > 0)) return 2;
    return plan.order.length > 0 ? 1 : 0;
  }

  const say = (text: string) => {
    if (!values.json) io.out(text);
  };
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  if (!deps.signal) process.once('SIGINT', onSigint);
  const view = progressView(say, { tty: io.interactive && !values.json, color, verbose: values.verbose, jobs: options.jobs });
  const onEvent = (event: RescueEvent) => {
    switch (event.type) {
      case 'plan':
        if (!event.replanned) say(renderPlan(event.plan, { color, sql: false, orderRows: 10 }));
        return;
      case 'blockers-released':
        return say(`\nBlocker release:\n${renderRelease(event.results, color)}`);
      case 'blockers-kept':
        if (!event.declined) say(`\n${event.blockers.length} blocker(s) stay (run with --release-blockers to release them); freezing what can be frozen.\n`);
        return;
      default:
        return view.onEvent(event);
    }
  };
  const confirm = (blockers: Blocker[]) => {
    const question = `Release ${blockers.length} blocker(s): ${blockers.map((b) => b.description).join('; ')}? [y/N] `;
    return values.yes ? Promise.resolve(true) : confirmWith(io, deps.confirm, question, '--release-blockers');
  };
  try {
    const outcome = await rescue(conn, { ...options, releaseBlockers: values['release-blockers'], takeOverAutovacuum: !values['leave-autovacuum'], signal: deps.signal ?? controller.signal }, { onEvent, confirm });
    view.finish();
    const { plan, release, result } = outcome;
    if (outcome.declined) {
      io.err(`freeze: blockers not released; nothing else was run${result.frozen.length ? ` (${result.frozen.length} stop-zone relation(s) had been frozen first)` : ''}\n`);
      return 2;
    }
    if (values.json) io.out(`${JSON.stringify({ plan, release, result }, null, 2)}\n`);
    else io.out(renderRunSummary(plan, result, color));
    return result.targetReached ? 0 : 2;
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
}

function count(text: string, flag: string, min: number, max: number): number {
  const value = Number(text.replace(/[_,]/g, ''));
  if (!Number.isInteger(value) || value < min || value > max) throw new DoctorError('usage', `${flag} takes a whole number from ${min} to ${max}, not "${text}"`);
  return value;
}
