import { describe, expect, it } from 'vitest';
import type { LogRecord } from '../log-record.js';
import { classifyRecord } from './classify-record.js';

function record(message: string, extra: Partial<LogRecord> = {}): LogRecord {
  return { severity: 'ERROR', message, pid: 7, source: { file: 't.log', line: 1 }, ...extra };
}

describe('timeouts', () => {
  it('statement-timeout, with its statement', () => {
    expect(classifyRecord(record('canceling statement due to statement timeout', { statement: 'SELECT pg_sleep(10)' }))).toMatchObject({
      class: 'statement-timeout',
      severity: 'warning',
      fields: { statement: 'SELECT pg_sleep(10)' },
    });
  });

  it('idle-in-transaction-timeout (FATAL, 9.6+) names the application that left the transaction open', () => {
    const event = classifyRecord(record('terminating connection due to idle-in-transaction timeout', { severity: 'FATAL', application: 'orders@src/orders/create.ts:88#POST /orders' }));
    expect(event).toMatchObject({
      class: 'idle-in-transaction-timeout',
      severity: 'warning',
      fields: { setting: 'idle_in_transaction_session_timeout' },
      origin: { app: 'orders', origin: 'src/orders/create.ts:88', route: 'POST /orders' },
    });
  });

  it("17+ transaction_timeout shares the class, with its setting", () => {
    expect(classifyRecord(record('terminating connection due to transaction timeout', { severity: 'FATAL' }))?.fields).toEqual({ setting: 'transaction_timeout' });
  });

  it('is not the idle-session timeout or an administrator command', () => {
    expect(classifyRecord(record('terminating connection due to idle-session timeout', { severity: 'FATAL' }))).toBeUndefined();
    expect(classifyRecord(record('terminating connection due to administrator command', { severity: 'FATAL' }))).toBeUndefined();
  });
});

describe('serialization-failure (40001)', () => {
  it.each([
    ['could not serialize access due to concurrent update', 'concurrent update'],
    ['could not serialize access due to concurrent delete', 'concurrent delete'],
    ['could not serialize access due to read/write dependencies among transactions', 'read/write dependencies among transactions'],
  ])('%s', (message, reason) => {
    expect(classifyRecord(record(message, { detail: 'Reason code: Canceled on identification as a pivot, during write.' }))).toMatchObject({
      class: 'serialization-failure',
      severity: 'info',
      fields: { reason, reason_code: 'Canceled on identification as a pivot, during write' },
    });
  });
});

describe('connection-lost-in-transaction', () => {
  it('only with an open transaction', () => {
    expect(classifyRecord(record('unexpected EOF on client connection with an open transaction', { severity: 'LOG' }))?.class).toBe('connection-lost-in-transaction');
    expect(classifyRecord(record('unexpected EOF on client connection', { severity: 'LOG' }))).toBeUndefined();
    expect(classifyRecord(record('could not receive data from client: Connection reset by peer', { severity: 'LOG' }))).toBeUndefined();
  });
});

describe('autovacuum-cancel', () => {
  it.each([
    ['automatic vacuum of table "dbname.schemaname.tablename"', { relation: 'schemaname.tablename', database: 'dbname', fields: { side: 'worker', operation: 'vacuum' } }],
    ['automatic analyze of table "dbname.schemaname.tablename"', { relation: 'schemaname.tablename', database: 'dbname', fields: { side: 'worker', operation: 'analyze' } }],
    ['while scanning block 123 of relation "public.mytable"', { relation: 'public.mytable', fields: { phase: 'scanning block', block: 123 } }],
    ['while cleaning up index "myindex" of relation "public.mytable"', { relation: 'public.mytable', fields: { phase: 'cleaning up index', index: 'myindex' } }],
    ['while truncating relation "public.mytable" to 0 blocks', { relation: 'public.mytable', fields: { phase: 'truncating relation' } }],
    [
      'while scanning block 123 of relation "public.mytable"\nautomatic vacuum of table "db.public.mytable"',
      { relation: 'public.mytable', database: 'db', fields: { phase: 'scanning block', block: 123, operation: 'vacuum' } },
    ],
  ])('worker side, CONTEXT %s', (context, expected) => {
    expect(classifyRecord(record('canceling autovacuum task', { context }))).toMatchObject({ class: 'autovacuum-cancel', ...expected });
  });

  it('requester side: who canceled the worker, and for which lock', () => {
    const event = classifyRecord(
      record('sending cancel to blocking autovacuum PID 259', { severity: 'LOG', pid: 300, detail: 'Process 300 waits for AccessExclusiveLock on relation 16420 of database 16386.', statement: 'ALTER TABLE orders_live ALTER COLUMN status TYPE varchar(20);' }),
    );
    expect(event).toMatchObject({
      class: 'autovacuum-cancel',
      fields: { side: 'requester', autovacuum_pid: 259, process_pid: 300, lock_mode: 'AccessExclusiveLock', lock_type: 'relation', relation_oid: 16420, statement: 'ALTER TABLE orders_live ALTER COLUMN status TYPE varchar(20);' },
    });
  });
});

describe('vacuum-skipped', () => {
  it.each([
    ['skipping vacuum of "mytable" --- lock not available', 'vacuum', 'mytable'],
    ['skipping analyze of "pgbench_tellers" --- lock not available', 'analyze', 'pgbench_tellers'],
  ])('%s', (message, operation, relation) => {
    expect(classifyRecord(record(message, { severity: 'LOG' }))).toMatchObject({ class: 'vacuum-skipped', relation, fields: { operation } });
  });

  it('is not a relation that went away', () => {
    expect(classifyRecord(record('skipping vacuum of "mytable" --- relation no longer exists', { severity: 'LOG' }))).toBeUndefined();
  });
});

describe('temp-file', () => {
  it('reads the path, the size and the statement', () => {
    const event = classifyRecord(record('temporary file: path "base/pgsql_tmp/pgsql_tmp15967.0", size 200204288', { severity: 'LOG', statement: 'alter table pgbench_accounts add primary key (aid)' }));
    expect(event).toMatchObject({ class: 'temp-file', fields: { file: 'base/pgsql_tmp/pgsql_tmp15967.0', size_bytes: 200204288, statement: 'alter table pgbench_accounts add primary key (aid)' } });
    expect(event?.summary).toBe('temporary file of 190.9 MB written');
  });
});
