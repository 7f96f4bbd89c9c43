import { DoctorError } from '../connect/doctor-error.js';

/** "10s", "500ms", "2m", "1h" or a bare number of seconds, as milliseconds. */
export function parseDuration(text: string, flag: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!match) throw new DoctorError('usage', `${flag} takes a duration such as 10s, 500ms or 2m, not "${text}"`);
  const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(match[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  return Math.round(Number(match[1]) * factor);
}
