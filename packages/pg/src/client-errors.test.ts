import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { Lease } from './lease.js';
import { namedOpening } from './origin.js';
import type { PoolClientLike, PoolLike } from './types.js';

// A client is an EventEmitter like node-postgres' own; the pool is never asked for anything here.
function client(): EventEmitter & PoolClientLike {
  return Object.assign(new EventEmitter(), { query: () => undefined, release: () => {}, processID: 7 }) as unknown as EventEmitter & PoolClientLike;
}
const pool = { connect: () => Promise.reject(new Error('not used')) } as unknown as PoolLike;
const lease = (c: PoolClientLike) => new Lease('transaction', pool, c, namedOpening('test.errors'), {}, 'app');

describe('client errors', () => {
  it("go to the lease holding the client, with one listener for the client's life", () => {
    const c = client();
    const first = lease(c);
    expect(c.listenerCount('error')).toBe(1);
    first.release();
    const second = lease(c);
    expect(c.listenerCount('error')).toBe(1);
    const lost = new Error('connection terminated');
    c.emit('error', lost);
    expect(second.connectionError).toBe(lost);
    expect(first.connectionError).toBeUndefined();
    second.release();
  });

  it("between leases, are the pool's (its idle listener) or, with nobody else listening, unhandled as before", () => {
    const c = client();
    lease(c).release();
    expect(() => c.emit('error', new Error('nobody listens'))).toThrow('nobody listens');
    const seen: Error[] = [];
    c.on('error', (error: Error) => seen.push(error));
    expect(() => c.emit('error', new Error('idle error'))).not.toThrow();
    expect(seen.map((e) => e.message)).toEqual(['idle error']);
  });
});
