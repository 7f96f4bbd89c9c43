import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Cluster, standbyClogMissing, type StandbyClogMissingFault } from '@mvcc-doctor/lab';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClogReport } from '../../src/clog/check-clog.js';
import type { ClogPlan } from '../../src/clog/plan-clog.js';
import { cli } from '../check/run-check.js';
import { clogJson, NO_RESETWAL } from './clog-env.js';

/** Run one line of a plan, as a person would paste it into a shell. */
function sh(line: string): string {
  return execFileSync('sh', ['-c', line], { encoding: 'utf8' });
}

describe.skipIf(Boolean(NO_RESETWAL))('clog check and plan on a standby that lacks a pg_xact segment its primary has (PostgreSQL 15)', () => {
  let primary: Cluster;
  let standby: Cluster;
  let fault: StandbyClogMissingFault;
  let xid: number;
  beforeAll(async () => {
    primary = await Cluster.create({ major: 15, needs: ['pg_resetwal'], label: 'clog-primary' });
    fault = await standbyClogMissing(primary);
    standby = fault.standby.cluster;
    const error = (await standby.sql(`SELECT * FROM ${fault.table}`).then(() => ({ message: '' }), (e: unknown) => e)) as { message: string };
    xid = Number(/could not access status of transaction (\d+)/.exec(error.message)?.[1]);
  });
  afterAll(async () => {
    await fault?.release();
    await primary?.destroy();
  });

  it('over SQL on the standby: in recovery, the next XID from its last restartpoint, the segment missing; exit 2', async () => {
    const { code, doc } = await clogJson(['check', standby.connectionString(), '--xid', String(xid)]);
    expect(code).toBe(2);
    const { rows } = await standby.sql<{ next_xid: string }>('SELECT next_xid FROM pg_control_checkpoint()');
    expect(doc.server).toMatchObject({ inRecovery: true, major: 15 });
    expect(doc.transactions.checkpointNext).toBe(Number(rows[0]!.next_xid.split(':')[1]));
    expect(doc.slrus[0]!.problems).toEqual([expect.objectContaining({ file: fault.segment, kind: 'missing', certain: true })]);
    expect(doc.xids[0]).toMatchObject({ xid, from: ['xid'], file: 'missing', lost: true, location: { file: fault.segment, offset: Math.floor(xid / 4), shift: (xid % 4) * 2 } });
    const text = await cli(['clog', 'check', standby.connectionString()]);
    expect(text.stdout).toMatch(/^mvcc-doctor clog check — PostgreSQL 15\.\d+ .* \(standby, replayed to [0-9A-F]+\/[0-9A-F]+\), data directory /);
  });

  it('the primary has it: exit 0 there', async () => {
    const { code, doc } = await clogJson(['check', primary.connectionString(), '--xid', String(xid)]);
    expect(code).toBe(0);
    expect(doc.xids[0]).toMatchObject({ xid, file: 'present', status: 'committed', lost: false });
  });

  it('--pgdata on the standby\'s data directory: exit 2, a standby in archive recovery', async () => {
    const { code, doc } = await clogJson(['check', '--pgdata', standby.dataDir]);
    expect(code).toBe(2);
    expect(doc.source).toMatchObject({ kind: 'pgdata', running: true, state: 'in archive recovery' });
    expect(doc.server.inRecovery).toBe(true);
    expect(doc.slrus[0]!.problems.map((p) => p.file)).toEqual([fault.segment]);
  });

  it('plan: copy from the primary first; following its lines (cp, chown, chmod, sha256sum) the standby reads the rows again and check exits 0', async () => {
    const before = await clogJson<ClogPlan>(['plan', standby.connectionString(), '--xid', String(xid)]);
    expect(before.code).toBe(2);
    const copy = before.doc.steps[0]!;
    expect(copy).toMatchObject({ safety: 'safe', title: 'Copy the segment files from a node or backup that has them' });
    expect(copy.commands[0]).toMatch(/^# Sources, best first: the primary (this standby streams from \(127\.0\.0\.1:\d+\)|of this standby);/);
    expect(copy.commands).toContain(`ls -l ${fault.segment}    # at least ${(8192).toLocaleString('en-US')} bytes; 262,144 once its transactions ran through it (a file grows a page at a time)`);
    const target = join(standby.dataDir, fault.segment);

    // On the source (the primary), in its data directory: the file and its hash.
    const sourceHash = sh(`cd ${primary.dataDir} && ${copy.commands.find((c) => c.startsWith('sha256sum '))!}`).split(' ')[0];
    await standby.stop();
    const cp = copy.commands.find((c) => c.startsWith('cp '))!;
    expect(cp).toBe(`cp /path/to/source/${fault.segment} ${target}    # or: scp source-host:<its data directory>/${fault.segment} ${target}`);
    sh(cp.replace('/path/to/source', primary.dataDir));
    sh(copy.commands.find((c) => c.startsWith('chown '))!);
    const hashLine = copy.commands.filter((c) => c.startsWith('sha256sum ')).at(-1)!;
    expect(hashLine).toBe(`sha256sum ${target}    # must print the source's hashes`);
    expect(sh(hashLine).split(' ')[0]).toBe(sourceHash);
    await standby.start();

    const { rows } = await standby.sql(`SELECT id, v FROM ${fault.table} ORDER BY id, v`);
    expect(rows).toEqual(fault.expectedRows);
    const after = await clogJson<ClogReport>(['check', standby.connectionString(), '--xid', String(xid)]);
    expect(after.code).toBe(0);
    expect(after.doc.xids[0]).toMatchObject({ file: 'present', status: 'committed', lost: false });
    expect(existsSync(target)).toBe(true);
  });
});
