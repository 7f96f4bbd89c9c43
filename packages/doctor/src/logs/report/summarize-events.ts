import type { Origin } from '../../engine/finding.js';
import type { StatementSummary } from '../classify/statement-stats.js';
import type { LogEvent } from '../log-event.js';
import type { ReadStats } from '../read/read-stats.js';
import { addSuspect, holdersAt, suspectOf, type HorizonSuspect } from './horizon-suspects.js';
import { URGENT_CLASSES, type LogSummary } from './log-summary.js';

const TOP_LOCK_WAITS = 10;
const TOP_VACUUM = 20;
const MAX_URGENT = 100;
const MAX_GROUPS = 10_000;

/** An EventSummarizer's gathered data (see `state`). */
export interface SummarizerState {
  first?: number;
  last?: number;
  count: number;
  byClass: Map<string, number>;
  bySeverity: Record<'critical' | 'warning' | 'info', number>;
  hours: Map<number, Map<string, number>>;
  deadlocks: Map<string, LogSummary['deadlocks'][number]>;
  lockWaits: LogSummary['lock_waits'];
  vacuums: Map<string, LogSummary['vacuum_left_behind'][number]>;
  wraparound: Map<string, LogSummary['wraparound'][number]>;
  urgent: LogEvent[];
  suspects: HorizonSuspect[];
  leftBehindAt: Map<string, number>;
}

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

/** Everything the summary needs, gathered event by event in bounded memory (groups are capped). */
export class EventSummarizer {
  private first?: number;
  private last?: number;
  private count = 0;
  private byClass = new Map<string, number>();
  private bySeverity = { critical: 0, warning: 0, info: 0 };
  private hours = new Map<number, Map<string, number>>();
  private deadlocks = new Map<string, LogSummary['deadlocks'][number]>();
  private lockWaits: LogSummary['lock_waits'] = [];
  private vacuums = new Map<string, LogSummary['vacuum_left_behind'][number]>();
  private wraparound = new Map<string, LogSummary['wraparound'][number]>();
  private urgent: LogEvent[] = [];
  /** Sessions seen with a transaction open, and when each table's vacuum last left tuples behind (epoch ms). */
  private suspects: HorizonSuspect[] = [];
  private leftBehindAt = new Map<string, number>();

  /** What was gathered, as data a worker thread can send (structured clone keeps the Maps). */
  state(): SummarizerState {
    const { first, last, count, byClass, bySeverity, hours, deadlocks, lockWaits, vacuums, wraparound, urgent, suspects, leftBehindAt } = this;
    return { first, last, count, byClass, bySeverity, hours, deadlocks, lockWaits, vacuums, wraparound, urgent, suspects, leftBehindAt };
  }

