import { existsSync, readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { Cluster, LabError, findLeftoverServers, labRoot, listInstallations } from '../src/index.js';

const majors = [...new Set(listInstallations().map((i) => i.major))];

describe.each(majors)('throwaway cluster, PostgreSQL %i', (major) => {
  let cluster: Cluster;
  afterAll(() => cluster?.destroy());

  it('starts on 127.0.0.1 with the requested settings, as an unprivileged user', async () => {
    cluster = await Cluster.create({
      major,
      checksums: true,
      pgStatStatements: true,
      autovacuum: { naptime: '5s', vacuum_scale_factor: 0.05 },
      log: { linePrefix: '%m [%p] app=%a ', csv: true, json: true },
    });
    const { rows } = await cluster.sql<{ name: string; setting: string }>(
      `SELECT name, setting FROM pg_settings WHERE name IN
         ('data_checksums','shared_preload_libraries','autovacuum_naptime','autovacuum_vacuum_scale_factor',
          'max_prepared_transactions','wal_level','log_lock_waits','log_line_prefix','listen_addresses')`,
    );
    const settings = Object.fromEntries(rows.map((r) => [r.name, r.setting]));
    expect(settings).toMatchObject({
      data_checksums: 'on',
      shared_preload_libraries: 'pg_stat_statements',
      autovacuum_naptime: '5',
      autovacuum_vacuum_scale_factor: '0.05',
      max_prepared_transactions: '10',
      wal_level: 'logical',
      log_lock_waits: 'on',
      log_line_prefix: '%m [%p] app=%a ',
      listen_addresses: '127.0.0.1',
    });
    const owner = await cluster.sql<{ v: string }>(`SELECT current_setting('server_version_num') AS v`);
    expect(Math.floor(Number(owner.rows[0]?.v) / 10000)).toBe(major);
    // The postmaster runs as a non-root OS user.
    const status = readFileSync(`/proc/${cluster.pid}/status`, 'utf8');
    expect(/^Uid:\s+(\d+)/m.exec(status)?.[1]).not.toBe('0');
  });

  it('writes the server log with the chosen prefix, and csvlog/jsonlog where the version has them', async () => {
    await cluster.sql(`DO $$ BEGIN RAISE LOG 'lab-log-marker'; END $$`);
    await expect.poll(() => cluster.readLog(), { timeout: 5000 }).toMatch(/app=mvcc-doctor-lab-admin LOG: {2}lab-log-marker/);
    expect(existsSync(`${cluster.logDir}/postgresql.csv`)).toBe(true);
    expect(existsSync(`${cluster.logDir}/postgresql.json`)).toBe(major >= 15);
  });

  it('stops by pid and leaves no process and no data dir behind', async () => {
    const { dir, pid } = cluster;
    await cluster.destroy();
    expect(existsSync(dir)).toBe(false);
    expect(findLeftoverServers(labRoot()).map((l) => l.pid)).not.toContain(pid);
  });
});

describe('clear errors', () => {
  it('names a missing major version and how to get it', async () => {
    const error = await Cluster.create({ major: 9 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LabError);
    expect((error as LabError).code).toBe('missing-binary');
    expect((error as LabError).message).toMatch(/no PostgreSQL 9 binaries found/);
  });

  it('names a failed initdb, with initdb\'s own reason, and leaves nothing behind', async () => {
    const error = await Cluster.create({ initdbArgs: ['--wal-segsize=3'] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LabError);
    expect((error as LabError).code).toBe('initdb-failed');
    expect((error as LabError).message).toMatch(/^initdb of PostgreSQL \d+\.\d+ failed in \S+\/data: .*wal-segsize/);
    const dir = /failed in (\S+)\/data:/.exec((error as LabError).message)![1]!;
    expect(existsSync(dir)).toBe(false);
  });

  it('names a port that is already in use', async () => {
    const first = await Cluster.create();
    try {
      const error = await Cluster.create({ port: first.port }).catch((e: unknown) => e);
      expect((error as LabError).code).toBe('port-in-use');
      expect((error as LabError).message).toContain(String(first.port));
    } finally {
      await first.destroy();
    }
  });
});
