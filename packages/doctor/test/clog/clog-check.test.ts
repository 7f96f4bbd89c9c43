import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Cluster, clogMissing, type ClogMissingFault } from '@mvcc-doctor/lab';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClogReport } from '../../src/clog/check-clog.js';
import { cli } from '../check/run-check.js';
import { bitsIn, clogJson, NO_RESETWAL } from './clog-env.js';

describe.skipIf(Boolean(NO_RESETWAL))('clog check: a missing pg_xact segment holding unhinted rows (PostgreSQL 15)', () => {
  let cluster: Cluster;
  let fault: ClogMissingFault;
  let healthy: { code: number; doc: ClogReport };
  let failure: { message: string; detail: string; code: string };
  const url = (user = 'postgres') => cluster.connectionString().replace('postgres@', `${user}@`);

  beforeAll(async () => {
    // The logging collector gives the server a log file of its own, which pg_current_logfile() names.
    cluster = await Cluster.create({ major: 15, needs: ['pg_resetwal'], label: 'clog-check', log: { csv: true } });
    healthy = await clogJson(['check', url()]);
    fault = await clogMissing(cluster, { firstXid: 1_000_000 });
    failure = (await cluster.sql(`SELECT * FROM ${fault.table}`).then(() => ({}), (e: unknown) => e)) as typeof failure;
  });
  afterAll(() => cluster?.destroy());

  it('before the fault: every segment is there, nothing skipped, exit 0', () => {
    expect(healthy.code).toBe(0);
    expect(healthy.doc.exit_code).toBe(0);
    expect(healthy.doc.skipped).toEqual([]);
    expect(healthy.doc.slrus.map((s) => [s.dir, s.problems, s.gaps])).toEqual([
      ['pg_xact', [], []],
      ['pg_multixact/offsets', [], []],
      ['pg_multixact/members', [], []],
    ]);
  });

  it('over SQL as a superuser: pg_xact/0000 is missing, needed for the oldest XID; exit 2', async () => {
    expect(failure).toMatchObject({ code: '58P01', message: 'could not access status of transaction 1000003' });
    const { code, doc } = await clogJson(['check', url()]);
    expect(code).toBe(2);
    expect(doc).toMatchObject({ exit_code: 2, skipped: [], server: { major: 15, inRecovery: false, blockSize: 8192, dataDirectory: cluster.dataDir } });
    expect(doc.transactions).toMatchObject({ oldest: expect.any(Number), next: 1_048_576, checkpointNext: 1_048_576 });
    const xact = doc.slrus.find((s) => s.dir === 'pg_xact')!;
    expect(xact.problems).toEqual([
      // At least up to page 30, where the failing transaction 1,000,003 (found in the log) has its bits.
      expect.objectContaining({ file: 'pg_xact/0000', kind: 'missing', size: 0, neededBytes: 31 * 8192, segmentBytes: 262_144, firstId: doc.transactions.oldest, lastId: 1_048_575, certain: true }),
    ]);
    expect(doc.slrus.filter((s) => s.dir !== 'pg_xact').flatMap((s) => s.problems)).toEqual([]);
  });

  it('maps the failing XID of the real error to its file, byte and bits: hand-computed, and the very file the server could not open', async () => {
    const xid = Number(/transaction (\d+)/.exec(failure.message)![1]);
    // 1,000,003 = 0xF4243: file 0xF4243 >> 20 = 0 → "0000"; byte 0xF4243 >> 2 = 250,000 (page 250,000 / 8,192 = 30); shift (1,000,003 % 4) * 2 = 6.
    expect(xid).toBe(1_000_003);
    const { code, doc } = await clogJson(['check', url()]); // the XID comes from the server log
    expect(code).toBe(2);
    expect(doc.log?.hits).toContainEqual({ id: xid, file: 'pg_xact/0000', count: expect.any(Number) });
    const report = doc.xids.find((x) => x.xid === xid)!;
    expect(report).toMatchObject({ from: ['log'], fullXid: xid, epoch: 0, inUse: true, file: 'missing', lost: true });
    expect(report.location).toEqual({ xid, fullXid: xid, epoch: 0, segment: '0000', file: 'pg_xact/0000', offset: 250_000, page: 30, shift: 6 });
    expect(report.server).toBeUndefined(); // with the files listed, the server is not asked (its refusal would log an ERROR)
    // The file the server named is the one we map to, and it is the one that is gone.
    expect(failure.detail).toBe(`Could not open file "${report.location.file}": No such file or directory.`);
    expect(report.location.file).toBe(fault.segment);
    expect(existsSync(join(cluster.dataDir, report.location.file))).toBe(false);
    // And the saved copy of that file holds, at that byte and shift, what the transaction did: the DELETE committed (01).
    const saved = readFileSync(fault.savedCopy);
    expect(bitsIn(saved, report.location.offset, report.location.shift)).toBe(1);
  });

  it('--xid maps any XID the same way; the copy confirms the rolled-back insert (10) and its committed retry (01) next to it', async () => {
    const { doc } = await clogJson(['check', url(), '--xid', String(fault.lost.aborted), '--xid', `0:${fault.lost.retried}`]);
    const aborted = doc.xids.find((x) => x.xid === 1_000_008)!;
    const retried = doc.xids.find((x) => x.xid === 1_000_009)!;
    // 1,000,008 >> 2 = 250,002, shift 0; 1,000,009 >> 2 = 250,002, shift 2: one byte holds both.
    expect([aborted.location.offset, aborted.location.shift, retried.location.offset, retried.location.shift]).toEqual([250_002, 0, 250_002, 2]);
    expect([aborted.from, retried.from]).toEqual([['xid'], ['xid']]);
    const saved = readFileSync(fault.savedCopy);
    expect([bitsIn(saved, 250_002, 0), bitsIn(saved, 250_002, 2)]).toEqual([2, 1]);
  });

  it('--pgdata on the running cluster: the same finding from the files and pg_control, no connection', async () => {
    const { code, doc } = await clogJson(['check', '--pgdata', cluster.dataDir, '--xid', '1000003']);
    expect(code).toBe(2);
    expect(doc.source).toEqual({ kind: 'pgdata', dataDirectory: cluster.dataDir, running: true, state: 'in production' });
    expect(doc.slrus[0]!.problems).toEqual([expect.objectContaining({ file: 'pg_xact/0000', kind: 'missing', certain: true })]);
    expect(doc.xids[0]).toMatchObject({ xid: 1_000_003, file: 'missing', lost: true, location: { offset: 250_000, shift: 6 } });
    expect(doc.xids[0]!.server).toBeUndefined();
  });

  it('a role without superuser: "skipped: needs …" and exit 3; with --xid, the server\'s own answer still proves the loss (exit 2)', async () => {
    await cluster.sql('CREATE ROLE clog_plain LOGIN');
    const text = await cli(['clog', 'check', url('clog_plain')]);
    expect(text.code).toBe(3);
    expect(text.stdout).toMatch(/^skipped: segment files — needs superuser \(or GRANT EXECUTE ON FUNCTION pg_ls_dir\(text, boolean, boolean\), pg_stat_file\(text, boolean\), pg_read_binary_file\(text, bigint, bigint, boolean\) TO clog_plain\)$/m);
    expect(text.stdout).toMatch(/^skipped: server log — needs superuser/m);
    expect(text.stdout).toContain('could not diagnose');
    const probed = await clogJson(['check', url('clog_plain'), '--xid', '1000003']);
    expect(probed.code).toBe(2);
    expect(probed.doc.slrus).toEqual([]);
    expect(probed.doc.xids[0]).toMatchObject({ file: 'unknown', lost: true, server: { code: '58P01', error: 'could not access status of transaction 1000003' } });
    // Its probe's ERROR is in the server log, tagged: a later check does not count it as the application's.
    expect(cluster.readLog()).toMatch(/STATEMENT: {2}\/\* mvcc-doctor \*\/ SELECT pg_xact_status/);
  });

  it('a role granted EXECUTE on the three file functions sees the files without superuser', async () => {
    await cluster.sql('CREATE ROLE clog_lister LOGIN');
    await cluster.sql(`GRANT EXECUTE ON FUNCTION pg_ls_dir(text, boolean, boolean), pg_stat_file(text, boolean), pg_read_binary_file(text, bigint, bigint, boolean) TO clog_lister`);
    const { code, doc } = await clogJson(['check', url('clog_lister')]);
    expect(code).toBe(2);
    expect(doc.source).toMatchObject({ kind: 'sql', superuser: false, user: 'clog_lister' });
    expect(doc.skipped.map((s) => s.what)).toEqual(['server log']);
    expect(doc.slrus[0]!.problems.map((p) => p.file)).toEqual(['pg_xact/0000']);
  });

  it('the terminal report names the segment, the byte and bits, and the exact clog plan command', async () => {
    const { code, stdout } = await cli(['clog', 'check', url()]);
    expect(code).toBe(2);
    expect(stdout).toContain('MISSING pg_xact/0000  needs at least 253,952 bytes (262,144 when whole): transactions 716 … 1,048,575 — it holds the oldest transaction in use (716)');
    expect(stdout).toContain('pg_xact/0000, byte 250,000 (0x3D090) of page 30, bits 6-7 (shift 6)');
    expect(stdout).toContain(`Next: mvcc-doctor clog plan postgresql://postgres@127.0.0.1:${cluster.port}/postgres --xid 1000003\n`);
    expect(stdout).toMatch(/critical: 1 segment\(s\) missing or short; status of 1 failing transaction\(s\) unreadable — exit 2\n$/);
  });

  it('--pgdata on the stopped cluster, with the log given: exit 2, state "shut down"', async () => {
    await cluster.stop();
    try {
      const { code, doc } = await clogJson(['check', '--pgdata', cluster.dataDir, '--log', cluster.logFile]);
      expect(code).toBe(2);
      expect(doc.source).toMatchObject({ running: false, state: 'shut down' });
      expect(doc.xids.map((x) => [x.xid, x.from, x.location.file])).toEqual([[1_000_003, ['log'], 'pg_xact/0000']]);
    } finally {
      await cluster.start();
    }
  });
});
