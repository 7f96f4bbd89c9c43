import { setTimeout as sleep } from 'node:timers/promises';
import type { XidRate } from '../collect/snapshot.js';
import { describeTarget } from '../connect/conn-options.js';
import type { SessionLimits } from '../connect/safe-session.js';
import type { Thresholds } from '../engine/thresholds.js';
import { exitCodeFor, summarize, type Report } from '../report/report.js';
import type { Finding } from '../engine/finding.js';
import { ClusterHistory } from './cluster-history.js';
import { forecastCluster, type ClusterForecast } from './forecast/forecast-cluster.js';
import type { FindingEvent } from './finding-event.js';
import { FindingTracker } from './finding-tracker.js';
import type { HistoryStore } from './history-store.js';
import type { Observation } from './observation.js';
import { observe } from './observe.js';
import type { Sample } from './sample.js';
import type { Target } from './target.js';
import { TargetLogFollower, type TargetLogStatus } from './target-log/log-follower.js';

export interface MonitorOptions {
  targets: Target[];
  intervalMs: number;
  thresholds: Thresholds;
  limits: SessionLimits;
  store: HistoryStore;
  /** History older than this is pruned (hourly). */
  retentionMs: number;
  /** Called after each observation with the cluster's open findings (the alerter). */
  onFindings?: (cluster: string, open: FindingEvent[], at: number) => void;
  log: (line: string) => void;
}

/** What the daemon knows of one cluster now. */
export interface ClusterStatus {
  name: string;
  /** user@host:port/database: never the password. */
  target: string;
  /** undefined until the first observation ends. */
  up?: boolean;
  lastAt?: number;
  lastDurationMs?: number;
  error?: string;
  /** Consecutive failed observations. */
  failures: number;
  report?: Report;
  samples: Sample[];
  /** The XID rate the checks judge by: fitted over the last hour and day (the larger), else between the last two observations. */
  lastRate?: XidRate;
  /** The forecasts of the last observation. */
  forecast?: ClusterForecast;
  /** Its server log, when followed. */
  log?: TargetLogStatus;
}

/**
 * Watches every target on its own loop: a slow or dead cluster delays nobody else. Each observation goes through the
 * same engine as `check`, its samples and finding changes into the store, its open findings to `onFindings`.
 */
export class Monitor {
  private readonly status = new Map<string, ClusterStatus>();
  private readonly tracker = new FindingTracker();
  private readonly history = new Map<string, ClusterHistory>();
  private readonly stopping = new AbortController();
  private readonly logs = new Map<string, TargetLogFollower>();
  private loops: Promise<void>[] = [];

  constructor(private readonly options: MonitorOptions) {
    for (const t of options.targets) {
      const status: ClusterStatus = { name: t.name, target: describeTarget(t.conn), failures: 0, samples: [] };
      if (t.log.kind !== 'off') {
        const follower = new TargetLogFollower(t.name, t.conn, t.log, { limits: options.limits, pollMs: options.intervalMs, signal: this.stopping.signal, log: options.log });
        this.logs.set(t.name, follower);
        status.log = follower.status;
      }
      this.status.set(t.name, status);
    }
  }

  async start(): Promise<void> {
    for (const t of this.options.targets) {
      this.tracker.restore(t.name, await this.options.store.openEvents(t.name));
      const history = new ClusterHistory();
      await history.load(this.options.store, t.name, Date.now());
      this.history.set(t.name, history);
    }
    // Spread over the interval: twenty clusters observed at the same moment would each take ten times longer, and
    // their sessions would arrive at once (measured in bench:serve).
    const { targets, intervalMs } = this.options;
    this.loops = [
      ...targets.map((t, i) => this.watch(t, Math.floor((i * intervalMs) / targets.length))),
      ...[...this.logs.values()].map((follower) => follower.run()),
      this.pruneLoop(),
    ];
  }

  /** Stop watching: waits for observations in flight (bounded by their statement and connect timeouts). */
  async stop(): Promise<void> {
    this.stopping.abort();
    await Promise.allSettled(this.loops);
    // What the logs said since the last observation is kept.
    for (const follower of this.logs.values()) {
      await this.options.store.saveLogEvents(follower.take()).catch((error: Error) => this.options.log(`could not store log events: ${error.message}`));
    }
  }

  clusters(): ClusterStatus[] {
    return [...this.status.values()];
  }

  cluster(name: string): ClusterStatus | undefined {
    return this.status.get(name);
  }

