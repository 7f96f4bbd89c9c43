import { describe, expect, it } from 'vitest';
import type { LogRecord } from '../log-record.js';
import { classifyRecord } from './classify-record.js';

function record(message: string, extra: Partial<LogRecord> = {}): LogRecord {
  return { severity: 'LOG', message, pid: 4849, source: { file: 't.log', line: 1 }, ...extra };
}

// proc.c's format has been the same from 9.x to 18: "process %d still waiting for %s on %s after %ld.%03d ms".
describe('lock-wait', () => {
  it('reads a wait on a transaction with holders, queue and the tuple from CONTEXT (PG 14–18)', () => {
    const event = classifyRecord(
      record('process 4882 still waiting for ShareLock on transaction 259635360 after 1000.119 ms', {
        detail: 'Process holding the lock: 4821. Wait queue: 4886, 4882.',
        context: 'while locking tuple (1508245,182) in relation "redacted_table_2"',
        statement: 'SELECT 1 FOR UPDATE',
      }),
    );
    expect(event).toMatchObject({
      class: 'lock-wait',
      severity: 'info',
      relation: 'redacted_table_2',
      fields: {
        state: 'waiting',
        process_pid: 4882,
        lock_mode: 'ShareLock',
        lock_type: 'transactionid',
        xid: 259635360,
        after_ms: 1000.119,
        holders: [4821],
        queue: [4886, 4882],
        context_tuple: '(1508245,182)',
        statement: 'SELECT 1 FOR UPDATE',
      },
    });
    expect(event?.summary).toBe('process 4882 still waiting for ShareLock on transaction 259635360 (redacted_table_2 tuple (1508245,182)) after 1.0 s, held by 4821');
  });

  it('reads PG 18\'s comma before "Wait queue" and several holders', () => {
    const event = classifyRecord(
      record('process 2078 still waiting for AccessExclusiveLock on relation 16434 of database 5 after 1001.500 ms', {
        detail: 'Processes holding the lock: 583, 123, Wait queue: 2078.',
      }),
    );
    expect(event?.fields).toMatchObject({ lock_type: 'relation', relation_oid: 16434, database_oid: 5, holders: [583, 123], queue: [2078] });
  });

  it.each([
    ['process 583 acquired AccessExclusiveLock on relation 185044 of database 16384 after 2175.443 ms', 'acquired', 'relation'],
    ['process 25307 acquired ExclusiveLock on tuple (106,38) of relation 16421 of database 16385 after 1129279.295 ms', 'acquired', 'tuple'],
    ['process 21813 acquired ExclusiveLock on extension of relation 419652 of database 16400 after 1003.994 ms', 'acquired', 'extend'],
    ['process 663 still waiting for ShareLock on virtual transaction 2/7 after 1000.123 ms', 'waiting', 'virtualxid'],
    ['process 663 still waiting for ExclusiveLock on advisory lock [233136,1,2,2] after 1000.365 ms', 'waiting', 'advisory'],
    ['process 9 still waiting for ShareLock on page 3 of relation 16421 of database 5 after 1000.000 ms', 'waiting', 'page'],
    ['process 9 still waiting for AccessShareLock on object 16500 of class 1259 of database 5 after 1000.000 ms', 'waiting', 'object'],
    ['process 9 still waiting for ShareLock on speculative token 3 of transaction 812 after 1000.000 ms', 'waiting', 'spectoken'],
    ['process 2078 avoided deadlock for AccessExclusiveLock on relation 999 of database 5 by rearranging queue order after 123.456 ms', 'deadlock-avoided', 'relation'],
    ['process 123 detected deadlock while waiting for AccessExclusiveLock on extension of relation 666 of database 123 after 456.000 ms', 'deadlock-detected', 'extend'],
  ])('%s', (message, state, type) => {
    expect(classifyRecord(record(message))?.fields).toMatchObject({ state, lock_type: type });
  });

  it('is not the WAL archiver\'s "still waiting for all required WAL segments"', () => {
    expect(classifyRecord(record('still waiting for all required WAL segments to be archived (60 seconds elapsed)'))).toBeUndefined();
    expect(classifyRecord(record('process 12 still waiting for backend with PID 4 to accept ProcSignalBarrier'))).toBeUndefined();
  });
});

