import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster } from '@mvcc-doctor/lab';
import type { SalvagePlan } from '../../src/corruption/salvage-plan.js';
import type { SalvageResult } from '../../src/corruption/salvage-run.js';
import { cli, nextXid, relationOf, scanJson, urlAs } from './helpers.js';

/**
 * The healthy case: a checksummed cluster with every kind of relation the scan meets (expression, partial,
 * descending and GIN indexes, TOASTed values, partitions, a materialized view, identity and generated columns,
 * names that need quotes, an empty table). Nothing is corrupt, so the scan says so and exits 0, as a superuser
 * with amcheck and as a role with SELECT only; a salvage of a whole table copies every row.
 */
describe('corruption scan and salvage on a healthy cluster (PostgreSQL 18, checksums)', () => {
  let cluster: Cluster;

  beforeAll(async () => {
    cluster = await Cluster.create({ checksums: true, autovacuum: false, label: 'corruption-healthy' });
    for (const sql of [
      'CREATE EXTENSION amcheck',
      `CREATE TABLE public.people (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text NOT NULL, bio text, tags text[],
         email_len int GENERATED ALWAYS AS (length(email)) STORED, created timestamptz DEFAULT now())`,
      `INSERT INTO public.people (email, bio, tags) SELECT 'user' || g || '@example.com', CASE WHEN g % 100 = 0 THEN repeat(md5(g::text), 400) END,
         ARRAY['t' || (g % 7)] FROM generate_series(1, 3000) g`,
      'CREATE INDEX people_email_lower ON public.people (lower(email))',
      'CREATE INDEX people_recent ON public.people (created DESC, id) WHERE id > 100',
      'CREATE INDEX people_tags ON public.people USING gin (tags)',
      'CREATE SCHEMA "Odd Schema"',
      'CREATE TABLE "Odd Schema"."Mixed Case" ("Key" int PRIMARY KEY, "the value" text)',
      `INSERT INTO "Odd Schema"."Mixed Case" SELECT g, 'v' || g FROM generate_series(1, 500) g`,
      'CREATE TABLE public.events (at date NOT NULL, what text) PARTITION BY RANGE (at)',
      "CREATE TABLE public.events_2025 PARTITION OF public.events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')",
      "CREATE TABLE public.events_2026 PARTITION OF public.events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')",
      "INSERT INTO public.events SELECT date '2025-06-01' + (g % 400), 'e' || g FROM generate_series(1, 2000) g",
      'CREATE MATERIALIZED VIEW public.people_count AS SELECT count(*) AS n FROM public.people',
      'CREATE TABLE public.empty (id int)',
      'CREATE VIEW public.people_view AS SELECT id, email FROM public.people',
      'CREATE ROLE reader LOGIN',
      'GRANT USAGE ON SCHEMA "Odd Schema" TO reader',
      'GRANT SELECT ON ALL TABLES IN SCHEMA public, "Odd Schema" TO reader',
      'VACUUM (FREEZE, ANALYZE)',
      'VACUUM',
    ]) {
      await cluster.sql(sql);
    }
  });
  afterAll(async () => {
    await cluster?.destroy();
  });

  const TABLES = ['"Odd Schema"."Mixed Case"', '"public"."empty"', '"public"."events_2025"', '"public"."events_2026"', '"public"."people"', '"public"."people_count"'];
  const BTREES = ['"Odd Schema"."Mixed Case_pkey"', '"public"."people_email_lower"', '"public"."people_pkey"', '"public"."people_recent"'];

  it('as a superuser with amcheck: every relation clean, nothing skipped, exit 0, no XID', async () => {
    const before = await nextXid(cluster);
    const { code, scan } = await scanJson([cluster.connectionString()]);
    expect(scan.relations.filter((r) => r.status !== 'clean')).toEqual([]);
    expect(scan.skipped).toEqual([]);
    expect(code).toBe(0);
    expect(scan.relations.filter((r) => r.kind === 'table').map((r) => r.relation).sort()).toEqual(TABLES);
    expect(scan.relations.filter((r) => r.kind === 'index').map((r) => r.relation).sort()).toEqual(BTREES);
    expect(scan.relations.filter((r) => r.kind === 'index').every((r) => r.method === 'amcheck')).toBe(true);
    expect(relationOf(scan, '"public"."people"')).toMatchObject({ rows_readable: 3000, amcheck: [], blocks: [] });
    expect(relationOf(scan, '"public"."people"').notes).toEqual(['index "public"."people_tags" not checked: only B-tree indexes are (this one is gin)']);
    expect(relationOf(scan, '"public"."empty"')).toMatchObject({ pages: 0, rows_readable: 0, readable: [] });
    expect(scan.summary).toMatchObject({ corrupt_relations: 0, unverified_relations: 0, bad_blocks: 0, bad_tuples: 0, rows_readable: 3000 + 500 + 2000 + 1 });
    expect(await nextXid(cluster)).toBe(before);
  });

  it('as a role with SELECT only: every B-tree read end to end by an index scan, all clean, exit 0', async () => {
    const { code, scan } = await scanJson([urlAs(cluster, 'reader')]);
    expect(scan.relations.filter((r) => r.status !== 'clean')).toEqual([]);
    expect(code).toBe(0);
    expect(scan.relations.filter((r) => r.kind === 'index').map((r) => [r.relation, r.method, r.probes])).toEqual(
      expect.arrayContaining(BTREES.map((name) => [name, 'index-scan', 1])),
    );
    const { out } = await cli(['corruption', 'scan', urlAs(cluster, 'reader')]);
    expect(out).toMatch(/Read 10 relation\(s\): 0 corrupt \(0 bad block\(s\), 0 bad tuple\(s\)\), 0 not verified\. 5,501 rows readable; \d+ probes in [\d.]+s\.\n/);
    expect(out).not.toMatch(/CORRUPT|NOT VERIFIED|Skipped/);
  });

  it('a table it may not read is skipped with the reason, and the scan says it could not verify everything (exit 1)', async () => {
    await cluster.sql('CREATE TABLE public.secret (x int)');
    try {
      const { code, scan } = await scanJson([urlAs(cluster, 'reader')]);
      expect(scan.skipped).toEqual([{ what: '"public"."secret" in "postgres"', reason: 'no SELECT privilege on it' }]);
      expect(code).toBe(1);
    } finally {
      await cluster.sql('DROP TABLE public.secret');
    }
  });

  it('a table another session locks: not verified (the scan of it stops, the others go on), exit 1; salvage refuses', async () => {
    const holder = await cluster.connect('postgres', 'corruption-test-lock');
    try {
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE public.events_2025 IN ACCESS EXCLUSIVE MODE');
      const { code, scan } = await scanJson([urlAs(cluster, 'reader'), '--lock-timeout', '200ms']);
      expect(relationOf(scan, '"public"."events_2025"')).toMatchObject({ status: 'unverified', complete: false, readable: [], notes: [expect.stringMatching(/^the scan stopped: another session holds a lock on it that conflicts with reading \(canceling statement due to lock timeout\)$/)] });
      expect(scan.relations.filter((r) => r.status !== 'clean').map((r) => r.relation)).toEqual(['"public"."events_2025"']);
      expect(code).toBe(1);
      const salvage = await cli(['corruption', 'salvage', 'plan', cluster.connectionString(), '--table', 'events_2025', '--into', 'x', '--lock-timeout', '200ms']);
      expect(salvage).toMatchObject({ code: 3, out: '', err: expect.stringMatching(/^mvcc-doctor: timeout: cannot plan the salvage of "public"\."events_2025": the scan stopped: another session holds a lock/) });
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }
  });

  it('salvage of a whole table (identity, generated and TOASTed columns, odd names): plan exit 0, run copies every row', async () => {
    const plan = await cli(['corruption', 'salvage', 'plan', cluster.connectionString(), '--table', 'people', '--into', '"people copy"', '--json']);
    expect(plan.code).toBe(0);
    const parsed = JSON.parse(plan.out) as SalvagePlan;
    expect(parsed).toMatchObject({ blocks_lost: 0, tuples_lost: 0, rows_readable: 3000, into: '"public"."people copy"' });
    expect(parsed.columns).toEqual(['"id"', '"email"', '"bio"', '"tags"', '"created"']);
    expect(parsed.swap).toContain(`SELECT setval(pg_get_serial_sequence('"public"."people"', 'id'), (SELECT last_value FROM public.people_id_seq));`);
    const run = await cli(['corruption', 'salvage', 'run', cluster.connectionString(), '--table', 'people', '--into', '"people copy"', '--yes', '--json']);
    expect(run.code).toBe(0);
    expect((JSON.parse(run.out) as { result: SalvageResult }).result.rows_saved).toBe(3000);
    const { rows } = await cluster.sql<{ same: boolean }>(
      `SELECT (SELECT array_agg(p::text ORDER BY id) FROM public.people p) = (SELECT array_agg(c::text ORDER BY id) FROM public."people copy" c) AS same`,
    );
    expect(rows[0]!.same).toBe(true);

    const odd = await cli(['corruption', 'salvage', 'run', cluster.connectionString(), '--table', '"Odd Schema"."Mixed Case"', '--into', '"Odd Schema"."Saved Case"', '--yes']);
    expect(odd.code).toBe(0);
    expect(odd.out).toContain('Saved 500 rows into "Odd Schema"."Saved Case"');
  });
});
