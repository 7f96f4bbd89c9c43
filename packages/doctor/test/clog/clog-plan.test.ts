import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chownSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Cluster, clogMissing, serverUser, type ClogMissingFault } from '@mvcc-doctor/lab';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClogPlan, ClogPlanStep } from '../../src/clog/plan-clog.js';
import { cli } from '../check/run-check.js';
import { clogJson, NO_RESETWAL } from './clog-env.js';

/** sha256 of every file under `dir`, by relative path. */
function checksums(dir: string, under = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(join(dir, under)).sort()) {
    const rel = under ? `${under}/${name}` : name;
    if (statSync(join(dir, rel)).isDirectory()) Object.assign(out, checksums(dir, rel));
    else out[rel] = createHash('sha256').update(readFileSync(join(dir, rel))).digest('hex');
  }
  return out;
}

/** Run one line of a plan in a shell, as a person would paste it. */
function sh(line: string): string {
  return execFileSync('sh', ['-c', line], { encoding: 'utf8' });
}

const line = (step: ClogPlanStep, start: string, comment?: string) => step.commands.find((c) => c.startsWith(start) && (!comment || c.includes(comment)))!;

describe.skipIf(Boolean(NO_RESETWAL))('clog plan on a missing pg_xact segment (PostgreSQL 15)', () => {
  let cluster: Cluster;
  let fault: ClogMissingFault;
  let plan: ClogPlan;
  let rescue: string; // the copy's path, as the plan names it
  const made: Cluster[] = [];

  beforeAll(async () => {
    cluster = await Cluster.create({ major: 15, needs: ['pg_resetwal', 'pg_dumpall'], label: 'clog-plan' });
    fault = await clogMissing(cluster, { firstXid: 1_000_000 });
    await cluster.sql(`SELECT * FROM ${fault.table}`).catch(() => undefined); // the failure, as an application meets it
    rescue = `${cluster.dataDir}.clog-rescue`;
  });
  afterAll(async () => {
    await Promise.allSettled(made.map((c) => c.destroy()));
    await cluster?.destroy(); // the rescue copy lives in its directory
  });

  it('prints the file, its sizes and the three steps in order of safety, and changes nothing (pg_xact and the table\'s files hashed before and after)', async () => {
    const { rows } = await cluster.sql<{ path: string }>('SELECT pg_relation_filepath($1) AS path', [fault.table]);
    const watched = () => {
      const all = checksums(cluster.dataDir);
      return Object.fromEntries(Object.entries(all).filter(([path]) => path.startsWith('pg_xact/') || path.startsWith(rows[0]!.path)));
    };
    const before = watched();
    const text = await cli(['clog', 'plan', cluster.connectionString(), '--xid', '1000003']);
    const json = await clogJson<ClogPlan>(['plan', cluster.connectionString(), '--xid', '1000003']);
    expect(watched()).toEqual(before);
    expect(Object.keys(before).length).toBeGreaterThan(0);
    plan = json.doc;

    expect(text.code).toBe(2);
    expect(text.stdout).toContain('Nothing below has been run.');
    expect(text.stdout).toContain('  pg_xact/0000  missing, needs at least 253,952 (262,144 when whole): IDs 716 … 1,048,575');
    expect(text.stdout).toContain('  transaction 1000003: pg_xact/0000, byte 250000, shift 6');
    expect(text.stdout.indexOf('Step 1 (safe): Copy')).toBeLessThan(text.stdout.indexOf('Step 2 (per row): Per row, with pg_surgery'));
    expect(text.stdout.indexOf('Step 2 (per row)')).toBeLessThan(text.stdout.indexOf('Step 3 (LAST RESORT): Last resort: write a fake segment'));
    expect(text.stdout).toMatch(/1 segment\(s\) to recover — exit 2\n$/);

    expect(plan.segments).toEqual([expect.objectContaining({ file: 'pg_xact/0000', kind: 'missing', neededBytes: 253_952, segmentBytes: 262_144 })]);
    expect(plan.steps.map((s) => s.safety)).toEqual(['safe', 'per-row', 'last-resort']);
    const [, , fake] = plan.steps;
    expect(line(fake!, 'dd ')).toBe(`dd if=/dev/zero bs=256k count=1 of=${rescue}/pg_xact/0000    # zeros: all aborted`);
    expect(line(fake!, 'head ')).toBe(`head -c 262144 /dev/zero | tr '\\0' '\\125' > ${rescue}/pg_xact/0000    # 0x55: all committed`);
    expect(fake!.consequences.join(' ')).toMatch(/rows those transactions inserted vanish, and rows they deleted or updated come back/);
    expect(fake!.consequences.join(' ')).toMatch(/duplicates/);
    expect(fake!.commands).toContain('pg_dumpall -h localhost -p 5499 -f clog-rescue.sql');
  });

  it('--pgdata on the stopped cluster: the same plan, and not one byte of the data directory changes', async () => {
    await cluster.stop();
    const before = checksums(cluster.dataDir);
    const { code, doc } = await clogJson<ClogPlan>(['plan', '--pgdata', cluster.dataDir, '--xid', '1000003']);
    expect(code).toBe(2);
    expect(checksums(cluster.dataDir)).toEqual(before);
    expect(doc.segments.map((s) => [s.file, s.kind, s.neededBytes])).toEqual([['pg_xact/0000', 'missing', 253_952]]);
    expect(doc.steps[2]!.commands).toEqual(plan.steps[2]!.commands);
  });

  /** Follow step 3 on a stopped copy with one of its fills, and start that copy as a cluster of its own. */
  async function followFakeSegment(fill: 'dd ' | 'head '): Promise<Cluster> {
    const fake = plan.steps[2]!;
    rmSync(rescue, { recursive: true, force: true });
    sh(line(fake, 'cp -a '));
    sh(line(fake, fill));
    sh(line(fake, 'chown '));
    expect(statSync(join(rescue, 'pg_xact/0000')).size).toBe(262_144);
    const copy = await Cluster.copyOf(rescue, { label: 'clog-rescue' });
    made.push(copy);
    return copy;
  }

  it('step 3 with zeros: the copy answers; the lost inserts vanish and the deleted and updated rows come back; its dump restores', async () => {
    const copy = await followFakeSegment('dd ');
    const { rows } = await copy.sql(`SELECT id, v FROM ${fault.table} ORDER BY id, v`);
    expect(rows).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((id) => ({ id, v: 'old' })));

    // The dump and restore that must follow: into a fresh cluster, which then holds what the copy showed.
    const dump = await copy.tool('pg_dumpall', ['-h', copy.host, '-p', String(copy.port), '-U', 'postgres']);
    const fresh = await Cluster.create({ major: 15, label: 'clog-restored' });
    made.push(fresh);
    const file = join(fresh.dir, 'clog-rescue.sql');
    writeFileSync(file, dump);
    chownSync(file, serverUser().uid, serverUser().gid);
    await fresh.tool('psql', ['-h', fresh.host, '-p', String(fresh.port), '-U', 'postgres', '-d', 'postgres', '-q', '-f', file]);
    const { rows: restored } = await fresh.sql(`SELECT id, v FROM ${fault.table} ORDER BY id, v`);
    expect(restored).toEqual(rows);
  });

  it('step 3 with 0x55: the rolled-back insert appears beside its retry (a duplicate), the deleted row is gone', async () => {
    const copy = await followFakeSegment('head ');
    const { rows } = await copy.sql(`SELECT id, v FROM ${fault.table} ORDER BY id, v`);
    expect(rows).toEqual([...fault.expectedRows.slice(0, -1), { id: 200, v: 'aborted' }, { id: 200, v: 'retried' }]);
  });

  it('step 2 on the original: the plan\'s query lists exactly the rows that need the lost status; pg_surgery by what each did restores the real rows', async () => {
    await cluster.start();
    const surgery = plan.steps[1]!;
    const sql = surgery.commands.filter((c) => !c.startsWith('--'));
    expect(sql.slice(0, 2)).toEqual(['CREATE EXTENSION IF NOT EXISTS pageinspect;', 'CREATE EXTENSION IF NOT EXISTS pg_surgery;']);
    await cluster.sql(sql[0]!);
    await cluster.sql(sql[1]!);
    const { rows } = await cluster.sql<{ relation: string; ctid: string; t_xmin: string; t_xmax: string; hot: string | null; keep: string; remove: string }>(sql[2]!);
    const { rows: named } = await cluster.sql<{ name: string }>('SELECT $1::regclass::text AS name', [fault.table]);
    const ours = rows.filter((r) => r.relation === named[0]!.name);
    expect(ours).toHaveLength(rows.length); // nothing else in the cluster needs the segment
    const { lost } = fault;
    // The rows and what each needs: id 1 and the old id 2 their xmax (a DELETE, an UPDATE); the rest their xmin.
    const what = (r: (typeof ours)[number]) => {
      const [xmin, xmax] = [Number(r.t_xmin), Number(r.t_xmax)];
      if (xmax === lost.deleted) return 'deleted';
      if (xmax === lost.updated) return 'updated (old version)';
      if (xmin === lost.updated) return 'updated (new version)';
      if (lost.inserted.includes(xmin)) return 'inserted';
      return xmin === lost.aborted ? 'aborted' : xmin === lost.retried ? 'retried' : `other ${xmin}/${xmax}`;
    };
    expect(ours.map(what).sort()).toEqual(['aborted', 'deleted', 'inserted', 'inserted', 'inserted', 'retried', 'updated (new version)', 'updated (old version)']);
    // What the application knows: the DELETE and the UPDATE committed, the insert of 200 'aborted' rolled back.
    for (const r of ours) {
      const gone = Number(r.t_xmax) === lost.deleted || Number(r.t_xmax) === lost.updated || Number(r.t_xmin) === lost.aborted;
      await cluster.sql(gone ? r.remove : r.keep);
    }
    const { rows: now } = await cluster.sql(`SELECT id, v FROM ${fault.table} ORDER BY id, v`);
    expect(now).toEqual(fault.expectedRows);

    // As the plan warns: the kept new version of the HOT update is cut off from the index, REINDEX refuses, a rebuild fixes it.
    expect(ours.filter((r) => r.hot).map(what).sort()).toEqual(['updated (new version)', 'updated (old version)']);
    expect(surgery.consequences.join(' ')).toContain('failed to find parent tuple for heap-only tuple');
    const byIndex = async (table: string) => {
      const s = await cluster.connect();
      try {
        await s.query('SET enable_seqscan = off; SET enable_bitmapscan = off');
        return (await s.query(`SELECT v FROM ${table} WHERE id = 2`)).rows;
      } finally {
        await s.end();
      }
    };
    expect(await byIndex(fault.table)).toEqual([]);
    await expect(cluster.sql(`REINDEX TABLE ${fault.table}`)).rejects.toThrow(/failed to find parent tuple for heap-only tuple/);
    await cluster.sql(`CREATE TABLE lab_clog_rebuilt AS SELECT * FROM ${fault.table}`);
    await cluster.sql('CREATE INDEX ON lab_clog_rebuilt (id)');
    expect(await byIndex('lab_clog_rebuilt')).toEqual([{ v: 'updated' }]);
  });
});
