import { describe, expect, it } from 'vitest';
import type { LogRecord } from '../log-record.js';
import { classifyRecord } from './classify-record.js';
import { parseDurationLine } from './duration-line.js';
import { MAX_STATEMENT_CHARS } from './make-event.js';
import { StatementStats } from './statement-stats.js';

function record(message: string, extra: Partial<LogRecord> = {}): LogRecord {
  return { severity: 'LOG', message, pid: 7, source: { file: 't.log', line: 1 }, ...extra };
}

describe('parseDurationLine', () => {
  it.each([
    ['duration: 3205.800 ms  statement: SELECT 1', { ms: 3205.8, kind: 'statement', text: 'SELECT 1' }],
    ['duration: 3205.800 ms  execute a2: SELECT 1\n', { ms: 3205.8, kind: 'execute', name: 'a2', text: 'SELECT 1' }],
    ['duration: 4079.697 ms  execute <unnamed>: \nSELECT * FROM x WHERE y = $1', { ms: 4079.697, kind: 'execute', name: '<unnamed>', text: 'SELECT * FROM x WHERE y = $1' }],
    ['duration: 0.105 ms  bind S_1/C_2: SELECT 1', { ms: 0.105, kind: 'bind', name: 'S_1/C_2', text: 'SELECT 1' }],
    ['duration: 0.042 ms  parse <unnamed>: SELECT 1', { ms: 0.042, kind: 'parse', name: '<unnamed>', text: 'SELECT 1' }],
    ['duration: 123.500 ms', { ms: 123.5, kind: 'none' }],
    ['duration: 3205.800 ms  execute a2: SELECT ...[Your log message was truncated]', { ms: 3205.8, kind: 'execute', name: 'a2', truncated: true }],
    ['duration: 1.000 ms  fastpath function call: "lo_open" (OID 952)', { ms: 1, kind: 'fastpath', text: '"lo_open" (OID 952)' }],
    [
      'duration: 1681.452 ms  plan:\n\tQuery Text: UPDATE t SET v = v +\n 2 WHERE id = 59;\n\tUpdate on public.t  (cost=0.27..8.29 rows=1 width=370)',
      { ms: 1681.452, kind: 'plan', text: 'UPDATE t SET v = v +\n 2 WHERE id = 59;' },
    ],
    ['duration: 2.000 ms  plan:\n{"Query Text": "SELECT 1", "Plan": {}}', { ms: 2, kind: 'plan', text: 'SELECT 1' }],
  ])('%j', (message, expected) => {
    expect(parseDurationLine(message)).toEqual(expected);
  });

  it('is not another message', () => {
    expect(parseDurationLine('statement: SELECT 1')).toBeUndefined();
    expect(parseDurationLine('duration: soon')).toBeUndefined();
  });
});

describe('slow-statement', () => {
  it('from 500 ms by default, with the statement, its parameters and its origin', () => {
    const event = classifyRecord(
      record("duration: 612.250 ms  execute <unnamed>: UPDATE orders SET state = $1 WHERE id = $2 /*app='shop',origin='src%2Forders.ts%3A40'*/", {
        detail: "parameters: $1 = 'paid', $2 = '17'",
      }),
    );
    expect(event).toMatchObject({
      class: 'slow-statement',
      severity: 'info',
      fields: { duration_ms: 612.25, kind: 'execute', prepared_name: '<unnamed>', parameters: "$1 = 'paid', $2 = '17'" },
      origin: { app: 'shop', origin: 'src/orders.ts:40' },
    });
    expect(event?.summary).toMatch(/^statement took 612 ms: UPDATE orders SET state = \$1 WHERE id = \$2 \/\*app='shop'.{10,}…$/);
    expect(classifyRecord(record('duration: 499.999 ms  statement: SELECT 1'))).toBeUndefined();
    expect(classifyRecord(record('duration: 499.999 ms  statement: SELECT 1'), { slowMs: 100 })?.class).toBe('slow-statement');
  });

  it('counts every duration in the stats, slow or not, and pairs a bare duration with the statement log_statement wrote', () => {
    const stats = new StatementStats();
    expect(classifyRecord(record('statement: SELECT * FROM t WHERE id = 1', { pid: 9 }), { stats })).toBeUndefined();
    const slow = classifyRecord(record('duration: 900.000 ms', { pid: 9 }), { stats });
    expect(slow?.fields).toMatchObject({ duration_ms: 900, kind: 'none', statement: 'SELECT * FROM t WHERE id = 1' });
    expect(classifyRecord(record('execute S_1: SELECT * FROM t WHERE id = $1', { pid: 9 }), { stats })).toBeUndefined();
    expect(classifyRecord(record('duration: 100.000 ms', { pid: 9 }), { stats })).toBeUndefined();
    expect(classifyRecord(record('duration: 50.000 ms', { pid: 9 }), { stats })).toBeUndefined();
    expect(stats.summary()).toMatchObject({
      calls: 3,
      statements: [{ query: 'SELECT * FROM t WHERE id = ?', calls: 2, total_ms: 1000, max_ms: 900 }],
      other: { calls: 1, total_ms: 50 },
    });
  });

  it('keeps passwords out and caps huge statements', () => {
    const event = classifyRecord(record("duration: 3205.800 ms  execute a2: CREATE ROLE app LOGIN PASSWORD 'se''cret'"));
    expect(event?.fields.statement).toBe("CREATE ROLE app LOGIN PASSWORD '***'");
    expect(event?.summary).not.toContain('cret');
    const huge = classifyRecord(record(`duration: 600.000 ms  statement: SELECT ${'1,'.repeat(MAX_STATEMENT_CHARS)}1`));
    expect((huge?.fields.statement as string).length).toBe(MAX_STATEMENT_CHARS + 1);
  });
});
