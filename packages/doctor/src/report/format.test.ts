import { describe, expect, it } from 'vitest';
import { formatCount } from './format.js';

describe('formatCount', () => {
  it.each([0, 7, 999, 1000, 12345, 123456, 1234567, 2_000_000_000, -1234567, 999.6, 1e15])('%d as en-US writes it', (n) => {
    expect(formatCount(n)).toBe(Math.round(n).toLocaleString('en-US'));
  });
});
