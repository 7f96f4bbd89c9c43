import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster } from '@mvcc-doctor/lab';
import { cli } from './helpers.js';

/**
 * Bad input to `corruption scan` and `salvage`: one line on stderr that names the kind of failure, exit 3 (never 0
 * or 2, which mean clean and corrupt), nothing created, and flags checked before any connection is made.
 */
describe('corruption: bad input (PostgreSQL 18)', () => {
  let cluster: Cluster;
  let url: string;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mvcc-doctor-corruption-input-'));
    cluster = await Cluster.create({ label: 'corruption-input' });
    await cluster.sql('CREATE TABLE public.orders (id int PRIMARY KEY)');
    await cluster.sql('CREATE TABLE public.taken (id int)');
    await cluster.sql('CREATE SCHEMA other');
    await cluster.sql('CREATE TABLE other.orders (id int)');
    await cluster.sql('CREATE VIEW public.orders_view AS SELECT * FROM public.orders');
    url = cluster.connectionString();
  });
  afterAll(async () => {
    await cluster?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function expectOneLine(argv: string[], line: string | RegExp): Promise<void> {
    const { code, out, err } = await cli(argv);
    expect(code).toBe(3);
    expect(out).toBe('');
    if (typeof line === 'string') expect(err).toBe(`mvcc-doctor: ${line}\n`);
    else expect(err).toMatch(line);
    expect(err.split('\n')).toHaveLength(2);
  }

  it.each([
    [['corruption', 'scan', 'URL', '--table', 'nope'], 'unknown relation: no table "nope" in database "postgres"'],
    [['corruption', 'scan', 'URL', '--table', 'public.nope'], 'unknown relation: no table "public.nope" in database "postgres"'],
    [['corruption', 'salvage', 'run', 'URL', '--table', 'nope', '--into', 'x', '--yes'], 'unknown relation: no table "nope" in database "postgres"'],
    [['corruption', 'scan', 'URL', '--table', 'orders'], 'usage error: --table "orders" is in more than one schema of "postgres" ("other", "public"): qualify it, e.g. "other"."orders"'],
    [['corruption', 'scan', 'URL', '--table', 'orders_view'], 'usage error: "public"."orders_view" is a view, not a table'],
    [['corruption', 'scan', 'URL', '--table', 'a..b'], 'usage error: --table: "a..b" is not a table name (schema.table, with double quotes around names that need them)'],
    [['corruption', 'salvage', 'plan', 'URL', '--table', 'public.orders', '--into', 'taken'], 'usage error: --into: "public"."taken" already exists in "postgres"; salvage makes a new table'],
    [['corruption', 'salvage', 'plan', 'URL', '--table', 'public.orders', '--into', 'people copy'], 'usage error: --into: "people copy" is not a table name'],
    [['corruption', 'salvage', 'plan', 'URL', '--table', 'public.orders', '--into', 'nowhere.x'], 'usage error: --into: schema "nowhere" does not exist in "postgres"'],
  ])('%j: %s', async (argv, line) => {
    await expectOneLine(argv.map((a) => (a === 'URL' ? url : a)), line);
  });

  it.each([
    [['corruption'], 'usage error: corruption takes "scan" or "salvage" (see mvcc-doctor corruption --help)'],
    [['corruption', 'fix'], 'usage error: corruption takes "scan" or "salvage", not "fix" (see mvcc-doctor corruption --help)'],
    [['corruption', 'salvage', 'run', 'URL', '--table', 'public.orders'], 'usage error: corruption salvage needs --into NEW (a new table) or --to FILE (a COPY file)'],
    [['corruption', 'salvage', 'plan', 'URL', '--into', 'x'], 'usage error: corruption salvage needs --table T (the damaged table)'],
    [['corruption', 'salvage', 'plan', 'URL', '--table', 't', '--into', 'x', '--to', 'f'], 'usage error: choose one of --into and --to'],
    [['corruption', 'salvage', 'URL', '--table', 't', '--into', 'x'], /^mvcc-doctor: usage error: corruption salvage takes "plan" or "run", not "postgresql:.*"\n$/],
    [['corruption', 'salvage', 'plan', 'URL', '--table', 't', '--into', 'x', '--yes'], 'usage error: --yes goes with "corruption salvage run"'],
    [['corruption', 'scan', 'URL', '--into', 'x'], 'usage error: --into, --to and --yes go with "corruption salvage"'],
    [['corruption', 'scan', 'URL', '--method', 'magic'], 'usage error: --method takes tid-range or tid-list, not "magic"'],
    [['corruption', 'scan', 'URL', '--statement-timeout', 'soon'], 'usage error: --statement-timeout takes a duration such as 10s, 500ms or 2m, not "soon"'],
    [['corruption', 'scan', 'URL', '--wat'], 'usage error: unknown option --wat (see mvcc-doctor help)'],
  ])('%j: %s, before connecting', async (argv, line) => {
    // A closed port: a flag error must come first, or it would be "unreachable".
    await expectOneLine(argv.map((a) => (a === 'URL' ? 'postgresql://nobody@127.0.0.1:1/postgres' : a)), line);
  });

  it('--to an existing file: refused, and the file is left as it was', async () => {
    const file = join(dir, 'exists.copy');
    writeFileSync(file, 'keep me\n');
    await expectOneLine(['corruption', 'salvage', 'run', url, '--table', 'public.orders', '--to', file, '--yes'], `usage error: --to: ${file} already exists; salvage writes a new file`);
    expect(readFileSync(file, 'utf8')).toBe('keep me\n');
  });

  it('--json: the error document on stdout, the same line on stderr', async () => {
    const { code, out, err } = await cli(['corruption', 'scan', url, '--table', 'nope', '--json']);
    expect(code).toBe(3);
    expect(JSON.parse(out)).toEqual({ tool: 'mvcc-doctor', schema_version: 1, error: { code: 'unknown-relation', message: 'unknown relation: no table "nope" in database "postgres"' }, exit_code: 3 });
    expect(err).toBe('mvcc-doctor: unknown relation: no table "nope" in database "postgres"\n');
  });
});
