import { describe, expect, it } from 'vitest';
import { Lease } from './lease.js';
import { namedOpening } from './origin.js';
import { openLeases } from './registry.js';
import type { PoolClientLike, PoolLike } from './types.js';

const pool = { connect: () => Promise.reject(new Error('not used')) } as unknown as PoolLike;
const lease = (name: string) => new Lease('transaction', pool, { query: () => undefined, release: () => {} } as unknown as PoolClientLike, namedOpening(name), {}, 'app');
const names = () => openLeases().map((l) => l.opening.origin);

describe('registry', () => {
  it('lists open leases oldest first, whichever ends first, each once', () => {
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map(lease) as [Lease, Lease, Lease, Lease];
    expect(names()).toEqual(['a', 'b', 'c', 'd']);
    b.release();
    expect(names()).toEqual(['a', 'c', 'd']);
    a.release();
    d.release();
    expect(names()).toEqual(['c']);
    const e = lease('e');
    expect(names()).toEqual(['c', 'e']);
    c.release();
    c.release(); // released once: a second call changes nothing
    expect(names()).toEqual(['e']);
    e.release();
    expect(names()).toEqual([]);
    expect(names()).toEqual([]);
  });
});
