import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diagnose, resolveConnOptions } from 'mvcc-doctor';
import { Cluster } from '@mvcc-doctor/lab';
import { quoteIdent, quoteLiteral } from '../src/quote.js';

// The one quoting module (@mvcc-doctor/pg/quote), proven on a real server: what it quotes must come back
// byte for byte whatever standard_conforming_strings is, because the doctor prints SQL for servers it does not know.

const NAMEDATALEN_MAX = 63; // bytes; PostgreSQL truncates longer identifiers (with a NOTICE)

const HOSTILE = [
  'we"ird',
  `it's`,
  'back\\slash',
  'ends with a backslash\\',
  `\\'; DROP TABLE x; --`,
  'new\nline',
  'tab\tand  spaces ',
  'ünïcødé 🐘 名前',
  'UPPER case',
  'x'.repeat(NAMEDATALEN_MAX),
];

describe.each(['on', 'off'])('quoting on PostgreSQL 18 with standard_conforming_strings %s', (scs) => {
  let cluster: Cluster;
  let client: pg.Client;
  beforeAll(async () => {
    cluster = await Cluster.create({ label: `quote-scs-${scs}` });
    client = new pg.Client(cluster.connectionConfig());
    await client.connect();
    await client.query(`SET standard_conforming_strings = ${scs}`);
    await client.query('SET escape_string_warning = off');
  });
  afterAll(async () => {
    await client?.end();
    await cluster?.destroy();
  });

  it.each(HOSTILE.map((v) => [JSON.stringify(v), v]))('quoteLiteral(%s) round-trips through SELECT', async (_, value) => {
    const { rows } = await client.query<{ v: string }>(`SELECT ${quoteLiteral(value)} AS v`);
    expect(rows[0]!.v).toBe(value);
  });

  it.each(HOSTILE.map((v) => [JSON.stringify(v), v]))('quoteIdent(%s) names a schema and a table that exist under exactly that name', async (_, name) => {
    await client.query(`CREATE SCHEMA ${quoteIdent(name)}`);
    try {
      await client.query(`CREATE TABLE ${quoteIdent(name)}.${quoteIdent(name)} (${quoteIdent(name)} int)`);
      const { rows } = await client.query<{ schema: string; table: string; column: string }>(
        `SELECT n.nspname AS schema, c.relname AS table, a.attname AS column
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = 1
          WHERE c.oid = ${quoteLiteral(`${quoteIdent(name)}.${quoteIdent(name)}`)}::regclass`,
      );
      expect(rows).toEqual([{ schema: name, table: name, column: name }]);
    } finally {
      await client.query(`DROP SCHEMA ${quoteIdent(name)} CASCADE`);
    }
  });

  it('past 63 bytes PostgreSQL truncates the identifier (at a character boundary), so two long names can collide', async () => {
    const ascii = 'a'.repeat(70);
    const multibyte = 'é'.repeat(40); // 80 bytes in UTF-8
    const notices: string[] = [];
    const onNotice = (n: { message?: string }) => notices.push(n.message ?? '');
    client.on('notice', onNotice);
    try {
      await client.query(`CREATE TABLE ${quoteIdent(ascii)} (id int)`);
      await client.query(`CREATE TABLE ${quoteIdent(multibyte)} (id int)`);
      const { rows } = await client.query<{ relname: string }>(`SELECT relname FROM pg_class WHERE relname LIKE 'aaa%' OR relname LIKE 'ééé%' ORDER BY relname`);
      expect(rows.map((r) => r.relname)).toEqual(['a'.repeat(63), 'é'.repeat(31)]);
      expect(notices).toContainEqual(expect.stringMatching(/^identifier "a{70}" will be truncated to "a{63}"$/));
      // The truncated name is the same table: a 64-byte name and its 63-byte prefix are one identifier.
      await expect(client.query(`CREATE TABLE ${quoteIdent('a'.repeat(64))} (id int)`)).rejects.toMatchObject({ code: '42P07' });
    } finally {
      client.off('notice', onNotice);
      await client.query(`DROP TABLE IF EXISTS ${quoteIdent(ascii)}, ${quoteIdent(multibyte)}`);
    }
  });

  it("the doctor's printed remediation for a hostile table runs as printed", async () => {
    const schema = `sch"ema\\`;
    const table = `it's a\nta"ble\\ 🐘`;
    await client.query(`CREATE SCHEMA ${quoteIdent(schema)}`);
    try {
      await client.query(`CREATE TABLE ${quoteIdent(schema)}.${quoteIdent(table)} (id int) WITH (autovacuum_enabled = off)`);
      const report = await diagnose(resolveConnOptions({ conninfo: cluster.connectionString() }), { sampleMs: 0 });
      const finding = report.findings.find((f) => f.check === 'autovacuum-disabled' && f.subject.table === table);
      expect(finding).toMatchObject({ subject: { schema, table } });
      const steps = finding!.remediation.filter((s) => !s.startsWith('--'));
      expect(steps).toHaveLength(2);
      for (const sql of steps) await client.query(sql);
      // RESET took: autovacuum is back on for exactly that table.
      const { rows } = await client.query<{ reloptions: string[] | null }>(
        `SELECT reloptions FROM pg_class WHERE oid = ${quoteLiteral(`${quoteIdent(schema)}.${quoteIdent(table)}`)}::regclass`,
      );
      expect(rows).toEqual([{ reloptions: null }]);
    } finally {
      await client.query(`DROP SCHEMA ${quoteIdent(schema)} CASCADE`);
    }
  });
});
