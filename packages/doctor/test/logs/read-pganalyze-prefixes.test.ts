import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { HAVE_CORPUS, PGANALYZE, readAll } from './log-corpus.js';

/** One case of pganalyze's logs/parse_test.go, as the corpus gives it. */
interface ParseCase {
  prefix: string;
  line: string;
  tz: string | null;
  expected: {
    OccurredAt?: string | unknown[];
    Username?: string;
    Database?: string;
    Application?: string;
    LogLevel?: string | number;
    BackendPid?: number;
    LogLineNumber?: number;
    Content?: string;
  };
  source: string;
}

/**
 * Where we knowingly differ from pganalyze's expectations, and why. Every other case must give exactly their
 * fields.
 */
const DISAGREEMENTS: Record<string, string> = {
  // A LOCATION line (log_error_verbosity = verbose) is part of the record before it, like DETAIL; LogRecord has
  // no field for it, so it is dropped. pganalyze reports it as a line of its own.
  'logs/parse_test.go:690': 'LOCATION folds into the record before it',
};

/** pganalyze's level enum as its test prints it: 6 is LOG. */
const LEVELS: Record<number, string> = { 6: 'LOG' };

/** "2018-09-27T06:57:01.030000000[…zone…]" as epoch ms; undefined for Go's zero time ([]). */
function occurredAt(value: string | unknown[] | undefined): number | undefined {
  if (value === undefined || Array.isArray(value)) return undefined;
  const m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)\.(\d{3})\d*\[(.*)\]$/.exec(value);
  if (!m) throw new Error(`unexpected OccurredAt ${value}`);
  const wall = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!, +m[7]!);
  const zone = m[8]!;
  if (zone === 'time.UTC') return wall;
  if (zone === 'BSTTimeLocation') return wall - 3600_000; // Europe/London in summer
  const fixed = /'args': \['[^']*', (-?\d+)\]/.exec(zone);
  if (!fixed) throw new Error(`unexpected zone ${zone}`);
  return wall - Number(fixed[1]) * 1000;
}

describe.runIf(HAVE_CORPUS)("pganalyze's log_line_prefix cases (parse_cases.jsonl)", () => {
  const cases: ParseCase[] = HAVE_CORPUS
    ? readFileSync(join(PGANALYZE, 'parse_cases.jsonl'), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as ParseCase)
    : [];

  it('has the 45 cases', () => {
    expect(cases).toHaveLength(45);
  });

  for (const c of cases) {
    const where = c.source.replace(/^.*?@\w+ /, '');
    it(`${where}: ${JSON.stringify(c.prefix)}`, async () => {
      // pganalyze's test feeds a message's newlines bare; a server writes a TAB after each (append_with_tabs).
      const text = `${c.line.replace(/\n/g, '\n\t')}\n`;
      const { records, stats } = await readAll('-', {
        prefix: c.prefix,
        format: 'stderr',
        stdin: Readable.from([Buffer.from(text)]),
        ...(c.tz === 'BSTTimeLocation' ? { timezone: 'Europe/London' } : {}),
      });
      const disagreement = DISAGREEMENTS[where];
      if (disagreement) {
        expect(records, disagreement).toEqual([]);
        expect(stats.skipped.orphan).toBe(1);
        return;
      }
      expect(records).toHaveLength(1);
      const e = c.expected;
      const level = typeof e.LogLevel === 'number' ? LEVELS[e.LogLevel] : e.LogLevel;
      expect({
        time: records[0]!.time,
        user: records[0]!.user,
        database: records[0]!.database,
        application: records[0]!.application,
        severity: records[0]!.severity,
        pid: records[0]!.pid,
        sessionLine: records[0]!.sessionLine,
        message: records[0]!.message,
      }).toEqual({
        time: occurredAt(e.OccurredAt),
        user: e.Username || undefined,
        database: e.Database || undefined,
        application: e.Application || undefined,
        severity: level,
        pid: e.BackendPid,
        sessionLine: e.LogLineNumber,
        message: e.Content,
      });
    });
  }
});
