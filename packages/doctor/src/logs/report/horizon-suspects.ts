import type { Origin } from '../../engine/finding.js';
import type { LogEvent } from '../log-event.js';

/** A session the log shows with a transaction open at some moment: what may have held a vacuum's horizon. */
export interface HorizonSuspect {
  pid?: number;
  class: 'slow-statement' | 'idle-in-transaction-timeout' | 'connection-lost-in-transaction';
  /** When its transaction was certainly open: [from, to] in epoch ms (from absent: only "until to"). */
  from?: number;
  to: number;
  database?: string;
  origin?: Origin;
  summary: string;
}

/** What the summary says held a vacuum's tuples: the sessions the log shows open at that time, the likeliest first. */
export interface HorizonHolder {
  pid?: number;
  class: HorizonSuspect['class'];
  time: string;
  origin?: Origin;
  /** Why it is named: "running at the time" or "its transaction was open until …". */
  why: string;
}

const MAX_SUSPECTS = 2000;
const MAX_HOLDERS = 3;

/** The sessions an event shows in a transaction, or undefined. */
export function suspectOf(event: LogEvent): HorizonSuspect | undefined {
  if (event.time === undefined) return undefined;
  const base = { pid: event.pid, to: event.time, database: event.database, origin: event.origin, summary: event.summary };
  if (event.class === 'slow-statement' && typeof event.fields.duration_ms === 'number') {
    return { ...base, class: 'slow-statement', from: event.time - event.fields.duration_ms };
  }
  if (event.class === 'idle-in-transaction-timeout' || event.class === 'connection-lost-in-transaction') return { ...base, class: event.class };
  return undefined;
}

/** Keeps the latest suspects, bounded. */
export function addSuspect(list: HorizonSuspect[], suspect: HorizonSuspect): void {
  list.push(suspect);
  if (list.length > MAX_SUSPECTS * 2) list.splice(0, list.length - MAX_SUSPECTS);
}

/**
 * The sessions the log shows with a transaction open when a vacuum at `time` left tuples behind: a statement running
 * then (its logged duration covers the moment), then sessions whose open transaction ended later — ended by
 * idle_in_transaction_session_timeout or a lost client — soonest first. A log shows only what it logged: a holder
 * that never wrote a line (a prepared transaction, a slot, a standby) is not here; `check` sees those.
 */
export function holdersAt(time: number, database: string | undefined, suspects: readonly HorizonSuspect[]): HorizonHolder[] {
  const running = suspects.filter((s) => s.from !== undefined && s.from <= time && s.to >= time);
  const ended = suspects.filter((s) => s.from === undefined && s.to >= time).sort((a, b) => a.to - b.to);
  const sameDatabaseFirst = (list: HorizonSuspect[]) => [...list.filter((s) => s.database === database), ...list.filter((s) => s.database !== database)];
  const iso = (ms: number) => new Date(ms).toISOString();
  return [...sameDatabaseFirst(running), ...sameDatabaseFirst(ended)].slice(0, MAX_HOLDERS).map((s) => {
    const holder: HorizonHolder = {
      pid: s.pid,
      class: s.class,
      time: iso(s.to),
      why: s.from !== undefined ? `running at the time (${s.summary})` : `its transaction was open until ${iso(s.to)} (${s.class})`,
    };
    if (s.origin) holder.origin = s.origin;
    return holder;
  });
}
