import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLASSIFIER_NEEDLES, classifyRecord } from '../../src/logs/classify/index.js';
import { statementText } from '../../src/logs/classify/make-event.js';
import { StatementStats } from '../../src/logs/classify/statement-stats.js';
import type { LogEvent } from '../../src/logs/log-event.js';
import { REPO_ROOT } from './fixtures/corpus.js';
import { caseId, caseRecords, readCases, type PganalyzeCase } from './fixtures/pganalyze-cases.js';
import { PGANALYZE_CLASS_MAP, PGANALYZE_DETAIL_KEYS, PGANALYZE_DISAGREEMENTS, PGANALYZE_LOCK_TYPES } from './fixtures/pganalyze-classes.js';

// Durations of every length are statements here: the threshold is our policy, not a class question.
const ALL_DURATIONS = { slowMs: 0 };

function classified(c: PganalyzeCase): { event: LogEvent | undefined; lineIndex: number }[] {
  return caseRecords(c).map(({ record, lineIndex }) => ({ event: classifyRecord(record, ALL_DURATIONS), lineIndex }));
}

/** The event of the case's first classified line (pganalyze's `class`). */
function primaryEvent(c: PganalyzeCase): LogEvent | undefined {
  const first = c.line_classes.findIndex((cls) => cls !== null);
  return classified(c).find((r) => r.lineIndex === first)?.event;
}

function expectedClass(c: PganalyzeCase): string | null {
  const override = PGANALYZE_DISAGREEMENTS[caseId(c)];
  if (override) return override.ours;
  const mapped = PGANALYZE_CLASS_MAP[c.class];
  if (mapped === undefined) throw new Error(`pganalyze class ${c.class} (${caseId(c)}) is not in PGANALYZE_CLASS_MAP: decide what it is`);
  return mapped;
}

/** pganalyze's detail value in our terms (lock types, index lists, the event's own relation and database). */
function ours(event: LogEvent, key: string): unknown {
  if (key === 'relation') return event.relation;
  if (key === 'database') return event.database ?? event.fields.database;
  return event.fields[key];
}

function theirs(key: string, value: unknown): unknown {
  if (key === 'lock_type' && typeof value === 'string') return PGANALYZE_LOCK_TYPES[value] ?? value;
  if (key === 'index_vacuums' && value && typeof value === 'object') {
    return Object.entries(value as Record<string, Record<string, number>>).map(([name, v]) => ({
      name,
      pages: v.num_pages,
      newly_deleted: v.pages_newly_deleted,
      currently_deleted: v.pages_deleted,
      reusable: v.pages_free,
    }));
  }
  return value;
}

