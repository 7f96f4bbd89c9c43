import { mkdtempSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LAB_ROOT_ENV, findLeftoverServers, serverUser, sweepLab } from '../src/index.js';

/**
 * One lab root per test run: every cluster of the run lives under it, so teardown can prove that no
 * postgres process of ours is left, and remove whatever a crashed test left on disk.
 */
export default function setup(): () => void {
  serverUser(); // create the unprivileged OS user once, before parallel workers race for it
  const root = mkdtempSync(join(tmpdir(), 'mvcc-doctor-test-'));
  chmodSync(root, 0o755);
  process.env[LAB_ROOT_ENV] = root;
  return () => {
    const left = findLeftoverServers(root);
    sweepLab(root);
    rmSync(root, { recursive: true, force: true });
    if (left.length > 0) {
      throw new Error(`postgres processes were left running after the tests: ${left.map((l) => `pid ${l.pid} (${l.dataDir})`).join(', ')}`);
    }
  };
}
