import { describe, expect, it } from 'vitest';
import { captureOpening } from './origin.js';

const options = { frames: 10, root: process.cwd(), ignoreFile: undefined };

function openHere() {
  return captureOpening(openHere, options);
}

describe('origin', () => {
  it('names the caller file:line (source-mapped, relative to the root)', () => {
    const opening = openHere(); const line = 12; // this line
    expect(opening.origin).toBe(`packages/pg/src/origin.test.ts:${line}`);
    expect(opening.stack()).toContain('origin.test.ts:12');
  });

  it('gives the same origin from the cache on the next call at the same site', () => {
    const origins = [1, 2, 3].map(() => openHere().origin);
    expect(new Set(origins).size).toBe(1);
    expect(origins[0]).toMatch(/origin\.test\.ts:\d+$/);
  });

  it('skips frames the app asks to skip (its own helper)', () => {
    const helper = () => captureOpening(helper, { ...options, ignoreFile: (path) => path.endsWith('origin.test.ts') });
    expect(helper().origin).not.toContain('origin.test.ts');
  });
});
