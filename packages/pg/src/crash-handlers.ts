import { setTimeout as sleep } from 'node:timers/promises';
import { config } from './config.js';
import { events, type Logger } from './events.js';
import type { Lease } from './lease.js';
import { openLeases } from './registry.js';
import { isArrayOf, isFunction, isLogger, isMs, validateOptions, type Schema } from './validate-options.js';

type CrashEvent = 'uncaughtException' | 'unhandledRejection' | NodeJS.Signals;

/** How the crash handlers behave. */
export interface CrashHandlerOptions {
  /** What triggers them. Default: uncaughtException, unhandledRejection, SIGTERM. */
  on?: readonly CrashEvent[];
  /** Time the rollbacks get before the process exits anyway. Default 2 s. */
  timeoutMs?: number;
  /**
   * How the process ends, called only when the handler is the event's sole listener (so the process ends exactly
   * when it would have without it). Default: exit code 1 for errors; the signal re-raised with its default action.
   */
  exit?: (code: number, signal: NodeJS.Signals | undefined) => void;
  /** Where the report goes. Default: the configured logger. */
  logger?: Logger;
}

const DEFAULT_EVENTS: readonly CrashEvent[] = ['uncaughtException', 'unhandledRejection', 'SIGTERM'];
const SCHEMA: Schema = Object.freeze({
  on: isArrayOf((e) => e === 'uncaughtException' || e === 'unhandledRejection' || (typeof e === 'string' && /^SIG[A-Z0-9]+$/.test(e)), "'uncaughtException', 'unhandledRejection' or signal names"),
  timeoutMs: isMs(0),
  exit: isFunction,
  logger: isLogger,
});

/**
 * On a crash, roll back and report every open transaction before the process ends. Opt-in; returns the function
 * that uninstalls the handlers.
 */
export function installCrashHandlers(options: CrashHandlerOptions = {}): () => void {
  validateOptions('installCrashHandlers()', options, SCHEMA);
  const timeoutMs = options.timeoutMs ?? 2_000;
  const exit = options.exit ?? defaultExit;
  let handling = false;
  const listeners = new Map<CrashEvent, (...args: unknown[]) => void>();
  const uninstall = (): void => {
    for (const [event, listener] of listeners) process.removeListener(event, listener);
    listeners.clear();
  };
  for (const event of options.on ?? DEFAULT_EVENTS) {
    const signal = event === 'uncaughtException' || event === 'unhandledRejection' ? undefined : event;
    const listener = (error: unknown): void => {
      const alone = process.listenerCount(event) === 1;
      if (handling) return;
      handling = true;
      const logger = options.logger ?? config().logger;
      void rollBackAll(signal ?? event, signal ? undefined : error, logger, timeoutMs).finally(() => {
        handling = false;
        if (!alone) return;
        uninstall();
        exit(signal ? 128 + signalNumber(signal) : 1, signal);
      });
    };
    listeners.set(event, listener);
    process.on(event, listener);
  }
  return uninstall;
}

async function rollBackAll(reason: string, error: unknown, logger: Logger, timeoutMs: number): Promise<void> {
  const leases = openLeases();
  const transactions = leases.map((lease) => lease.info());
  const cause = error instanceof Error ? error.stack ?? error.message : error === undefined ? '' : String(error);
  logger.error(`${reason}: rolling back ${leases.length} open transaction(s) before exit`, cause ? { stack: cause } : undefined);
  for (const t of transactions) {
    logger.error(
      `rolling back ${t.kind} opened at ${t.origin} (backend pid ${t.backendPid}${(t.route ?? t.job) ? `, ${t.route ?? t.job}` : ''}, ` +
        `open ${t.ageMs} ms, ${t.state}${t.state === 'idle' ? ` ${t.idleMs} ms` : ''})`,
      { stack: t.stack },
    );
  }
  events.emit('crash', { reason, error, transactions });
  await Promise.race([Promise.allSettled(leases.map((lease) => rollBack(lease, reason))), sleep(timeoutMs, undefined, { ref: false })]);
}

/** ROLLBACK when the session is idle (the server log then shows it), else close the connection; refuse further use. */
async function rollBack(lease: Lease, reason: string): Promise<void> {
  if (lease.killedBecause !== undefined || lease.isReleased) return;
  const idle = lease.kind === 'transaction' && lease.inFlight === 0 && lease.connectionError === undefined;
  lease.killedBecause = `rolled back: ${reason}`;
  try {
    if (idle) await lease.run('ROLLBACK');
  } finally {
    lease.kill(lease.killedBecause);
  }
}

function defaultExit(code: number, signal: NodeJS.Signals | undefined): void {
  if (signal) process.kill(process.pid, signal);
  else process.exit(code);
}

function signalNumber(signal: NodeJS.Signals): number {
  return ({ SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGTERM: 15 } as Record<string, number>)[signal] ?? 0;
}