describe('deadlock', () => {
  // pgBadger's logplex.gz fixture: three processes, their waits, their queries (the DETAIL lines are TAB-continued).
  const detail = [
    'Process 4849 waits for ShareLock on transaction 259635360; blocked by process 4821.',
    '\tProcess 4821 waits for ShareLock on transaction 259635221; blocked by process 4796.',
    '\tProcess 4796 waits for ShareLock on transaction 259635423; blocked by process 4849.',
    "\tProcess 4849: UPDATE t SET v = 1 WHERE id = 1 /*app='orders',origin='src%2Forders.ts%3A88',route='POST%20%2Forders'*/",
    "\tProcess 4821: UPDATE t SET v = 2\n\tWHERE id = 2 /*application:Billing,controller:invoices,action:create,line:/app/models/invoice.rb:42:in `save'*/",
    '\tProcess 4796: UPDATE t SET v = 3 WHERE id = 3',
  ].join('\n');

  it('names every process, the lock each waits for, whom it waits on, its query and its code', () => {
    const event = classifyRecord(
      record('deadlock detected', {
        severity: 'ERROR',
        sqlstate: '40P01',
        detail,
        hint: 'See server log for query details.',
        context: 'while locking tuple (1320064,42) in relation "redacted_table_2"',
        statement: "UPDATE t SET v = 1 WHERE id = 1 /*app='orders',origin='src%2Forders.ts%3A88',route='POST%20%2Forders'*/",
      }),
    );
    expect(event).toMatchObject({ class: 'deadlock', severity: 'warning', relation: 'redacted_table_2', origin: { app: 'orders', origin: 'src/orders.ts:88', route: 'POST /orders' } });
    expect(event?.fields.tuple).toBe('(1320064,42)');
    expect(event?.fields.processes).toEqual([
      {
        pid: 4849,
        lock_mode: 'ShareLock',
        lock_type: 'transactionid',
        lock_object: 'transaction 259635360',
        xid: 259635360,
        blocked_by: 4821,
        query: "UPDATE t SET v = 1 WHERE id = 1 /*app='orders',origin='src%2Forders.ts%3A88',route='POST%20%2Forders'*/",
        origin: { app: 'orders', origin: 'src/orders.ts:88', route: 'POST /orders' },
      },
      {
        pid: 4821,
        lock_mode: 'ShareLock',
        lock_type: 'transactionid',
        lock_object: 'transaction 259635221',
        xid: 259635221,
        blocked_by: 4796,
        query: "UPDATE t SET v = 2\nWHERE id = 2 /*application:Billing,controller:invoices,action:create,line:/app/models/invoice.rb:42:in `save'*/",
        origin: { app: 'Billing', origin: '/app/models/invoice.rb:42', route: 'invoices#create' },
      },
      { pid: 4796, lock_mode: 'ShareLock', lock_type: 'transactionid', lock_object: 'transaction 259635423', xid: 259635423, blocked_by: 4849, query: 'UPDATE t SET v = 3 WHERE id = 3' },
    ]);
    expect(event?.summary).toBe('deadlock between processes 4849, 4821, 4796 on redacted_table_2 tuple (1320064,42) (process 4849 was canceled)');
  });

  it('reads the DETAIL with a blank line before the queries, as PostgreSQL writes it', () => {
    const event = classifyRecord(
      record('deadlock detected', {
        detail: 'Process 9788 waits for ShareLock on transaction 1035; blocked by process 91.\nProcess 91 waits for ShareLock on transaction 1045; blocked by process 9788.\n\nProcess 9788: SELECT 1\nProcess 91: SELECT 2',
      }),
    );
    const processes = event?.fields.processes as { pid: number; query?: string }[];
    expect(processes.map((p) => [p.pid, p.query])).toEqual([
      [9788, 'SELECT 1'],
      [91, 'SELECT 2'],
    ]);
  });

  it('classifies a deadlock in another language by its SQLSTATE', () => {
    expect(classifyRecord(record('se ha detectado un deadlock', { severity: 'ERROR', sqlstate: '40P01' }))?.class).toBe('deadlock');
  });
});

describe('lock-timeout', () => {
  it('names the tuple and relation it waited on', () => {
    const event = classifyRecord(
      record('canceling statement due to lock timeout', { severity: 'ERROR', context: 'while updating tuple (24,41) in relation "mytable"', statement: 'UPDATE mytable SET y = 2 WHERE x = 1' }),
    );
    expect(event).toMatchObject({ class: 'lock-timeout', severity: 'warning', relation: 'mytable', fields: { tuple: '(24,41)', action: 'updating tuple', statement: 'UPDATE mytable SET y = 2 WHERE x = 1' } });
  });

  it('is not a user cancel or a recovery conflict', () => {
    expect(classifyRecord(record('canceling statement due to user request', { severity: 'ERROR' }))).toBeUndefined();
    expect(classifyRecord(record('canceling statement due to conflict with recovery', { severity: 'ERROR' }))).toBeUndefined();
  });
});
