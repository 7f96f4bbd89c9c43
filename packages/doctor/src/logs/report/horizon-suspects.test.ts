import { describe, expect, it } from 'vitest';
import type { LogEvent } from '../log-event.js';
import { holdersAt, suspectOf, type HorizonSuspect } from './horizon-suspects.js';

const event = (cls: LogEvent['class'], time: number, pid: number, fields: Record<string, unknown> = {}, database = 'shop'): LogEvent => ({
  class: cls,
  time,
  pid,
  severity: 'warning',
  database,
  summary: `${cls} of ${pid}`,
  fields,
  source: { file: 'x.log', line: 1 },
});

describe('holdersAt', () => {
  const suspects = [
    event('slow-statement', 10_000, 1, { duration_ms: 9_000 }), // running 1 000 … 10 000
    event('slow-statement', 4_000, 2, { duration_ms: 1_000 }), // over before the vacuum
    event('connection-lost-in-transaction', 20_000, 3),
    event('idle-in-transaction-timeout', 12_000, 4, {}, 'other'),
    event('idle-in-transaction-timeout', 15_000, 5),
    event('autovacuum', 5_500, 6),
  ]
    .map(suspectOf)
    .filter((s): s is HorizonSuspect => s !== undefined);

  it('names what ran at the time, then sessions whose open transaction ended later, same database first, soonest first', () => {
    const held = holdersAt(5_000, 'shop', suspects);
    expect(held.map((h) => [h.pid, h.class])).toEqual([
      [1, 'slow-statement'],
      [5, 'idle-in-transaction-timeout'],
      [3, 'connection-lost-in-transaction'],
    ]);
    expect(held[0]!.why).toMatch(/^running at the time/);
  });

  it('names nobody when the log shows no session open at the time', () => {
    expect(holdersAt(30_000, 'shop', suspects)).toEqual([]);
    expect(suspects).toHaveLength(5);
  });
});
