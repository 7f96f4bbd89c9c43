import { expect, it } from 'vitest';
import { runDemo } from '../src/demo/run-demo.js';
import { findLeftoverServers, labRoot } from '../src/lab/index.js';

it('demo reproduces the incident faults, diagnoses each, and leaves nothing behind', async () => {
  let out = '';
  await runDemo({ color: false, say: (text) => (out += `${text}\n`) });
  for (const check of ['lock-blocking', 'xmin-horizon', 'idle-in-transaction', 'prepared-transaction', 'replication-slot', 'dead-tuples', 'autovacuum-disabled', 'deadlocks']) {
    expect(out, check).toMatch(new RegExp(`^(CRITICAL|WARNING |INFO    ) ${check}\\b`, 'm'));
  }
  expect(out).toMatch(/SQLSTATE 40P01/);
  expect(out).toMatch(/ROLLBACK PREPARED 'lab_in_doubt_/);
  expect(out).toMatch(/SELECT pg_cancel_backend\(\d+\); {2}-- cancel the waiting DDL first/);
  const dir = /removed (\S+) \(/.exec(out)?.[1];
  expect(dir).toBeTruthy();
  expect(findLeftoverServers(labRoot()).filter((s) => s.dataDir.startsWith(dir!))).toEqual([]);
});
