import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, listInstallations } from '@mvcc-doctor/lab';
import { quoteIdent } from '@mvcc-doctor/pg/quote';
import type { FreezePlan } from '../../src/rescue/freeze-plan.js';
import type { FreezeRunResult } from '../../src/rescue/run-types.js';
import { cli } from './helpers.js';

/** 63 bytes, the longest identifier PostgreSQL keeps whole (NAMEDATALEN - 1), in two-byte characters. */
const LONGEST = `${'é'.repeat(31)}x`;
const SCHEMA = `Sch"ema'; --`;
const DATABASE = `db "x"; DROP DATABASE postgres; --'`;
/** [schema, name] of every hostile relation; all must be frozen and none may act as SQL. */
const TABLES: [string, string][] = [
  ['public', 'x"; DROP TABLE y; --'],
  ['public', 'with space'],
  ['public', 'UPPER Case'],
  ['public', 'Ünïcödé_表'],
  ['public', LONGEST],
  ['public', "it's"],
  ['public', 'back\\slash'],
  [SCHEMA, 'x"; DROP TABLE y; --'],
];
const MATVIEW: [string, string] = ['public', 'Mat "View"'];

const majors = [18, 14].filter((major) => listInstallations().some((i) => i.major === major));

describe.each(majors)('freeze: hostile identifiers (PostgreSQL %i)', (major) => {
  let cluster: Cluster;

  beforeAll(async () => {
    cluster = await Cluster.create({ major, autovacuum: false, label: `freeze-idents-${major}` });
    expect(Buffer.byteLength(LONGEST)).toBe(63);
    await cluster.sql(`CREATE DATABASE ${quoteIdent(DATABASE)}`);
    for (const database of ['postgres', DATABASE]) {
      await cluster.sql(`CREATE SCHEMA ${quoteIdent(SCHEMA)}`, [], database);
      await cluster.sql('CREATE TABLE y (id int)', [], database);
      for (const [schema, name] of TABLES) {
        const table = `${quoteIdent(schema)}.${quoteIdent(name)}`;
        await cluster.sql(`CREATE TABLE ${table} (id int PRIMARY KEY, doc text)`, [], database);
        // Long values go to TOAST: the table's TOAST relation must be frozen through it.
        await cluster.sql(`INSERT INTO ${table} SELECT g, (SELECT string_agg(md5(g::text || i::text), '') FROM generate_series(1, 100) i) FROM generate_series(1, 300) g`, [], database);
      }
      await cluster.sql(`CREATE MATERIALIZED VIEW ${quoteIdent(MATVIEW[0])}.${quoteIdent(MATVIEW[1])} AS SELECT id FROM ${quoteIdent('public')}.${quoteIdent('with space')}`, [], database);
    }
  });
  afterAll(async () => {
    await cluster?.destroy();
  });

  it('the plan quotes every name (database, schema, relation) so that it stays a name', async () => {
    const { code, out } = await cli(['freeze', 'plan', cluster.connectionString(), '--target-age', '0', '--json']);
    expect(code).toBe(1);
    const plan = JSON.parse(out) as FreezePlan;
    for (const database of ['postgres', DATABASE]) {
      for (const [schema, name] of [...TABLES, MATVIEW]) {
        const planned = plan.order.find((r) => r.database === database && r.schema === schema && r.name === name);
        expect(planned?.sql, `${database} ${schema}.${name}`).toBe(`VACUUM (FREEZE, TRUNCATE false) ${quoteIdent(schema)}.${quoteIdent(name)}`);
      }
    }
    const text = (await cli(['freeze', 'plan', cluster.connectionString(), '--target-age', '0'])).out;
    expect(text).toContain(`\\connect "db ""x""; DROP DATABASE postgres; --'"`);
    expect(text).toContain(`VACUUM (FREEZE, TRUNCATE false) "Sch""ema'; --"."x""; DROP TABLE y; --";`);
    expect(text).toContain(`VACUUM (FREEZE, TRUNCATE false) "public"."${LONGEST}";`);
  });

  it('run freezes every hostile relation and its TOAST table, and nothing else happens', async () => {
    const { out } = await cli(['freeze', 'run', cluster.connectionString(), '--target-age', '0', '--json', '--emergency']);
    const { result } = JSON.parse(out) as { result: FreezeRunResult };
    expect(result.failed).toEqual([]);
    for (const database of ['postgres', DATABASE]) {
      for (const [schema, name] of [...TABLES, MATVIEW]) {
        const frozen = result.frozen.find((f) => f.relation.database === database && f.relation.schema === schema && f.relation.name === name);
        expect(frozen?.relation.sql, `${database} ${schema}.${name}`).toMatch(/^VACUUM \(FREEZE, TRUNCATE false, INDEX_CLEANUP off\) /);
        const { rows } = await cluster.sql<{ age: number; toast_age: number | null }>(
          `SELECT age(c.relfrozenxid)::int AS age, age(t.relfrozenxid)::int AS toast_age
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace LEFT JOIN pg_class t ON t.oid = c.reltoastrelid
            WHERE n.nspname = $1 AND c.relname = $2`,
          [schema, name],
          database,
        );
        expect(rows[0]!.age).toBeLessThanOrEqual(1);
        if (rows[0]!.toast_age !== null) expect(rows[0]!.toast_age).toBeLessThanOrEqual(1);
      }
      // The injection attempts stayed names: y and the databases are all there.
      expect((await cluster.sql('SELECT count(*)::int AS n FROM y', [], database)).rows[0]!.n).toBe(0);
    }
    const { rows } = await cluster.sql<{ datname: string }>('SELECT datname FROM pg_database ORDER BY 1');
    expect(rows.map((r) => r.datname)).toEqual([DATABASE, 'postgres', 'template0', 'template1'].sort());
  });
});
