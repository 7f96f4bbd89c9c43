import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, corruptedBlocks, listInstallations, type CorruptedBlocksFault } from '@mvcc-doctor/lab';
import type { SalvagePlan } from '../../src/corruption/salvage-plan.js';
import type { SalvageResult } from '../../src/corruption/salvage-run.js';
import { cli, nextXid, quoted } from './helpers.js';

const majors = [18, 15].filter((major) => listInstallations().some((i) => i.major === major));

/**
 * Issue 12 item 2: salvage copies exactly the rows outside the damaged blocks, into a new table or a COPY file,
 * and never touches the damaged table (its file stays byte for byte what it was).
 */
describe.each(majors)('corruption salvage (PostgreSQL %i, checksums)', (major) => {
  let cluster: Cluster;
  let fault: CorruptedBlocksFault;
  let dir: string;
  /** The ids the damaged blocks held: none of them can come back. */
  let lostIds: Set<number>;

  const damagedFile = () => readFileSync(join(cluster.dataDir, fault.relationPath));

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mvcc-doctor-salvage-'));
    cluster = await Cluster.create({ major, checksums: true, autovacuum: false, label: `corruption-salvage-${major}` });
    fault = await corruptedBlocks(cluster, { index: false });
    // Every row has id g at block floor((g - 1) / 49), as the scenario wrote them in order.
    const perBlock = fault.rowsInBlock.get(0)!;
    lostIds = new Set(fault.blocks.flatMap((b) => Array.from({ length: fault.rowsInBlock.get(b)! }, (_, i) => b * perBlock + i + 1)));
  });
  afterAll(async () => {
    await cluster?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('plan: a dry run that says what is lost and what runs; exit 2 (rows are lost); creates nothing', async () => {
    const { code, out } = await cli(['corruption', 'salvage', 'plan', cluster.connectionString(), '--table', fault.table, '--into', 'saved_plan', '--json']);
    expect(code).toBe(2);
    const plan = JSON.parse(out) as SalvagePlan;
    expect(plan).toMatchObject({ table: quoted(fault.table), into: '"public"."saved_plan"', rows_readable: fault.rows - fault.rowsLost, blocks_lost: fault.blocks.length, tuples_lost: 0 });
    expect(plan.statements[0]).toBe(`CREATE TABLE "public"."saved_plan" (LIKE ${quoted(fault.table)} INCLUDING ALL)`);
    expect(plan.statements).toHaveLength(1 + plan.scan.readable.length);
    expect(plan.swap).toContain(`ALTER TABLE ${quoted(fault.table)} RENAME TO "${fault.table.slice(7)}_corrupt";`);
    expect((await cluster.sql(`SELECT to_regclass('public.saved_plan') AS t`)).rows[0]!.t).toBeNull();
  });

  it('run --into: saves exactly total − rows in the bad blocks, none of the lost ids, and leaves the damaged file byte-identical', async () => {
    await cluster.sql('CHECKPOINT');
    const before = damagedFile();
    const { code, out } = await cli(['corruption', 'salvage', 'run', cluster.connectionString(), '--table', fault.table, '--into', 'saved', '--yes', '--json']);
    expect(code).toBe(0);
    const { result } = JSON.parse(out) as { result: SalvageResult };
    expect(result).toMatchObject({ rows_saved: fault.rows - fault.rowsLost, rows_readable: fault.rows - fault.rowsLost, blocks_lost: fault.blocks.length, into: '"public"."saved"' });
    const { rows } = await cluster.sql<{ n: number; lost: number; wrong: number; min: number; max: number }>(
      `SELECT count(*)::int AS n, count(*) FILTER (WHERE id = ANY($1::int[]))::int AS lost,
         count(*) FILTER (WHERE payload IS DISTINCT FROM repeat(md5(id::text), 4))::int AS wrong, min(id) AS min, max(id) AS max FROM public.saved`,
      [[...lostIds]],
    );
    expect(rows[0]).toEqual({ n: fault.rows - fault.rowsLost, lost: 0, wrong: 0, min: 1, max: Math.max(...Array.from({ length: fault.rows }, (_, i) => i + 1).filter((id) => !lostIds.has(id))) });
    // LIKE … INCLUDING ALL brought the primary key along.
    expect((await cluster.sql(`SELECT count(*)::int AS n FROM pg_index WHERE indrelid = 'public.saved'::regclass AND indisprimary`)).rows[0]!.n).toBe(1);
    await cluster.sql('CHECKPOINT');
    expect(damagedFile().equals(before)).toBe(true);
  });

  it('run --to FILE: every readable row in COPY text format, read-only: no XID, the damaged file untouched', async () => {
    const file = join(dir, 'orders.copy');
    await cluster.sql('CHECKPOINT');
    const before = damagedFile();
    const xid = await nextXid(cluster);
    const { code, out } = await cli(['corruption', 'salvage', 'run', cluster.connectionString(), '--table', fault.table, '--to', file, '--yes']);
    expect(code).toBe(0);
    expect(out).toMatch(new RegExp(`Saved ${(fault.rows - fault.rowsLost).toLocaleString('en-US')} rows into ${file} \\([\\d.]+ MB\\) in [\\d.]+s; ${fault.blocks.length} block\\(s\\) and 0 tuple\\(s\\) lost\\.`));
    expect(out).toContain(`\\copy "public"."${fault.table.slice(7)}_salvaged" ("id", "payload") FROM '${file}'`);
    const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    expect(lines).toHaveLength(fault.rows - fault.rowsLost);
    const rows = lines.map((line) => line.split('\t'));
    expect(rows.filter(([, payload]) => payload?.length !== 128)).toEqual([]);
    const ids = rows.map(([id]) => Number(id));
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.filter((id) => lostIds.has(id))).toEqual([]);
    expect(await nextXid(cluster)).toBe(xid);
    await cluster.sql('CHECKPOINT');
    expect(damagedFile().equals(before)).toBe(true);
  });

  it('run asks first: declined, nothing is made (exit 2); off a terminal without --yes, one usage line (exit 3)', async () => {
    const questions: string[] = [];
    const declined = await cli(['corruption', 'salvage', 'run', cluster.connectionString(), '--table', fault.table, '--into', 'saved_no'], async (q) => {
      questions.push(q);
      return false;
    });
    expect(declined.code).toBe(2);
    expect(questions).toEqual([`Copy ${fault.rows - fault.rowsLost} readable rows of ${quoted(fault.table)} into "public"."saved_no"? [y/N] `]);
    expect(declined.err).toBe('corruption salvage: not confirmed; nothing was copied\n');
    expect((await cluster.sql(`SELECT to_regclass('public.saved_no') AS t`)).rows[0]!.t).toBeNull();

    const blind = await cli(['corruption', 'salvage', 'run', cluster.connectionString(), '--table', fault.table, '--into', 'saved_no']);
    expect(blind).toMatchObject({ code: 3, err: 'mvcc-doctor: usage error: corruption salvage run asks for confirmation; not on a terminal, add --yes\n' });
    expect((await cluster.sql(`SELECT to_regclass('public.saved_no') AS t`)).rows[0]!.t).toBeNull();
  });
});
