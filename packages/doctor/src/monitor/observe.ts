import type { XidRate } from '../collect/snapshot.js';
import type { SessionLimits } from '../connect/safe-session.js';
import { DoctorError } from '../connect/doctor-error.js';
import { examine } from '../diagnose.js';
import type { Thresholds } from '../engine/thresholds.js';
import { appSamples } from './app-samples.js';
import type { Observation } from './observation.js';
import { samplesOf } from './samples.js';
import type { Target } from './target.js';

export interface ObserveSettings {
  thresholds: Thresholds;
  limits: SessionLimits;
  /** The XID rate fitted from history, for the checks' ETA (none on the first look). */
  xidRate?: XidRate;
}

/** One look at one target, through the same engine as `check`; a failure is an observation too, never a throw. */
export async function observe(target: Target, settings: ObserveSettings): Promise<Observation> {
  const at = Date.now();
  try {
    const { report, snapshot, registries } = await examine(target.conn, {
      thresholds: settings.thresholds,
      limits: settings.limits,
      apps: target.apps,
      rateOf: () => settings.xidRate && { ...settings.xidRate, source: 'history' },
      // Every 15 s: no relation sizes, no pgstattuple scans, no 16 MB of log (check does those).
      costly: false,
    });
    const samples = [...samplesOf(snapshot, report.findings, settings.thresholds), ...appSamples(registries)];
    samples.push({ metric: 'mvcc_observation_duration_seconds', labels: {}, value: (Date.now() - at) / 1000 });
    return { cluster: target.name, at, durationMs: Date.now() - at, ok: true, report, samples };
  } catch (error) {
    const code = error instanceof DoctorError ? error.code : 'internal';
    const message = error instanceof DoctorError ? error.line : `internal error: ${(error as Error).message}`;
    return { cluster: target.name, at, durationMs: Date.now() - at, ok: false, error: message, errorCode: code };
  }
}