describe('pganalyze collector cases (../shared/corpus/logs/pganalyze)', () => {
  const cases = readCases('cases.jsonl');
  const all = readCases('all_cases.jsonl');

  it('reads the 73 MVCC cases and the 176 in all', () => {
    expect(cases).toHaveLength(73);
    expect(all).toHaveLength(176);
  });

  it.each(cases.map((c) => [`${c.class} ${caseId(c)}`, c] as const))('%s gets the mapped class', (_, c) => {
    expect(primaryEvent(c)?.class ?? null).toBe(expectedClass(c));
  });

  it('every case whose class is not ours yields no event at all, from any of its lines', () => {
    const wrong = all
      .filter((c) => PGANALYZE_CLASS_MAP[c.class] === null && !PGANALYZE_DISAGREEMENTS[caseId(c)])
      .flatMap((c) => classified(c).filter((r) => r.event).map((r) => `${caseId(c)} ${c.class} → ${r.event?.class}`));
    expect(wrong).toEqual([]);
  });

  it('every record that classifies holds one of CLASSIFIER_NEEDLES in its first line', () => {
    const missing = all.flatMap((c) =>
      caseRecords(c)
        .filter(({ record }) => classifyRecord(record, ALL_DURATIONS) !== undefined)
        .filter(({ record }) => !CLASSIFIER_NEEDLES.some((needle) => (record.message.split('\n')[0] ?? '').includes(needle)))
        .map(({ record }) => `${caseId(c)}: ${record.message.slice(0, 60)}`),
    );
    expect(missing).toEqual([]);
  });

  it('every class of all_cases.jsonl has a decision in the map', () => {
    expect([...new Set(all.map((c) => c.class))].filter((cls) => !(cls in PGANALYZE_CLASS_MAP))).toEqual([]);
  });

  it('every line pganalyze classifies as one of our classes is classified by us too', () => {
    const missed: string[] = [];
    for (const c of cases) {
      const events = classified(c);
      c.line_classes.forEach((cls, index) => {
        if (cls === null || PGANALYZE_CLASS_MAP[cls] === null) return;
        const at = events.find((r) => r.lineIndex === index);
        if (!at?.event) missed.push(`${caseId(c)} line ${index} (${cls})`);
      });
    }
    expect(missed).toEqual([]);
  });

  it('details pganalyze gives match ours: lock waits, wraparound, vacuum numbers, temp files', () => {
    const mismatches: string[] = [];
    const notCompared = new Set<string>();
    let compared = 0;
    for (const c of cases) {
      const event = primaryEvent(c);
      if (!event || expectedClass(c) === null) continue;
      for (const [key, value] of Object.entries(c.details)) {
        const mapped = PGANALYZE_DETAIL_KEYS[key];
        if (!mapped) {
          notCompared.add(key);
          continue;
        }
        compared++;
        const got = ours(event, mapped);
        const want = theirs(key, value);
        if (JSON.stringify(got) !== JSON.stringify(want)) mismatches.push(`${caseId(c)} ${key}: pganalyze ${JSON.stringify(want)}, ours ${mapped}=${JSON.stringify(got)}`);
      }
    }
    expect(mismatches).toEqual([]);
    expect(compared).toBeGreaterThan(350);
    // auto_explain's "can't be parsed as JSON" note is pganalyze's own; every other detail is compared.
    expect([...notCompared]).toEqual(['query_sample_error']);
  });

  it('the statement of an event of each case is the query pganalyze extracted (passwords redacted)', () => {
    const mismatches: string[] = [];
    for (const c of cases) {
      if (c.query === null || expectedClass(c) === null) continue;
      const statements = classified(c).map((r) => r.event?.fields.statement).filter((s): s is string => typeof s === 'string');
      const want = statementText(c.query).trim();
      if (!statements.some((s) => s.trim() === want)) mismatches.push(`${caseId(c)}: ${JSON.stringify(statements)} vs ${JSON.stringify(want)}`);
    }
    expect(mismatches).toEqual([]);
  });

  it('with the default --slow of 500 ms, short durations are counted but are no events', () => {
    const stats = new StatementStats();
    const durations = cases.filter((c) => c.class === 'STATEMENT_DURATION' || c.class === 'STATEMENT_AUTO_EXPLAIN');
    const events = durations.flatMap((c) => caseRecords(c).map(({ record }) => classifyRecord(record, { stats }))).filter((e) => e);
    const short = durations.filter((c) => /^duration: (\d+(?:\.\d+)?) ms/.exec(c.lines[0]?.content ?? '')?.[1] !== undefined && Number(/^duration: ([\d.]+)/.exec(c.lines[0]?.content ?? '')?.[1]) < 500);
    expect(short.length).toBeGreaterThan(0);
    expect(events).toHaveLength(durations.length - short.length);
    expect(stats.summary().calls).toBe(durations.length);
  });

  it('docs/logs-classes.md lists every disagreement', () => {
    const doc = readFileSync(resolve(REPO_ROOT, 'docs/logs-classes.md'), 'utf8');
    for (const id of Object.keys(PGANALYZE_DISAGREEMENTS)) expect(doc).toContain(id);
  });
});
