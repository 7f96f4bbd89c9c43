import { expect, it } from 'vitest';
import { runDemo } from '../src/demo/run-demo.js';
import { canReproduceWraparound } from '../src/demo/wraparound-incident.js';
import { findLeftoverServers, labRoot } from '@mvcc-doctor/lab';

it('demo reproduces the incident faults, diagnoses each, and leaves nothing behind', async () => {
  let out = '';
  await runDemo({ color: false, say: (text) => (out += `${text}\n`) });
  for (const check of ['lock-blocking', 'xmin-horizon', 'idle-in-transaction', 'prepared-transaction', 'replication-slot', 'dead-tuples', 'autovacuum-disabled', 'deadlocks']) {
    expect(out, check).toMatch(new RegExp(`^(CRITICAL|WARNING |INFO    ) ${check}\\b`, 'm'));
  }
  expect(out).toMatch(/SQLSTATE 40P01/);
  expect(out).toMatch(/ROLLBACK PREPARED 'lab_in_doubt_/);
  expect(out).toMatch(/SELECT pg_cancel_backend\(\d+\); {2}-- cancel the waiting DDL first/);
  if (canReproduceWraparound()) {
    expect(out).toMatch(/ERROR: {2}database is not accepting commands to avoid wraparound data loss in database "incident"/);
    expect(out).toMatch(/^CRITICAL xid-wraparound {2}db incident$/m);
    expect(out).toMatch(/it is in the stop zone and refuses every command that needs a new transaction ID/);
    // …and rescued live: blockers released on confirmation, frozen oldest first, writes accepted again.
    expect(out).toMatch(/released {2}prepared transaction 'lab_wraparound_/);
    expect(out).toMatch(/Every database that accepts connections is under the target/);
    expect(out).toContain('an application write now: INSERT 0 1 — the database accepts writes again');
  }
  const dir = /removed (\S+) \(/.exec(out)?.[1];
  expect(dir).toBeTruthy();
  expect(findLeftoverServers(labRoot()).filter((s) => s.dataDir.startsWith(dir!))).toEqual([]);
});
