import type { Report } from '../report/report.js';
import type { Sample } from './sample.js';

/** What one look at one cluster gave: a report and its samples, or why the cluster could not be read. */
export type Observation =
  | { cluster: string; at: number; durationMs: number; ok: true; report: Report; samples: Sample[] }
  | { cluster: string; at: number; durationMs: number; ok: false; error: string; errorCode: string };
