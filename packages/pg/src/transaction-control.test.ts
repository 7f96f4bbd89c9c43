import { describe, expect, it } from 'vitest';
import { TransactionControlError } from './errors.js';
import { statementStarts } from './statement-lexer.js';
import { transactionControl } from './transaction-control.js';

const refused = (sql: string) => transactionControl(sql)?.statement;

describe('transactionControl: refused wherever the server would run it', () => {
  it.each([
    ['COMMIT', 'COMMIT'],
    ['  rollback', 'ROLLBACK'],
    ['/* x */ commit', 'COMMIT'],
    ['/* a /* nested */ still a comment */ COMMIT', 'COMMIT'],
    ['  -- note\n COMMIT', 'COMMIT'],
    ['-- one\n-- two\r\n\tcommit work', 'COMMIT'],
    ['select 1; commit; begin', 'COMMIT'],
    ['select 1; end; begin', 'END'],
    ['select 1;;  ;abort', 'ABORT'],
    ['BEGIN', 'BEGIN'],
    ['begin;', 'BEGIN'],
    ['start transaction isolation level serializable', 'START TRANSACTION'],
    ['START/**/TRANSACTION', 'START TRANSACTION'],
    ["PREPARE TRANSACTION 'x'", 'PREPARE TRANSACTION'],
    ["prepare\n-- c\ntransaction 'x'", 'PREPARE TRANSACTION'],
    ['COMMIT AND CHAIN', 'COMMIT AND CHAIN'],
    ["COMMIT PREPARED 'x'", 'COMMIT PREPARED'],
    ["rollback prepared 'x'", 'ROLLBACK PREPARED'],
    ['ROLLBACK TO SAVEPOINT mvcc_doctor_sp_1', 'ROLLBACK TO SAVEPOINT'],
    ['rollback to s', 'ROLLBACK TO SAVEPOINT'],
    ['SAVEPOINT mine', 'SAVEPOINT'],
    ['RELEASE SAVEPOINT mine', 'RELEASE'],
    ['release mine', 'RELEASE'],
    ["select 'it''s'; commit", 'COMMIT'],
    ["select E'\\''; commit", 'COMMIT'],
    ["select e'a\\\\'; commit", 'COMMIT'],
    ['select "a""b"; commit', 'COMMIT'],
    ['select $$ x $$; commit', 'COMMIT'],
    ['select $tag$ $$ ; $tag$; commit', 'COMMIT'],
    ['select $1; commit', 'COMMIT'],
    ['select a$b$c; commit', 'COMMIT'],
    ["select U&'\\0041'; commit", 'COMMIT'],
    ['DO $$ BEGIN NULL; END $$; COMMIT', 'COMMIT'],
    // A backslash ends a '…' string or not depending on standard_conforming_strings: refused if either reading commits.
    ["select 'a\\' , ' ; commit; --'", 'COMMIT'],
    ["select '\\'; commit; select '", 'COMMIT'],
    // A body ends at its END; what follows is a statement.
    ['CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END; COMMIT', 'COMMIT'],
    ['create function f() returns int language sql begin atomic select case when true then 1 end; end; commit', 'COMMIT'],
    // Keywords used as names do not open or close anything.
    ['create function f() returns int language sql begin atomic select 1 as case; end; commit', 'COMMIT'],
    ['create function f() returns int language sql begin atomic select t.case from t; end; commit', 'COMMIT'],
    ['create function f(begin atomic) returns int language sql return 1; commit', 'COMMIT'],
    ['create function f() returns int language sql return 1; begin atomic; commit', 'BEGIN'],
    ['create table function (a int); begin', 'BEGIN'],
  ])('%j → %s', (sql, statement) => {
    expect(refused(sql)).toBe(statement);
  });

  it.each([
    'SELECT 1',
    "SELECT 'commit'",
    "select 'x; commit'",
    "select E'\\'; commit'",
    'select "commit"; select 1',
    'select 1 -- ; commit',
    'select 1 /* ; commit */',
    'select 1 /* /* */ ; commit */',
    'select $$; commit$$',
    'select $x$; commit $$ still; $x$',
    "DO $$ BEGIN PERFORM 1; COMMIT; END $$",
    "DO 'BEGIN COMMIT; END'",
    'UPDATE accounts SET balance = balance - $1 WHERE id = $2',
    'select commit from t',
    'select 1; select 2;',
    'PREPARE q AS SELECT 1',
    'ROLLBACKX',
    'commitment',
    'start_x',
    'create function f() returns int language sql begin atomic select 1; select case when true then 2 end; end',
    'create or replace procedure p() language sql begin atomic insert into t values (1); commit_x(); end',
    'CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$ BEGIN COMMIT; RETURN 1; END $$',
    'SAVEPOINTS',
    '',
    '   ',
    '/* only a comment */',
  ])('%j passes', (sql) => {
    expect(refused(sql)).toBeUndefined();
  });

  it('names the statement and its place, never the query text', () => {
    const error = transactionControl("select 'secret'; commit; begin")!;
    expect(error).toBeInstanceOf(TransactionControlError);
    expect(error.code).toBe('TRANSACTION_CONTROL_REFUSED');
    expect(error.message).toMatch(/^COMMIT \(statement 2 of 3 in the query\) refused, nothing was sent/);
    expect(error.message).not.toContain('secret');
    expect(transactionControl('commit')!.message).toMatch(/^COMMIT refused/);
  });
});

describe('statementStarts', () => {
  it('finds each non-empty statement after its leading comments', () => {
    const sql = ' /* a */ select 1; -- x\n update t;;  commit';
    expect(statementStarts(sql, false).map((i) => sql.slice(i, i + 6))).toEqual(['select', 'update', 'commit']);
  });

  it('an unterminated literal or comment runs to the end (the server parses nothing of such a query)', () => {
    expect(statementStarts("select 'a; commit", false)).toHaveLength(1);
    expect(statementStarts('select /* ; commit', false)).toHaveLength(1);
    expect(statementStarts('select $q$ ; commit', false)).toHaveLength(1);
  });
});
