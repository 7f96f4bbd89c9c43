import { Cluster } from '@mvcc-doctor/lab';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findingsOf, verifyDb } from './run-verify.js';

/**
 * Insert a row past a unique index, as the lab's inconsistent shop does: with indisready off the insert skips
 * the index and its unique check; set back, the index lacks the row.
 */
async function insertPastIndex(cluster: Cluster, index: string, insert: string): Promise<void> {
  await cluster.sql(`UPDATE pg_index SET indisready = false WHERE indexrelid = '${index}'::regclass`);
  await cluster.sql(insert);
  await cluster.sql(`UPDATE pg_index SET indisready = true WHERE indexrelid = '${index}'::regclass`);
}

describe('unique-duplicates on expression, partial, NULLS NOT DISTINCT and partitioned keys (PostgreSQL 18)', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await Cluster.create({ label: 'verify-unique' });
  });
  afterAll(() => cluster?.destroy());

  it('an expression key under a partial index: a duplicate inside the WHERE is found, named by the expression; one outside it is not', async () => {
    await cluster.sql(`CREATE SCHEMA expr;
      CREATE TABLE expr.users (id int PRIMARY KEY, email text, active boolean NOT NULL);
      CREATE UNIQUE INDEX users_email_active ON expr.users (lower(email)) WHERE active;
      INSERT INTO expr.users VALUES (1, 'Ann@example.com', true), (2, 'ann@example.com', false), (3, 'bob@example.com', true)`);
    const clean = await verifyDb(cluster, 'postgres', { schema: 'expr', only: ['unique-duplicates'] });
    expect(clean.findings).toEqual([]);
    expect(clean.verifications[0]!.checked).toBe(2);

    await insertPastIndex(cluster, 'expr.users_email_active', `INSERT INTO expr.users VALUES (4, 'BOB@example.com', true)`);
    const report = await verifyDb(cluster, 'postgres', { schema: 'expr', only: ['unique-duplicates'] });
    const [f, ...more] = findingsOf(report, 'unique-duplicates');
    expect(more).toEqual([]);
    expect(f!.subject).toEqual({ database: 'postgres', schema: 'expr', table: 'users', index: 'users_email_active' });
    expect(f!.evidence).toEqual([{ 'lower(email)': 'bob@example.com', rows: 2, ctids: [expect.any(String), expect.any(String)] }]);
  });

  it('nulls: many are allowed under a plain unique key; under NULLS NOT DISTINCT two are a duplicate', async () => {
    await cluster.sql(`CREATE SCHEMA nulls;
      CREATE TABLE nulls.plain (id int PRIMARY KEY, code text UNIQUE);
      CREATE TABLE nulls.strict (id int PRIMARY KEY, code text, CONSTRAINT strict_code_key UNIQUE NULLS NOT DISTINCT (code));
      INSERT INTO nulls.plain VALUES (1, NULL), (2, NULL), (3, 'a');
      INSERT INTO nulls.strict VALUES (1, NULL), (2, 'a')`);
    await insertPastIndex(cluster, 'nulls.strict_code_key', 'INSERT INTO nulls.strict VALUES (3, NULL)');
    const report = await verifyDb(cluster, 'postgres', { schema: 'nulls', only: ['unique-duplicates'] });
    expect(findingsOf(report, 'unique-duplicates').map((f) => [f.subject.table, f.subject.constraint, f.evidence])).toEqual([
      ['strict', 'strict_code_key', [{ code: null, rows: 2, ctids: [expect.any(String), expect.any(String)] }]],
    ]);
  });

  it('a partitioned table: checked once through its parent index, the ctids name their partition', async () => {
    await cluster.sql(`CREATE SCHEMA part;
      CREATE TABLE part.events (region text, id int, PRIMARY KEY (region, id)) PARTITION BY LIST (region);
      CREATE TABLE part.events_eu PARTITION OF part.events FOR VALUES IN ('eu');
      CREATE TABLE part.events_us PARTITION OF part.events FOR VALUES IN ('us');
      INSERT INTO part.events VALUES ('eu', 1), ('eu', 2), ('us', 1)`);
    await insertPastIndex(cluster, 'part.events_eu_pkey', `INSERT INTO part.events VALUES ('eu', 2)`);
    const report = await verifyDb(cluster, 'postgres', { schema: 'part', only: ['unique-duplicates'] });
    expect(report.verifications[0]!.checked).toBe(1);
    const [f, ...more] = findingsOf(report, 'unique-duplicates');
    expect(more).toEqual([]);
    expect(f!.subject).toMatchObject({ table: 'events', constraint: 'events_pkey' });
    expect(f!.evidence).toEqual([{ region: 'eu', id: '2', rows: 2, ctids: [expect.stringMatching(/^part\.events_eu:\(\d+,\d+\)$/), expect.stringMatching(/^part\.events_eu:\(\d+,\d+\)$/)] }]);
  });
});
