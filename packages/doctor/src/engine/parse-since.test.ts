import { expect, it } from 'vitest';
import { parseSince } from './parse-since.js';

it('parseSince: how long ago, or an ISO 8601 time; anything else is a usage error', () => {
  const now = Date.UTC(2026, 4, 10, 12);
  expect(parseSince('90m', '--since', now)).toBe(now - 90 * 60_000);
  expect(parseSince('7d', '--since', now)).toBe(now - 7 * 86_400_000);
  expect(parseSince('2026-05-01T10:00:00Z', '--since', now)).toBe(Date.UTC(2026, 4, 1, 10));
  for (const bad of ['yesterday', '10', '5s', '']) expect(() => parseSince(bad, '--since', now)).toThrow(/--since takes an ISO 8601 time/);
});
