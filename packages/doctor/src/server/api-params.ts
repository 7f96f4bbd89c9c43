import { DoctorError } from '../connect/doctor-error.js';

/** A time as ISO 8601 or epoch milliseconds. */
export function parseTime(text: string | null, name: string, fallback: number): number {
  if (text === null || text === '') return fallback;
  const ms = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isFinite(ms)) throw new DoctorError('usage', `${name} takes an ISO 8601 time or epoch milliseconds, not "${text}"`);
  return ms;
}

export function required(params: URLSearchParams, name: string): string {
  const value = params.get(name);
  if (!value) throw new DoctorError('usage', `the query parameter "${name}" is required`);
  return value;
}
