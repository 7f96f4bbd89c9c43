import { describe, expect, it } from 'vitest';
import { backoffDelay, DEFAULT_RETRY, retryDecision, sqlstateOf } from './backoff.js';
import { CommitOutcomeUnknownError, ConnectionLostError } from './errors.js';

const pgError = (code: string) => Object.assign(new Error(code), { code, severity: 'ERROR' });

describe('backoff', () => {
  it('is full jitter: uniform below a ceiling that doubles per attempt and is capped', () => {
    const retry = { baseDelayMs: 10, maxDelayMs: 100 };
    expect([1, 2, 3, 4, 5].map((a) => backoffDelay(a, retry, () => 0.999999))).toEqual([9, 19, 39, 79, 99]);
    expect(backoffDelay(3, retry, () => 0)).toBe(0);
  });

  it('spreads delays over the whole range', () => {
    const delays = Array.from({ length: 2000 }, () => backoffDelay(4, { baseDelayMs: 10, maxDelayMs: 1000 }));
    expect(Math.min(...delays)).toBeLessThan(8);
    expect(Math.max(...delays)).toBeGreaterThan(72);
    expect(Math.max(...delays)).toBeLessThan(80);
  });
});

describe('retry decision', () => {
  it('retries 40001 and 40P01 by default, with a delay', () => {
    expect(retryDecision(pgError('40001'), 1, 0, DEFAULT_RETRY, () => 0.5)).toEqual({ retry: true, code: '40001', delayMs: 5 });
    expect(retryDecision(pgError('40P01'), 2, 0, DEFAULT_RETRY, () => 0.5)).toMatchObject({ retry: true, code: '40P01' });
  });

  it('does not retry other errors, plain errors, or when turned off', () => {
    expect(retryDecision(pgError('23505'), 1, 0, DEFAULT_RETRY).retry).toBe(false);
    expect(retryDecision(new Error('boom'), 1, 0, DEFAULT_RETRY).retry).toBe(false);
    expect(retryDecision('a string', 1, 0, DEFAULT_RETRY).retry).toBe(false);
    expect(retryDecision(pgError('40001'), 1, 0, false).retry).toBe(false);
  });

  it('is bounded by total time by default, and by attempts when asked', () => {
    expect(DEFAULT_RETRY.maxAttempts).toBe(Infinity);
    expect(retryDecision(pgError('40001'), 1_000, 0, DEFAULT_RETRY, () => 0.5).retry).toBe(true);
    expect(retryDecision(pgError('40001'), 1, DEFAULT_RETRY.maxElapsedMs, DEFAULT_RETRY, () => 0.5).retry).toBe(false);
    expect(retryDecision(pgError('40001'), 3, 0, { ...DEFAULT_RETRY, maxAttempts: 3 }).retry).toBe(false);
    expect(retryDecision(pgError('40001'), 2, 0, { ...DEFAULT_RETRY, maxAttempts: 3 }).retry).toBe(true);
  });

  it('retryIf decides instead of the codes, with the attempt that failed, within the same bounds', () => {
    const seen: [unknown, number][] = [];
    const retryIf = (error: unknown, attempt: number) => {
      seen.push([error, attempt]);
      return (error as Error).message === 'flaky';
    };
    const retry = { ...DEFAULT_RETRY, retryIf };
    const flaky = new Error('flaky');
    expect(retryDecision(flaky, 2, 0, retry, () => 0.5)).toEqual({ retry: true, code: undefined, delayMs: 10 });
    expect(seen).toEqual([[flaky, 2]]);
    expect(retryDecision(pgError('40001'), 1, 0, retry).retry).toBe(false);
    expect(retryDecision(flaky, 1, DEFAULT_RETRY.maxElapsedMs, retry, () => 0.5).retry).toBe(false);
    expect(retryDecision(new CommitOutcomeUnknownError('x.ts:1', 1, flaky), 1, 0, { ...DEFAULT_RETRY, retryIf: () => true }).retry).toBe(false);
  });

  it('honours a configured set of SQLSTATEs', () => {
    const retry = { ...DEFAULT_RETRY, codes: ['55P03'] };
    expect(retryDecision(pgError('55P03'), 1, 0, retry).retry).toBe(true);
    expect(retryDecision(pgError('40001'), 1, 0, retry).retry).toBe(false);
  });

  it('never retries a COMMIT whose outcome is unknown, even if its cause carries a retryable code', () => {
    const unknown = new CommitOutcomeUnknownError('x.ts:1', 1, pgError('40001'));
    expect(retryDecision(unknown, 1, 0, DEFAULT_RETRY).retry).toBe(false);
  });

  it('a connection lost between statements carries the server code it was ended with', () => {
    expect(sqlstateOf(new ConnectionLostError('x.ts:1', 7, pgError('57P01')))).toBe('57P01');
    expect(sqlstateOf(new ConnectionLostError('x.ts:1', 7, new Error('Connection terminated unexpectedly')))).toBeUndefined();
  });

  it('finds the SQLSTATE through an app wrapper (cause)', () => {
    expect(sqlstateOf(new Error('wrapped', { cause: pgError('40P01') }))).toBe('40P01');
    expect(sqlstateOf(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toBeUndefined();
  });
});
