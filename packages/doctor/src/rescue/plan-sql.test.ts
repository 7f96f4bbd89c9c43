import { describe, expect, it } from 'vitest';
import { locksByDatabase, type ClusterLockRow } from './plan-sql.js';

const lock = (oid: number, datname: string | null): ClusterLockRow => ({ oid, datname, mode: 'ShareUpdateExclusiveLock', pid: 7, gid: null, backend_type: 'client backend' });

describe('locksByDatabase', () => {
  it("gives each database its own locks and a shared catalog's to every one", () => {
    const rows = [lock(16384, 'app'), lock(16400, 'other'), lock(1262, null)];
    const locks = locksByDatabase(rows, ['app', 'other', 'quiet']);
    expect(locks.app!.map((l) => l.oid)).toEqual([16384, 1262]);
    expect(locks.other!.map((l) => l.oid)).toEqual([16400, 1262]);
    expect(locks.quiet!.map((l) => l.oid)).toEqual([1262]);
    expect(locks.app![0]).not.toHaveProperty('datname');
  });

  it('gives a database with no locks an empty list, and none to a database not asked for', () => {
    expect(locksByDatabase([lock(16384, 'gone')], ['app'])).toEqual({ app: [] });
  });
});
