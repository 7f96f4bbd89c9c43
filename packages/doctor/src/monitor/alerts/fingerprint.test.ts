import { describe, expect, it } from 'vitest';
import { fingerprint } from './fingerprint.js';

describe('fingerprint', () => {
  // The vectors of prometheus/common model/signature_test.go (decimal there, hex as Alertmanager prints it).
  it('matches prometheus/common for the empty set and its two-label example', () => {
    expect(fingerprint({})).toBe(14695981039346656037n.toString(16));
    expect(fingerprint({ name: 'garland, briggs', fear: 'love is not enough' })).toBe(5799056148416392346n.toString(16).padStart(16, '0'));
  });

  it('does not depend on the order labels were set in, and tells values apart', () => {
    expect(fingerprint({ a: '1', b: '2' })).toBe(fingerprint({ b: '2', a: '1' }));
    expect(fingerprint({ a: '1', b: '2' })).not.toBe(fingerprint({ a: '1', b: '3' }));
    // The separator keeps "ab"+"c" apart from "a"+"bc".
    expect(fingerprint({ x: 'ab', y: 'c' })).not.toBe(fingerprint({ x: 'a', y: 'bc' }));
  });

  it('pads to 16 hex digits', () => {
    expect(fingerprint({ alertname: 'MvccXidWraparound', cluster: 'prod' })).toMatch(/^[0-9a-f]{16}$/);
  });
});
