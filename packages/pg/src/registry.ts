import type { LeaseInfo } from './events.js';
import type { Lease } from './lease.js';

// Process-wide on purpose: crash handlers, the watchdog and the HTTP handler all see every open transaction.
const open = new Set<Lease>();

export function register(lease: Lease): void {
  open.add(lease);
}

export function unregister(lease: Lease): void {
  open.delete(lease);
}

/** The leases currently checked out through the library, oldest first. */
export function openLeases(): Lease[] {
  return [...open];
}

/** The open transactions and checked-out clients of this process, oldest first (the HTTP handler serves this). */
export function openTransactions(): LeaseInfo[] {
  const now = Date.now();
  return openLeases().map((lease) => lease.info(now));
}
