import type { PlannedRelation } from './freeze-plan.js';
import { SMALL_PAGES } from './plan-order.js';
import type { ProgressRow } from './run-monitor.js';

/**
 * A relation someone else is vacuuming (usually the anti-wraparound autovacuum, throttled unless in failsafe)
 * is left to them: queueing behind their lock only waits, and our re-check of its age skips it once they are
 * done. After this long we queue for its lock anyway (lock_timeout then reports it).
 */
const DEFER_MS = 60_000;

const keyOf = (r: { database: string; oid: number }) => `${r.database}/${r.oid}`;

/**
 * The relations of a run still to be frozen, in plan order, and what decides which one a worker takes next:
 * who else is vacuuming what, which shared catalog is busy, which relation waits for its one retry. All of the
 * run's scheduling state lives here; the workers only ask `take`.
 */
export class FreezeQueue {
  private readonly pending: PlannedRelation[] = [];
  /** Failed once on something that may pass; each goes back once the rest has been started. */
  private readonly retries: PlannedRelation[] = [];
  /** Every relation ever added: one that arrives again (a later plan) is not frozen twice. */
  private readonly known = new Set<string>();
  private readonly sharedBusy = new Set<number>();
  private readonly deferredSince = new Map<PlannedRelation, number>();
  /** `database/relid` → someone else's VACUUM on it (from the last tick). */
  private othersBusy = new Map<string, ProgressRow>();
  /** Autovacuum workers seen sleeping in vacuum_cost_delay. */
  readonly throttled = new Set<number>();
  /** Taken and not yet released: a worker checks, vacuums or reports it. */
  #inHand = 0;

  /** Add relations in plan order; those already known are left out. Returns what was added. */
  add(relations: readonly PlannedRelation[]): PlannedRelation[] {
    const added = relations.filter((r) => !this.known.has(keyOf(r)));
    for (const r of added) this.known.add(keyOf(r));
    this.pending.push(...added);
    return added;
  }

  /**
   * Nothing starts before the first tick has shown what others are vacuuming: a VACUUM of ours queued behind an
   * autovacuum worker makes PostgreSQL cancel that worker after deadlock_timeout, --leave-autovacuum or not.
   */
  #othersKnown = false;

  /** Whether what others are vacuuming is known (a tick, or work that came with it). */
  get othersKnown(): boolean {
    return this.#othersKnown;
  }

  /** What the last tick saw: VACUUMs that are not ours, and which autovacuum workers are throttled. */
  noteOthers(progress: readonly ProgressRow[], ours: ReadonlySet<number | undefined>): void {
    this.#othersKnown = true;
    this.othersBusy = new Map(progress.filter((p) => !ours.has(p.pid)).map((p) => [keyOf({ database: p.datname, oid: p.relid }), p]));
    for (const p of progress) if (p.wait_event === 'VacuumDelay' && p.backend_type === 'autovacuum worker') this.throttled.add(p.pid);
  }

  /**
   * The next relation for a worker whose session is in `database`. A small one of that database goes before a
   * small one elsewhere in the same zone: it costs less than a new session. Undefined: nothing may start now.
   */
  take(database: string | undefined, allowRetries: boolean): PlannedRelation | undefined {
    if (!this.#othersKnown) return undefined;
    if (this.pending.length === 0 && allowRetries) this.pending.push(...this.retries.splice(0));
    let index = this.pending.findIndex((r) => this.eligible(r));
    const head = this.pending[index];
    if (head && head.database !== database && head.pagesToScan < SMALL_PAGES) {
      const local = this.pending.findIndex((r) => r.database === database && r.tier === head.tier && r.pagesToScan < SMALL_PAGES && this.eligible(r));
      if (local >= 0) index = local;
    }
    return index >= 0 ? this.claim(this.pending.splice(index, 1)[0]!) : undefined;
  }

  /** A relation a throttled autovacuum worker is on, to take over once nothing else is left. */
  takeThrottled(): { relation: PlannedRelation; pid: number } | undefined {
    const index = this.pending.findIndex((r) => {
      const other = this.othersBusy.get(keyOf(r));
      return other !== undefined && this.throttled.has(other.pid) && !(r.shared && this.sharedBusy.has(r.oid));
    });
    if (index < 0) return undefined;
    const relation = this.claim(this.pending.splice(index, 1)[0]!);
    const pid = this.othersBusy.get(keyOf(relation))!.pid;
    this.othersBusy.delete(keyOf(relation));
    return { relation, pid };
  }

  /** A worker is done with it (frozen, failed or put back). */
  release(relation: PlannedRelation): void {
    this.#inHand--;
    if (relation.shared) this.sharedBusy.delete(relation.oid);
  }

  /** Whether a worker has a relation in hand (from its age check before the VACUUM to its report after). */
  get anyInHand(): boolean {
    return this.#inHand > 0;
  }

  /** Left to an autovacuum at full speed: back to the front, started again (and skipped) once it is done. */
  putBack(relation: PlannedRelation): void {
    this.deferredSince.set(relation, Date.now());
    this.pending.unshift(relation);
  }

  /** Failed on something that may pass (a lock, a lost session): tried once more at the end. */
  retryLater(relation: PlannedRelation): void {
    this.retries.push(relation);
  }

  /** Something was ever added. */
  get hasWork(): boolean {
    return this.known.size > 0;
  }

  /** Nothing left to start (retries included, when they are allowed). */
  isEmpty(allowRetries: boolean): boolean {
    return this.pending.length === 0 && (!allowRetries || this.retries.length === 0);
  }

  /** Everything not started, emptied out (the run ends). */
  drain(): PlannedRelation[] {
    return [...this.pending.splice(0), ...this.retries.splice(0)];
  }

  private eligible(r: PlannedRelation): boolean {
    if (r.shared && this.sharedBusy.has(r.oid)) return false;
    if (!this.othersBusy.has(keyOf(r))) return true;
    const since = this.deferredSince.get(r) ?? Date.now();
    this.deferredSince.set(r, since);
    return Date.now() - since > DEFER_MS;
  }

  private claim(relation: PlannedRelation): PlannedRelation {
    this.#inHand++;
    if (relation.shared) this.sharedBusy.add(relation.oid);
    return relation;
  }
}