  /** Adds what was gathered from the part of the log that comes next (`state` of another summarizer). */
  merge(next: SummarizerState): void {
    this.count += next.count;
    if (next.first !== undefined) this.first = Math.min(this.first ?? next.first, next.first);
    if (next.last !== undefined) this.last = Math.max(this.last ?? next.last, next.last);
    for (const [cls, n] of next.byClass) this.byClass.set(cls, (this.byClass.get(cls) ?? 0) + n);
    for (const severity of ['critical', 'warning', 'info'] as const) this.bySeverity[severity] += next.bySeverity[severity];
    for (const [hour, counts] of next.hours) {
      const mine = this.hours.get(hour) ?? new Map<string, number>();
      for (const [cls, n] of counts) mine.set(cls, (mine.get(cls) ?? 0) + n);
      this.hours.set(hour, mine);
    }
    for (const [key, group] of next.deadlocks) {
      const mine = this.deadlocks.get(key);
      if (!mine) {
        if (this.deadlocks.size < MAX_GROUPS) this.deadlocks.set(key, group);
        continue;
      }
      mine.count += group.count;
      mine.last_time = group.last_time ?? mine.last_time;
    }
    this.lockWaits = [...this.lockWaits, ...next.lockWaits].sort((a, b) => b.after_ms - a.after_ms).slice(0, TOP_LOCK_WAITS);
    for (const [key, entry] of next.vacuums) {
      const mine = this.vacuums.get(key);
      if (!mine) {
        if (this.vacuums.size < MAX_GROUPS) this.vacuums.set(key, entry);
        continue;
      }
      mine.runs += entry.runs;
      mine.not_removable_max = Math.max(mine.not_removable_max, entry.not_removable_max);
      mine.not_removable_total += entry.not_removable_total;
      if (entry.cutoff_age_max !== undefined) mine.cutoff_age_max = Math.max(mine.cutoff_age_max ?? 0, entry.cutoff_age_max);
      mine.last_time = entry.last_time ?? mine.last_time;
    }
    for (const [database, entry] of next.wraparound) {
      const mine = this.wraparound.get(database);
      if (!mine) {
        if (this.wraparound.size < MAX_GROUPS) this.wraparound.set(database, entry);
        continue;
      }
      mine.warnings += entry.warnings;
      mine.remaining_last = entry.remaining_last;
      mine.last_time = entry.last_time ?? mine.last_time;
    }
    this.urgent.push(...next.urgent.slice(0, MAX_URGENT - this.urgent.length));
    for (const suspect of next.suspects) addSuspect(this.suspects, suspect);
    for (const [key, at] of next.leftBehindAt) this.leftBehindAt.set(key, at);
  }

  add(event: LogEvent): void {
    this.count++;
    this.byClass.set(event.class, (this.byClass.get(event.class) ?? 0) + 1);
    this.bySeverity[event.severity]++;
    if (event.time !== undefined) {
      this.first = Math.min(this.first ?? event.time, event.time);
      this.last = Math.max(this.last ?? event.time, event.time);
      const hour = Math.floor(event.time / 3_600_000) * 3_600_000;
      let counts = this.hours.get(hour);
      if (!counts) this.hours.set(hour, (counts = new Map()));
      counts.set(event.class, (counts.get(event.class) ?? 0) + 1);
    }
    if (URGENT_CLASSES.has(event.class) && this.urgent.length < MAX_URGENT) this.urgent.push(event);
    const suspect = suspectOf(event);
    if (suspect) addSuspect(this.suspects, suspect);
    if (event.class === 'deadlock') this.addDeadlock(event);
    else if (event.class === 'lock-wait' || event.class === 'lock-timeout') this.addLockWait(event);
    else if (event.class === 'autovacuum') this.addVacuum(event);
    else if (event.class === 'wraparound-warning') this.addWraparound(event);
  }

  summary(statements: StatementSummary, read: ReadStats): LogSummary {
    const hours = [...this.hours].sort(([a], [b]) => a - b);
    return {
      from: iso(this.first),
      to: iso(this.last),
      events: this.count,
      by_class: Object.fromEntries([...this.byClass].sort()),
      by_severity: { ...this.bySeverity },
      timeline: hours.map(([hour, counts]) => ({ hour: iso(hour)!, counts: Object.fromEntries(counts) })),
      deadlocks: [...this.deadlocks.values()].sort((a, b) => b.count - a.count),
      lock_waits: this.lockWaits,
      vacuum_left_behind: [...this.vacuums]
        .sort(([, a], [, b]) => b.not_removable_max - a.not_removable_max)
        .slice(0, TOP_VACUUM)
        .map(([key, entry]) => {
          const at = this.leftBehindAt.get(key);
          const held = at === undefined ? [] : holdersAt(at, entry.database, this.suspects);
          return held.length > 0 ? { ...entry, held_by: held } : entry;
        }),
      wraparound: [...this.wraparound.values()].sort((a, b) => a.remaining_last - b.remaining_last),
      urgent: this.urgent,
      statements,
      read,
      exit_code: this.bySeverity.critical > 0 || this.urgent.length > 0 ? 2 : this.bySeverity.warning > 0 ? 1 : 0,
    };
  }

