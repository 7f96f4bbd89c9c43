import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster } from '../../src/index.js';
import { findInstallation } from '../../src/installations.js';
import { clogMissing, type ClogMissingFault } from '../../src/scenarios/clog-missing.js';
import { standbyClogMissing, type StandbyClogMissingFault } from '../../src/scenarios/standby-clog-missing.js';

const noResetWal = (() => {
  try {
    findInstallation({ major: 15, needs: ['pg_resetwal', 'pg_basebackup'] });
    return false;
  } catch (error) {
    return (error as Error).message;
  }
})();

describe.skipIf(Boolean(noResetWal))('scenario: a missing pg_xact segment holding unhinted rows', () => {
  let cluster: Cluster;
  let fault: ClogMissingFault;
  beforeAll(async () => {
    cluster = await Cluster.create({ major: 15, needs: ['pg_resetwal'], label: 'clog' });
    fault = await clogMissing(cluster, { firstXid: 1_000_000 });
  });
  afterAll(() => cluster?.destroy());

  it('the transactions took the XIDs planned, all in pg_xact/0000, and NextXID opens the next segment', () => {
    expect(fault.lost).toEqual({ deleted: 1_000_003, updated: 1_000_004, inserted: [1_000_005, 1_000_006, 1_000_007], aborted: 1_000_008, retried: 1_000_009 });
    expect(fault.segment).toBe('pg_xact/0000');
    expect(fault.nextXid).toBe(1_048_576);
    expect(existsSync(join(cluster.dataDir, 'pg_xact/0000'))).toBe(false);
    expect(readFileSync(fault.savedCopy).length).toBe(fault.segmentBytes);
  });

  it('a read fails with 58P01 "could not access status of transaction", naming the file; the server itself says so in its log', async () => {
    const error = await cluster.sql(`SELECT * FROM ${fault.table}`).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: '58P01', message: `could not access status of transaction ${fault.lost.deleted}`, detail: 'Could not open file "pg_xact/0000": No such file or directory.' });
    // Every lost transaction fails alone too: the server has none of their status.
    for (const xid of [fault.lost.updated, fault.lost.aborted, fault.lost.retried]) {
      await expect(cluster.sql('SELECT pg_xact_status($1::text::xid8)', [String(xid)])).rejects.toMatchObject({ code: '58P01' });
    }
    expect(cluster.readLog()).toContain(`ERROR:  could not access status of transaction ${fault.lost.deleted}`);
  });

  it('the rest of the cluster works: other tables are written and read', async () => {
    await cluster.sql('CREATE TABLE lab_clog_other (id int)');
    await cluster.sql('INSERT INTO lab_clog_other VALUES (1)');
    expect((await cluster.sql('SELECT count(*)::int AS n FROM lab_clog_other')).rows).toEqual([{ n: 1 }]);
  });

  it('release puts the file back: the rows read with their real status', async () => {
    await fault.release();
    const { rows } = await cluster.sql(`SELECT id, v FROM ${fault.table} ORDER BY id, v`);
    expect(rows).toEqual(fault.expectedRows);
  });
});

describe.skipIf(Boolean(noResetWal))('scenario: a standby without a pg_xact segment its primary has', () => {
  let primary: Cluster;
  let fault: StandbyClogMissingFault;
  beforeAll(async () => {
    primary = await Cluster.create({ major: 15, needs: ['pg_resetwal'], label: 'clog-primary' });
    fault = await standbyClogMissing(primary);
  });
  afterAll(async () => {
    await fault?.release();
    await primary?.destroy();
  });

  it('the standby fails to read the rows, the primary reads them; the file is gone on the standby only', async () => {
    const standby = fault.standby.cluster;
    expect((await standby.sql<{ r: boolean }>('SELECT pg_is_in_recovery() AS r')).rows).toEqual([{ r: true }]);
    await expect(standby.sql(`SELECT * FROM ${fault.table}`)).rejects.toMatchObject({ code: '58P01', detail: `Could not open file "${fault.segment}": No such file or directory.` });
    expect(existsSync(join(standby.dataDir, fault.segment))).toBe(false);
    expect(existsSync(join(primary.dataDir, fault.segment))).toBe(true);
    const { rows } = await primary.sql(`SELECT id, v FROM ${fault.table} ORDER BY id, v`);
    expect(rows).toEqual(fault.expectedRows);
  });
});
