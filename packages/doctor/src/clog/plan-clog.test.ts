import { describe, expect, it } from 'vitest';
import type { SegmentProblem, SlruAnalysis } from './analyze-slru.js';
import type { ClogReport } from './check-clog.js';
import { buildClogPlan } from './plan-clog.js';
import { renderClogPlan } from './render-plan.js';

function problem(fields: Partial<SegmentProblem>): SegmentProblem {
  return { dir: 'pg_xact', file: 'pg_xact/0003', segment: '0003', kind: 'missing', size: 0, neededBytes: 262_144, segmentBytes: 262_144, firstId: 3 * 2 ** 20, lastId: 4 * 2 ** 20 - 1, certain: true, why: 'test', segments: 1, ...fields };
}

function report(problems: SegmentProblem[], server: Partial<ClogReport['server']> = {}): ClogReport {
  const slru = (dir: SlruAnalysis['dir']): SlruAnalysis => ({ dir, unit: 'transaction', oldest: 3, next: 5, firstSegment: '0000', lastSegment: '0004', segments: 5, present: 4, problems: problems.filter((p) => p.dir === dir), gaps: [] });
  return {
    tool: 'mvcc-doctor',
    schema_version: 1,
    command: 'clog check',
    source: { kind: 'sql', host: 'db.example', port: 5432, user: 'postgres', database: 'postgres', superuser: true },
    server: { major: 16, inRecovery: false, blockSize: 8192, ...server },
    transactions: { oldest: 3, next: 5 * 2 ** 20, checkpointNext: 5 * 2 ** 20 },
    multixacts: { oldest: 1, next: 1, nextOffset: 0 },
    slrus: [slru('pg_xact'), slru('pg_multixact/offsets'), slru('pg_multixact/members')],
    xids: [],
    skipped: [],
    exit_code: problems.length > 0 ? 2 : 0,
  };
}

describe('buildClogPlan', () => {
  it('without a known data directory, every path is relative to "$PGDATA", quoted for the shell', () => {
    const plan = buildClogPlan(report([problem({})]));
    const [copy, , fake] = plan.steps;
    expect(copy!.commands).toContain('cp /path/to/source/pg_xact/0003 "$PGDATA/pg_xact/0003"    # or: scp source-host:<its data directory>/pg_xact/0003 "$PGDATA/pg_xact/0003"');
    expect(fake!.commands).toContain('cp -a "$PGDATA" "$PGDATA.clog-rescue"');
    expect(fake!.commands).toContain('dd if=/dev/zero bs=256k count=1 of="$PGDATA.clog-rescue/pg_xact/0003"    # zeros: all aborted');
  });

  it('a data directory with a space is single-quoted; a short file gets only its missing pages filled', () => {
    const plan = buildClogPlan(report([problem({ kind: 'short', size: 5 * 8192, neededBytes: 262_144 })], { dataDirectory: "/srv/pg data/it's" }));
    const fake = plan.steps[2]!;
    expect(fake.commands).toContain(`dd if=/dev/zero bs=8192 seek=5 count=27 conv=notrunc of='/srv/pg data/it'\\''s.clog-rescue/pg_xact/0003'    # zeros: the lost pages aborted`);
    expect(fake.commands).toContain(`head -c 221184 /dev/zero | tr '\\0' '\\125' | dd bs=8192 seek=5 conv=notrunc of='/srv/pg data/it'\\''s.clog-rescue/pg_xact/0003'    # 0x55: the lost pages committed`);
  });

  it('PostgreSQL 13 has no pg_surgery; a standby must not run it; the query covers xmin and xmax in the lost range', () => {
    expect(buildClogPlan(report([problem({})], { major: 13 })).steps[1]!.when).toMatch(/^Not on PostgreSQL 13: pg_surgery came with 14/);
    const standby = buildClogPlan(report([problem({})], { inRecovery: true, upstream: { host: '10.0.0.5', port: 5432 }, pgSurgery: null }));
    expect(standby.steps[0]!.commands[0]).toMatch(/^# Sources, best first: the primary this standby streams from \(10\.0\.0\.5:5432\);/);
    expect(standby.steps[1]!.when).toMatch(/A standby is read-only: run it on the primary.*pg_surgery is not installed/);
    const sql = standby.steps[1]!.commands.find((c) => c.startsWith('SELECT c.oid::regclass'))!;
    expect(sql).toContain('((i.t_xmin::text::int8 BETWEEN 3145728 AND 4194303) AND (i.t_infomask & 768) = 0)');
    expect(sql).toContain('((i.t_xmax::text::int8 BETWEEN 3145728 AND 4194303) AND (i.t_infomask & 7296) = 0)');
  });

  it('MultiXact segments: copied in step 1; no fake fill; members alone have no per-row query', () => {
    const members = problem({ dir: 'pg_multixact/members', file: 'pg_multixact/members/0001', segment: '0001' });
    const plan = buildClogPlan(report([members]));
    expect(plan.steps[0]!.commands).toContain('ls -l pg_multixact/members/0001    # 262,144 bytes (32 pages)');
    expect(plan.steps[1]!.commands).toEqual([]);
    expect(plan.steps[2]!.commands).toEqual([]);
    expect(plan.steps[2]!.when).toMatch(/^Not for MultiXact segments/);
    const offsets = buildClogPlan(report([problem({ dir: 'pg_multixact/offsets', file: 'pg_multixact/offsets/0000', segment: '0000', firstId: 1, lastId: 65_535 })]));
    expect(offsets.steps[1]!.commands.join('\n')).toContain('((i.t_xmax::text::int8 BETWEEN 1 AND 65535) AND (i.t_infomask & 4096) <> 0 AND (i.t_infomask & 2048) = 0)');
  });

  it('nothing to recover: no steps, exit 0', () => {
    const plan = buildClogPlan(report([]));
    expect(plan).toMatchObject({ steps: [], segments: [], exit_code: 0 });
    expect(renderClogPlan(plan)).toMatch(/Nothing to recover/);
  });
});