  private addDeadlock(event: LogEvent): void {
    const processes = (event.fields.processes as { query?: string; origin?: Origin }[] | undefined) ?? [];
    const origins = [...new Set(processes.map((p) => originLabel(p.origin) ?? 'unknown code'))].sort();
    const relation = event.relation ?? 'unknown relation';
    const key = `${relation}\u0000${origins.join('\u0000')}`;
    let group = this.deadlocks.get(key);
    if (!group) {
      if (this.deadlocks.size >= MAX_GROUPS) return;
      group = { relation, origins, count: 0, example_queries: processes.flatMap((p) => (p.query ? [p.query.slice(0, 500)] : [])) };
      this.deadlocks.set(key, group);
    }
    group.count++;
    group.last_time = iso(event.time) ?? group.last_time;
  }

  private addLockWait(event: LogEvent): void {
    const f = event.fields;
    const afterMs = typeof f.after_ms === 'number' ? f.after_ms : undefined;
    if (afterMs === undefined) return;
    const smallest = this.lockWaits.at(-1);
    if (this.lockWaits.length >= TOP_LOCK_WAITS && smallest && smallest.after_ms >= afterMs) return;
    this.lockWaits.push({
      after_ms: afterMs,
      state: String(f.state ?? (event.class === 'lock-timeout' ? 'timeout' : 'waiting')),
      lock_mode: String(f.lock_mode ?? ''),
      object: String(f.lock_object ?? ''),
      relation: event.relation,
      holders: Array.isArray(f.holders) ? (f.holders as number[]) : [],
      queue: Array.isArray(f.queue) ? (f.queue as number[]) : [],
      pid: event.pid,
      time: iso(event.time),
      statement: typeof f.statement === 'string' ? f.statement.slice(0, 500) : undefined,
    });
    this.lockWaits = this.lockWaits.sort((a, b) => b.after_ms - a.after_ms).slice(0, TOP_LOCK_WAITS);
  }

  private addVacuum(event: LogEvent): void {
    const notRemovable = Number(event.fields.tuples_not_removable ?? 0);
    if (!(notRemovable > 0)) return;
    const relation = event.relation ?? 'unknown relation';
    const key = `${event.database ?? ''}\u0000${relation}`;
    let entry = this.vacuums.get(key);
    if (!entry) {
      if (this.vacuums.size >= MAX_GROUPS) return;
      entry = { database: event.database, relation, runs: 0, not_removable_max: 0, not_removable_total: 0 };
      this.vacuums.set(key, entry);
    }
    entry.runs++;
    entry.not_removable_max = Math.max(entry.not_removable_max, notRemovable);
    entry.not_removable_total += notRemovable;
    const cutoffAge = event.fields.removable_cutoff_age;
    if (typeof cutoffAge === 'number') entry.cutoff_age_max = Math.max(entry.cutoff_age_max ?? 0, cutoffAge);
    entry.last_time = iso(event.time) ?? entry.last_time;
    if (event.time !== undefined) this.leftBehindAt.set(key, event.time);
  }

  private addWraparound(event: LogEvent): void {
    const remaining = event.fields.remaining_xids;
    if (typeof remaining !== 'number') return;
    const oid = event.fields.database_oid;
    const database = String(event.fields.database ?? (oid !== undefined ? `OID ${String(oid)}` : (event.database ?? 'unknown database')));
    let entry = this.wraparound.get(database);
    if (!entry) {
      if (this.wraparound.size >= MAX_GROUPS) return;
      entry = { database, first_time: iso(event.time), remaining_first: remaining, remaining_last: remaining, warnings: 0 };
      this.wraparound.set(database, entry);
    }
    entry.warnings++;
    entry.remaining_last = remaining;
    entry.last_time = iso(event.time) ?? entry.last_time;
  }
}

function originLabel(origin: Origin | undefined): string | undefined {
  if (!origin) return undefined;
  return [origin.origin, origin.route, origin.app && `app ${origin.app}`].filter(Boolean).join(' · ') || undefined;
}
