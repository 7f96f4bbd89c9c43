import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { classifyRecord } from '../../src/logs/classify/index.js';
import { StatementStats } from '../../src/logs/classify/statement-stats.js';
import type { LogEvent } from '../../src/logs/log-event.js';
import { CORPUS } from './fixtures/corpus.js';
import { stopgapReadStderr } from './fixtures/stopgap-stderr.js';

// Records come from a STOPGAP splitter (fixtures/stopgap-stderr.ts) until src/logs/read/ lands; then these
// tests read through the real reader and the counts must stay the same.

function countBy(events: LogEvent[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const e of events) counts[e.class] = (counts[e.class] ?? 0) + 1;
  return counts;
}

function rawLines(file: string): string[] {
  return gunzipSync(readFileSync(resolve(CORPUS, 'pgbadger', file))).toString('utf8').split('\n');
}

function sum(events: LogEvent[], key: string): number {
  return events.reduce((total, e) => total + (typeof e.fields[key] === 'number' ? (e.fields[key] as number) : 0), 0);
}

describe('pgBadger pg_vacuums.log.gz (PG 15 autovacuum reports)', () => {
  const file = resolve(CORPUS, 'pgbadger/pg_vacuums.log.gz');
  const events = stopgapReadStderr(file).map((r) => classifyRecord(r)).filter((e): e is LogEvent => e !== undefined);
  const lines = rawLines('pg_vacuums.log.gz');

  it('has 2094 autovacuum and 1450 autoanalyze events, as its MANIFEST and a plain line count say', () => {
    expect(countBy(events)).toEqual({ autovacuum: 2094, autoanalyze: 1450 });
    expect(lines.filter((l) => l.includes(' LOG:  automatic vacuum of table ')).length).toBe(2094);
    expect(lines.filter((l) => l.includes(' LOG:  automatic analyze of table ')).length).toBe(1450);
  });

  it('the numbers of each report add up to what a separate scan of the raw lines finds', () => {
    const vacuums = events.filter((e) => e.class === 'autovacuum');
    const total = (pattern: RegExp): number => lines.reduce((n, l) => n + Number(pattern.exec(l)?.[1] ?? 0), 0);
    expect(sum(vacuums, 'tuples_removed')).toBe(total(/^\ttuples: (\d+) removed/));
    expect(sum(vacuums, 'tuples_not_removable')).toBe(total(/^\ttuples: \d+ removed, \d+ remain, (\d+) are dead/));
    expect(sum(vacuums, 'pages_removed')).toBe(total(/^\tpages: (\d+) removed/));
    expect(sum(vacuums, 'removable_cutoff_age')).toBe(total(/^\tremovable cutoff: \d+, which was (\d+) XIDs old/));
    expect(vacuums.filter((e) => e.fields.new_relfrozenxid !== undefined).length).toBe(lines.filter((l) => l.startsWith('\tnew relfrozenxid: ')).length);
    expect(vacuums.reduce((n, e) => n + ((e.fields.indexes as unknown[] | undefined)?.length ?? 0), 0)).toBe(lines.filter((l) => /^\tindex "[^"]+": pages: /.test(l)).length);
    // Every PG 15 report has these, so a missing one is a parse failure, not an old format.
    for (const e of vacuums) {
      for (const key of ['pages_remain', 'pages_scanned', 'tuples_remain', 'tuples_not_removable', 'removable_cutoff', 'buffer_hits', 'elapsed_s']) {
        expect(e.fields[key], `${key} in ${e.source.line}`).toBeTypeOf('number');
      }
      expect(e.database).toBe('testdb');
      expect(e.relation).toMatch(/^[a-z_]+\.[a-z_0-9]+$/);
    }
  });
});

describe('pgBadger tempfile_only.log.gz (a PostgreSQL 9.x era log)', () => {
  const file = resolve(CORPUS, 'pgbadger/tempfile_only.log.gz');
  const stats = new StatementStats();
  const events = stopgapReadStderr(file).map((r) => classifyRecord(r, { stats })).filter((e): e is LogEvent => e !== undefined);

  it('finds its 5 temp files, 4 old-format autovacuums, 17 autoanalyzes and 65 slow statements; checkpoints and plain disconnects are nothing', () => {
    expect(countBy(events)).toEqual({ 'temp-file': 5, autovacuum: 4, autoanalyze: 17, 'slow-statement': 65 });
  });

  it('reads the pre-9.4 autovacuum report and the 9.x system usage', () => {
    const vacuum = events.find((e) => e.class === 'autovacuum' && e.relation === 'public.grid_states');
    expect(vacuum?.fields).toMatchObject({ index_scans: 1, pages_removed: 0, pages_remain: 305, tuples_removed: 151, tuples_remain: 755, cpu_system_s: 0, cpu_user_s: 0, elapsed_s: 0.14 });
    expect(vacuum?.database).toBe('bss_fwc14');
  });

  it('ties each temp file to its statement and aggregates the slow statements by shape', () => {
    const temp = events.find((e) => e.class === 'temp-file' && e.fields.size_bytes === 12517376);
    expect(temp?.fields.statement).toMatch(/^SELECT "order_lines"\."id" AS t0_r0/);
    const summary = stats.summary();
    expect(summary.calls).toBe(65);
    // The three LIMIT 200 OFFSET n pages of one view are one statement.
    const paged = summary.statements.filter((s) => s.query.startsWith('SELECT "view_no_allocations".* FROM "view_no_allocations" ORDER BY view_no_allocations.id ASC'));
    expect(paged).toHaveLength(1);
    expect(paged[0]?.query).toMatch(/LIMIT \? OFFSET \?$/);
    expect(summary.statements.reduce((n, s) => n + s.calls, 0) + summary.other.calls).toBe(65);
  });
});