  openFindings(cluster: string): FindingEvent[] {
    return this.tracker.openEvents(cluster);
  }

  private async watch(target: Target, offsetMs: number): Promise<void> {
    const { signal } = this.stopping;
    if (offsetMs > 0) await sleep(offsetMs, undefined, { signal }).catch(() => undefined);
    while (!signal.aborted) {
      const started = Date.now();
      const xidRate = this.status.get(target.name)!.lastRate;
      const observation = await observe(target, { thresholds: this.options.thresholds, limits: this.options.limits, xidRate });
      await this.record(observation).catch((error: Error) => this.options.log(`cluster ${target.name}: could not store the observation: ${error.message}`));
      const status = this.status.get(target.name)!;
      // Failures back off (1×, 2×, 4× the interval, capped at a minute or the interval if longer): a dead server is
      // not hammered, and its recovery is still seen within a minute.
      const wait = observation.ok ? this.options.intervalMs - (Date.now() - started) : this.backoff(status.failures);
      await sleep(Math.max(0, wait), undefined, { signal }).catch(() => undefined);
    }
  }

  private backoff(failures: number): number {
    const interval = this.options.intervalMs;
    return Math.min(interval * 2 ** Math.min(failures - 1, 3), Math.max(interval, 60_000));
  }

  private async record(observation: Observation): Promise<void> {
    const status = this.status.get(observation.cluster)!;
    const { store } = this.options;
    // The log's events since the last observation join the timeline whether or not the server answered.
    const follower = this.logs.get(observation.cluster);
    await store.saveLogEvents(follower?.take() ?? []);
    if (observation.ok) {
      if (status.up === false) this.options.log(`cluster ${observation.cluster}: reachable again`);
      const history = this.history.get(observation.cluster)!;
      history.add(observation.at, observation.samples);
      const forecast = forecastCluster({ now: observation.at, nextXid: history.nextXid, ages: history.ages, limits: history.limits });
      status.lastRate = forecast.fit?.xidRate ?? rateSince(status, observation) ?? status.lastRate;
      const report = withFindings(observation.report, forecast.findings);
      Object.assign(status, { up: true, error: undefined, failures: 0, report, forecast });
      status.samples = [...observation.samples, ...forecast.samples, ...(follower?.samples() ?? []), { metric: 'mvcc_up', labels: {}, value: 1 }];
      await store.append({ cluster: observation.cluster, at: observation.at, samples: status.samples });
      await store.saveEvents(this.tracker.observed(observation.cluster, observation.at, report.findings));
    } else {
      if (status.up !== false) this.options.log(`cluster ${observation.cluster}: ${observation.error}`);
      Object.assign(status, { up: false, error: observation.error, failures: status.failures + 1 });
      status.samples = [...(follower?.samples() ?? []), { metric: 'mvcc_up', labels: {}, value: 0 }];
      await store.append({ cluster: observation.cluster, at: observation.at, samples: status.samples });
      await store.saveEvents(this.tracker.unreachable(observation.cluster, observation.at, observation.error));
    }
    status.lastAt = observation.at;
    status.lastDurationMs = observation.durationMs;
    this.options.onFindings?.(observation.cluster, this.tracker.openEvents(observation.cluster), observation.at);
  }

  private async pruneLoop(): Promise<void> {
    const { signal } = this.stopping;
    while (!signal.aborted) {
      await this.options.store.prune(Date.now() - this.options.retentionMs).catch((error: Error) => this.options.log(`could not prune history: ${error.message}`));
      await sleep(3_600_000, undefined, { signal }).catch(() => undefined);
    }
  }
}

function nextXid(samples: Sample[]): number | undefined {
  return samples.find((s) => s.metric === 'mvcc_xids_assigned_total')?.value;
}

function rateSince(previous: ClusterStatus, now: Observation & { ok: true }): XidRate | undefined {
  const before = nextXid(previous.samples);
  const after = nextXid(now.samples);
  if (before === undefined || after === undefined || previous.lastAt === undefined || after < before) return undefined;
  const seconds = (now.at - previous.lastAt) / 1000;
  return seconds > 0 ? { xidsPerSecond: (after - before) / seconds, sampleSeconds: seconds } : undefined;
}

/** The check report with the forecasts' findings added: one list of findings for the API, the dashboard and alerts. */
function withFindings(report: Report, more: Finding[]): Report {
  if (more.length === 0) return report;
  const findings = [...report.findings, ...more];
  return { ...report, findings, summary: summarize(findings), exit_code: exitCodeFor(findings) };
}
