import { describe, expect, it } from 'vitest';
import type { LogRecord } from '../log-record.js';
import { classifyRecord } from './classify-record.js';

function record(message: string, extra: Partial<LogRecord> = {}): LogRecord {
  return { severity: 'WARNING', message, pid: 7, database: 'app', source: { file: 't.log', line: 1 }, ...extra };
}

describe('wraparound-warning', () => {
  it.each([
    // 14–16 HINT, then 17+ ("To avoid XID assignment failures …"); the message itself has not changed.
    ['To avoid a database shutdown, execute a database-wide VACUUM in that database.\nYou might also need to commit or roll back old prepared transactions, or drop stale replication slots.'],
    ['To avoid XID assignment failures, execute a database-wide VACUUM in that database.\nYou might also need to commit or roll back old prepared transactions, or drop stale replication slots.'],
  ])('reads the XIDs left and the database it names (HINT %#)', (hint) => {
    const event = classifyRecord(record('database "template1" must be vacuumed within 18875083 transactions', { hint }));
    expect(event).toMatchObject({ class: 'wraparound-warning', severity: 'warning', database: 'template1', fields: { database: 'template1', remaining_xids: 18875083 } });
    expect(event?.summary).toBe('database "template1" must be vacuumed within 18,875,083 transactions');
  });

  it('reads the OID form, used when the name cannot be looked up', () => {
    expect(classifyRecord(record('database with OID 0 must be vacuumed within 40000000 transactions'))?.fields).toEqual({ database_oid: 0, remaining_xids: 40000000 });
  });

  it.each([
    ['oldest xmin is far in the past', 'wraparound-warning', 'oldest-xmin-far-in-past'],
    ['cutoff for removing and freezing tuples is far in the past', 'wraparound-warning', 'oldest-xmin-far-in-past'],
    ['oldest multixact is far in the past', 'multixact-wraparound', 'oldest-multixact-far-in-past'],
    ['cutoff for freezing multixacts is far in the past', 'multixact-wraparound', 'oldest-multixact-far-in-past'],
  ])('%s (14–15, 16+ wording)', (message, cls, kind) => {
    expect(classifyRecord(record(message, { hint: 'Close open transactions soon to avoid wraparound problems.' }))).toMatchObject({ class: cls, fields: { kind } });
  });
});

describe('wraparound-stop', () => {
  it('reads the 14–16 wording', () => {
    const event = classifyRecord(
      record('database is not accepting commands to avoid wraparound data loss in database "template1"', { severity: 'ERROR', hint: 'Stop the postmaster and vacuum that database in single-user mode.' }),
    );
    expect(event).toMatchObject({ class: 'wraparound-stop', severity: 'critical', database: 'template1', fields: { database: 'template1', wording: 'pg16-and-older' } });
  });

  it('reads the 17+ wording ("that assign new transaction IDs") and the OID form', () => {
    const event = classifyRecord(
      record('database is not accepting commands that assign new transaction IDs to avoid wraparound data loss in database with OID 16384', {
        severity: 'ERROR',
        hint: 'Execute a database-wide VACUUM in that database.',
      }),
    );
    expect(event).toMatchObject({ class: 'wraparound-stop', severity: 'critical', database: 'app', fields: { database_oid: 16384, wording: 'pg17-and-newer' } });
  });
});

describe('multixact-wraparound', () => {
  it.each([
    ['database "app" must be vacuumed before 1000 more MultiXactIds are used', { kind: 'warning', remaining_multixacts: 1000 }, 'warning'],
    ['database "app" must be vacuumed before 1 more MultiXactId is used', { kind: 'warning', remaining_multixacts: 1 }, 'warning'],
    ['database with OID 5 must be vacuumed before 2500 more multixact members are used', { kind: 'members-warning', remaining_members: 2500, database_oid: 5 }, 'warning'],
    ['database is not accepting commands that generate new MultiXactIds to avoid wraparound data loss in database "app"', { kind: 'stop', wording: 'pg16-and-older' }, 'critical'],
    ['database is not accepting commands that assign new MultiXactIds to avoid wraparound data loss in database "app"', { kind: 'stop', wording: 'pg17-and-newer' }, 'critical'],
    ['multixact "members" limit exceeded', { kind: 'members-stop' }, 'critical'],
    ['MultiXactId 12345 has not been created yet -- apparent wraparound', { kind: 'apparent-wraparound', multixact_id: 12345 }, 'critical'],
  ])('%s', (message, fields, severity) => {
    expect(classifyRecord(record(message))).toMatchObject({ class: 'multixact-wraparound', severity, fields });
  });
});

describe('failsafe', () => {
  it('names the table and the index scans done (14+)', () => {
    const event = classifyRecord(
      record('bypassing nonessential maintenance of table "app.public.events" as a failsafe after 0 index scans', {
        detail: "The table's relfrozenxid or relminmxid is too far in the past.",
      }),
    );
    expect(event).toMatchObject({ class: 'failsafe', severity: 'warning', database: 'app', relation: 'public.events', fields: { index_scans: 0 } });
  });
});
