import { DoctorError } from '../connect/doctor-error.js';

const FACTOR = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/**
 * `--since`: an ISO 8601 time ("2026-05-01T10:00Z"), or how long ago ("90m", "6h", "7d"), as epoch ms. A duration
 * is not parseDuration's: looking back a week in a log is normal, waiting a week is not.
 */
export function parseSince(text: string, flag: string, now = Date.now()): number {
  const ago = /^(\d+(?:\.\d+)?)(m|h|d)$/.exec(text.trim());
  if (ago) return now - Math.round(Number(ago[1]) * FACTOR[ago[2] as keyof typeof FACTOR]);
  const time = /^\d{4}-\d\d-\d\d/.test(text.trim()) ? Date.parse(text) : NaN;
  if (!Number.isFinite(time)) throw new DoctorError('usage', `${flag} takes an ISO 8601 time (2026-05-01T10:00Z) or how long ago (90m, 6h, 7d), not "${text}"`);
  return time;
}
