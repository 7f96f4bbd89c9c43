import type { XidClockRow } from '../collect/rows.js';
import type { Snapshot, XidRate } from '../collect/snapshot.js';
import { formatCount, formatDuration } from '../report/format.js';

/** A consumption rate over longer than the sample, and what it rests on. */
export interface LongRunRate {
  xidsPerSecond: number;
  /** The seconds it spans, counted from the server's start at most (a stopped server consumes nothing). */
  seconds: number;
  source: XidClockRow['source'];
  /** A ceiling, not a measure ("vacuum": relfrozenxid may be older than the vacuum that set it). */
  atMost: boolean;
  /** For "vacuum": the relation whose relfrozenxid age gave it. */
  relation?: string;
}

/** Shorter than this, a longer-run signal says no more than the sample (and checkpoint_time has 1 s steps). */
const MIN_SECONDS = 10;

/**
 * The best longer-run XID rate the snapshot holds: the exact count since the last checkpoint when it spans
 * long enough, else the ceiling from a vacuumed relation's relfrozenxid age. Only when it spans at least three
 * times the sample, or it would say nothing the sample did not.
 */
export function longRunRate(snapshot: Pick<Snapshot, 'xidClocks' | 'xidRate' | 'server'>): LongRunRate | undefined {
  const uptime = snapshot.server.uptime_seconds ?? Infinity;
  const floor = Math.max(MIN_SECONDS, 3 * (snapshot.xidRate?.sampleSeconds ?? 0));
  const usable = (snapshot.xidClocks ?? [])
    .map((row) => ({ row, seconds: Math.min(row.seconds, uptime) }))
    .filter(({ row, seconds }) => seconds >= floor && row.xids >= 0);
  const pick = usable.find(({ row }) => row.source === 'checkpoint') ?? usable.find(({ row }) => row.source === 'vacuum');
  if (!pick) return undefined;
  const { row, seconds } = pick;
  return { xidsPerSecond: row.xids / seconds, seconds, source: row.source, atMost: row.source === 'vacuum', relation: row.relation ?? undefined };
}

/** The rate an ETA is computed from, with the words that say how sure it is. */
export interface EtaRate {
  xidsPerSecond: number;
  atMost: boolean;
  /** Appended to the ETA when it is not the sample's: " at the rate of the last 4m". */
  suffix: string;
}

/**
 * The sample when it saw XIDs go by, unless the longer run was faster (an ETA should rather come too soon);
 * the longer run when the sample saw none (a 1 s sample right after a burst says 0/s). None: no evidence.
 */
export function etaRate(sample: XidRate | undefined, longRun: LongRunRate | undefined): EtaRate | undefined {
  const fromLongRun = longRun && { xidsPerSecond: longRun.xidsPerSecond, atMost: longRun.atMost, suffix: ` at the rate of the last ${formatDuration(longRun.seconds)}` };
  if (sample && sample.xidsPerSecond > 0) {
    const faster = longRun && !longRun.atMost && longRun.xidsPerSecond > sample.xidsPerSecond;
    return faster ? fromLongRun : { xidsPerSecond: sample.xidsPerSecond, atMost: false, suffix: '' };
  }
  return fromLongRun;
}

/**
 * One sentence on where the rate comes from: "no XIDs consumed during the 1.0 s sample; over the last 4m
 * (since the last checkpoint) the rate was 600 XIDs/s".
 */
export function rateBasis(sample: XidRate | undefined, longRun: LongRunRate | undefined, unit = 'XIDs'): string {
  const head = !sample
    ? 'rate not sampled (--sample)'
    : sample.source === 'history'
      ? `${formatCount(sample.xidsPerSecond)} ${unit}/s fitted over the last ${formatDuration(sample.sampleSeconds)} of history`
      : sample.xidsPerSecond > 0
        ? `${formatCount(sample.xidsPerSecond)} ${unit}/s during the ${sample.sampleSeconds.toFixed(1)} s sample`
        : `no ${unit} consumed during the ${sample.sampleSeconds.toFixed(1)} s sample`;
  if (!longRun) return sample ? head : `${head}; no longer-run evidence (no checkpoint or vacuum long enough ago)`;
  const since = longRun.source === 'checkpoint' ? 'since the last checkpoint' : `since ${longRun.relation ?? 'a relation'} was last vacuumed`;
  return `${head}; over the last ${formatDuration(longRun.seconds)} (${since}) the rate was ${longRun.atMost ? 'at most ' : ''}${rateText(longRun.xidsPerSecond, unit)}`;
}

function rateText(perSecond: number, unit: string): string {
  return perSecond >= 1 || perSecond === 0 ? `${formatCount(perSecond)} ${unit}/s` : `${formatCount(perSecond * 3600)} ${unit}/h`;
}
