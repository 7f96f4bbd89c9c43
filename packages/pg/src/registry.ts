import type { LeaseInfo } from './events.js';
import type { Lease } from './lease.js';

// Process-wide on purpose: crash handlers, the watchdog and the HTTP handler all see every open transaction. A list
// threaded through the leases, oldest first: registering and unregistering are a few field writes, no hashing.
let first: Lease | undefined;
let last: Lease | undefined;

export function register(lease: Lease): void {
  lease.registryPrevious = last;
  lease.registryNext = undefined;
  if (last === undefined) first = lease;
  else last.registryNext = lease;
  last = lease;
}

export function unregister(lease: Lease): void {
  const { registryPrevious: previous, registryNext: next } = lease;
  // Not in the list (never registered, or already out): nothing to unlink.
  if (previous === undefined && first !== lease) return;
  if (previous === undefined) first = next;
  else previous.registryNext = next;
  if (next === undefined) last = previous;
  else next.registryPrevious = previous;
  lease.registryPrevious = lease.registryNext = undefined;
}

/** The leases currently checked out through the library, oldest first. */
export function openLeases(): Lease[] {
  const leases: Lease[] = [];
  for (let lease = first; lease !== undefined; lease = lease.registryNext) leases.push(lease);
  return leases;
}

/** The open transactions and checked-out clients of this process, oldest first (the HTTP handler serves this). */
export function openTransactions(): LeaseInfo[] {
  const now = Date.now();
  return openLeases().map((lease) => lease.info(now));
}
