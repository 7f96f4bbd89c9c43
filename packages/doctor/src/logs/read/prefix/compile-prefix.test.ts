import { describe, expect, it } from 'vitest';
import { compilePrefix } from './compile-prefix.js';

/** The fields a compiled prefix takes from a line, by name. */
function fields(prefix: string, line: string): Record<string, string | undefined> | null {
  const compiled = compilePrefix(prefix);
  const m = compiled.regex.exec(line);
  if (!m) return null;
  const out: Record<string, string | undefined> = { severity: m[compiled.severityGroup], message: line.slice(m[0].length) };
  for (const [field, group] of Object.entries(compiled.groups)) out[field] = m[group];
  if (m[compiled.verboseStateGroup]) out.verboseState = m[compiled.verboseStateGroup];
  return out;
}

describe('compilePrefix', () => {
  it('matches every escape with its field', () => {
    const prefix = '%m|%p|%c|%l|%v|%x|%b|%a|%u|%d|%h|%e|%Q| ';
    const line = '2024-06-27 00:00:07.369 CEST|4242|667c8f67.e327|7|3/5|12345|client backend|psql|alice|shop|10.0.0.1|40P01|-8112313845396740087| ERROR:  deadlock detected';
    expect(fields(prefix, line)).toEqual({
      time: '2024-06-27 00:00:07.369 CEST',
      pid: '4242',
      sessionId: '667c8f67.e327',
      sessionLine: '7',
      virtualXid: '3/5',
      xid: '12345',
      backendType: 'client backend',
      application: 'psql',
      user: 'alice',
      database: 'shop',
      client: '10.0.0.1',
      sqlstate: '40P01',
      queryId: '-8112313845396740087',
      severity: 'ERROR',
      message: 'deadlock detected',
    });
  });

  it('reads %r with or without a port, and %t, %n, %s, %i, %P, %L, %%', () => {
    expect(fields('%t:%r:%u@%d:[%p]:', '2020-03-11 20:40:50 CET:192.168.1.201(50906):gilles@pgbench:[12795]:FATAL:  no')).toMatchObject({
      time: '2020-03-11 20:40:50 CET',
      client: '192.168.1.201(50906)',
      user: 'gilles',
      database: 'pgbench',
      pid: '12795',
    });
    expect(fields('%t:%r:%u@%d:[%p]:', '2020-03-11 20:40:43 CET::@:[12760]:LOG:  starting')).toMatchObject({ client: '', user: '', database: '' });
    expect(fields('%n %s %i %P %L %% [%p] ', '1669575482.097 2022-11-27 18:58:02 UTC SELECT 17 10.1.1.1 % [600] LOG:  x')).toMatchObject({
      epoch: '1669575482.097',
      pid: '600',
      message: 'x',
    });
  });

  it('makes what follows %q optional, for the lines of background processes', () => {
    expect(fields('%m [%p] %q%u@%d ', '2025-01-21 18:37:49.782 CET [78776] LOG:  starting')).toMatchObject({ pid: '78776', user: undefined, message: 'starting' });
    expect(fields('%m [%p] %q%u@%d ', '2025-01-21 18:38:06.453 CET [78798] gilles@gilles ERROR:  conflicting')).toMatchObject({ user: 'gilles', database: 'gilles' });
  });

  it('allows padding (%-10u, %5p) and values with the separators in them', () => {
    expect(fields('%-8u|%5p ', 'bob     |   42 LOG:  x')).toMatchObject({ user: 'bob', pid: '42' });
    expect(fields('[app=%a] ', '[app=sidekiq 1.2.3 queues:x[0 of 50 busy]] LOG:  x')).toMatchObject({ application: 'sidekiq 1.2.3 queues:x[0 of 50 busy]' });
  });

  it('takes a verbose SQLSTATE after the severity, not a word that looks like one', () => {
    expect(fields('%m [%p] ', '2026-05-06 15:49:08.082 UTC [1] ERROR:  22012: division by zero')).toMatchObject({ verboseState: '22012', message: 'division by zero' });
    expect(fields('%m [%p] ', '2026-05-06 15:49:08.082 UTC [1] LOG:  TRACE: something')).toMatchObject({ message: 'TRACE: something' });
  });

  it('does not match a line without the prefix and a severity', () => {
    expect(fields('%m [%p] ', '\tpages: 0 removed')).toBeNull();
    expect(fields('%m [%p] ', '2024-06-27 00:00:07.369 UTC [1] hello: world')).toBeNull();
    expect(fields('%t [%p]: ', 'pg_ctl: could not start server')).toBeNull();
  });

  it('stays fast on a long line that does not match (no catastrophic backtracking)', () => {
    const compiled = compilePrefix('%u@%d %a %h ');
    const line = 'x'.repeat(1_000_000);
    const started = process.hrtime.bigint();
    expect(compiled.regex.test(line)).toBe(false);
    // Not a timing assertion on the result: a runaway regex would not return at all within the test timeout.
    expect(process.hrtime.bigint() - started).toBeGreaterThan(0n);
  });
});
