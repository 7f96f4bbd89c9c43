import { DoctorError } from '../connect/doctor-error.js';

const FACTOR = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/** The longest duration any flag takes: a day (also keeps timers and PostgreSQL's int settings in range). */
const MAX_MS = 86_400_000;

/** "10s", "500ms", "2m", "1h" or a bare number of seconds, as milliseconds; `min` rejects 0 where it means "off". */
export function parseDuration(text: string, flag: string, { min = 0 }: { min?: number } = {}): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!match) throw new DoctorError('usage', `${flag} takes a duration such as 10s, 500ms or 2m, not "${text}"`);
  const ms = Math.round(Number(match[1]) * FACTOR[(match[2] ?? 's') as keyof typeof FACTOR]);
  if (ms < min) throw new DoctorError('usage', `${flag} must be at least ${min}ms, not "${text}"`);
  if (ms > MAX_MS) throw new DoctorError('usage', `${flag} must be at most 24h, not "${text}"`);
  return ms;
}
