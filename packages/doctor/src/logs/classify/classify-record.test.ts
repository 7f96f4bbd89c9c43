import { describe, expect, it } from 'vitest';
import type { LogEventClass } from '../log-event.js';
import type { LogRecord } from '../log-record.js';
import { classifyRecord } from './classify-record.js';
import { CLASS_SEVERITY } from './make-event.js';
import { CLASSIFIER_NEEDLES } from './needles.js';
import { StatementStats } from './statement-stats.js';

function record(message: string, extra: Partial<LogRecord> = {}): LogRecord {
  return { severity: 'LOG', message, pid: 7, source: { file: 'postgresql.log', line: 12 }, ...extra };
}

/** One message of every class (the other test files cover each class's shapes and versions). */
const ONE_OF_EACH: [LogEventClass, string][] = [
  ['deadlock', 'deadlock detected'],
  ['lock-wait', 'process 1 still waiting for ShareLock on transaction 2 after 1000.000 ms'],
  ['lock-timeout', 'canceling statement due to lock timeout'],
  ['statement-timeout', 'canceling statement due to statement timeout'],
  ['idle-in-transaction-timeout', 'terminating connection due to idle-in-transaction timeout'],
  ['serialization-failure', 'could not serialize access due to concurrent update'],
  ['autovacuum', 'automatic vacuum of table "d.s.t": index scans: 0\npages: 0 removed, 1 remain'],
  ['autoanalyze', 'automatic analyze of table "d.s.t"'],
  ['autovacuum-cancel', 'canceling autovacuum task'],
  ['vacuum-skipped', 'skipping vacuum of "t" --- lock not available'],
  ['wraparound-warning', 'database "d" must be vacuumed within 10 transactions'],
  ['wraparound-stop', 'database is not accepting commands to avoid wraparound data loss in database "d"'],
  ['multixact-wraparound', 'multixact "members" limit exceeded'],
  ['failsafe', 'bypassing nonessential maintenance of table "d.s.t" as a failsafe after 1 index scans'],
  ['checksum-failure', 'invalid page in block 1 of relation base/1/2'],
  ['clog-missing', 'could not access status of transaction 5'],
  ['temp-file', 'temporary file: path "base/pgsql_tmp/pgsql_tmp1.0", size 1'],
  ['slow-statement', 'duration: 501.000 ms  statement: SELECT 1'],
  ['connection-lost-in-transaction', 'unexpected EOF on client connection with an open transaction'],
];

describe('classifyRecord', () => {
  it('covers every class, each with a severity', () => {
    expect(ONE_OF_EACH.map(([cls]) => cls).sort()).toEqual(Object.keys(CLASS_SEVERITY).sort());
  });

  it.each(ONE_OF_EACH)('%s: carries the record\'s time, pid, user, database and place', (cls, message) => {
    const event = classifyRecord(record(message, { time: 1_700_000_000_000, user: 'app', database: 'shop' }));
    expect(event).toMatchObject({ class: cls, time: 1_700_000_000_000, pid: 7, user: 'app', source: { file: 'postgresql.log', line: 12 } });
    expect(event?.summary).toBeTypeOf('string');
    // The message's own database wins (autovacuum's "d.s.t", wraparound's "d"); otherwise the record's.
    expect(['shop', 'd']).toContain(event?.database);
  });

  it.each(ONE_OF_EACH)('%s: its message holds one of CLASSIFIER_NEEDLES, so a reader skipping other lines never loses it', (_, message) => {
    const first = message.split('\n')[0] ?? '';
    expect(CLASSIFIER_NEEDLES.some((needle) => first.includes(needle))).toBe(true);
  });

  it('the statements kept for bare durations hold a needle too', () => {
    for (const message of ['statement: SELECT 1', 'execute S_1: SELECT 1', 'duration: 1.000 ms']) {
      expect(CLASSIFIER_NEEDLES.some((needle) => message.includes(needle))).toBe(true);
    }
  });

  it.each([
    'connection received: host=10.0.0.1 port=5555',
    'connection authorized: user=app database=shop application_name=psql',
    'disconnection: session time: 0:00:01.234 user=app database=shop host=10.0.0.1 port=5555',
    'checkpoint starting: time',
    'checkpoint complete: wrote 3 buffers (0.0%); 0 WAL file(s) added, 0 removed, 0 recycled; write=0.302 s, sync=0.015 s, total=0.353 s',
    'database system is ready to accept connections',
    'database system was shut down at 2024-06-27 00:00:00 CEST',
    'autovacuum launcher started',
    'automatic vacuum launcher shutting down',
    'redo done at 0/1000028 system usage: CPU: user: 0.00 s, system: 0.00 s, elapsed: 0.00 s',
    'could not receive data from client: Connection reset by peer',
    'unexpected EOF on client connection',
    'canceling statement due to user request',
    'terminating connection due to administrator command',
    'skipping vacuum of "gone" --- relation no longer exists',
    'process 12 still waiting for backend with PID 4 to accept ProcSignalBarrier',
    'duplicate key value violates unique constraint "t_pkey"',
    'relation "missing" does not exist',
    '',
  ])('a healthy or unrelated line is nothing: %j', (message) => {
    expect(classifyRecord(record(message))).toBeUndefined();
    expect(classifyRecord(record(message, { severity: 'ERROR', sqlstate: '23505' }), { stats: new StatementStats() })).toBeUndefined();
  });

  it('without stats, a statement line is nothing and costs nothing; with stats, it is remembered', () => {
    expect(classifyRecord(record('statement: SELECT 1'))).toBeUndefined();
    const stats = new StatementStats();
    classifyRecord(record('statement: SELECT 1'), { stats });
    expect(stats.take(7)).toBe('SELECT 1');
  });

  it('classifies by SQLSTATE when the message is in another language (csvlog/jsonlog)', () => {
    expect(classifyRecord(record('no se pudo serializar el acceso', { sqlstate: '40001' }))?.class).toBe('serialization-failure');
    expect(classifyRecord(record("terminando la conexión por timeout de inactividad en transacción", { sqlstate: '25P03' }))?.class).toBe('idle-in-transaction-timeout');
    expect(classifyRecord(record('Zeitüberschreitung', { sqlstate: '25P04' }))?.fields).toEqual({ setting: 'transaction_timeout' });
  });
});
