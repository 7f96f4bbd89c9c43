import { TransactionControlError } from './errors.js';
import { keywordAt, readWord, skipSpace, statementStarts } from './statement-lexer.js';

/**
 * The transaction-control statement a query would run, as the error to refuse it with; undefined when it has none.
 * Every statement of a multi-statement query counts (`select 1; commit; begin` commits half a transaction), whatever
 * comments or whitespace lead it; text inside literals, quoted identifiers, comments and dollar-quoted bodies does not.
 *
 * Refused: BEGIN, START TRANSACTION, COMMIT (AND CHAIN, PREPARED), END, ROLLBACK (TO SAVEPOINT, PREPARED), ABORT,
 * PREPARE TRANSACTION, SAVEPOINT, RELEASE. A COMMIT inside a function or DO body is not seen here: PostgreSQL
 * itself refuses it inside a transaction block (2D000, "invalid transaction termination").
 */
export function transactionControl(text: string): TransactionControlError | undefined {
  // The common statement has no semicolon: one statement, only its first words matter.
  if (text.indexOf(';') === -1) {
    const statement = controlAt(text, skipSpace(text, 0));
    return statement === undefined ? undefined : new TransactionControlError(statement);
  }
  // standard_conforming_strings decides whether \' ends a '…' string; the session's setting is not known here, so a
  // query with a backslash is read both ways and refused if either reading runs transaction control.
  return (
    refusal(text, statementStarts(text, false)) ?? (text.includes('\\') ? refusal(text, statementStarts(text, true)) : undefined)
  );
}

function refusal(text: string, starts: number[]): TransactionControlError | undefined {
  for (let index = 0; index < starts.length; index++) {
    const statement = controlAt(text, starts[index]!);
    if (statement !== undefined) return new TransactionControlError(statement, { index: index + 1, of: starts.length });
  }
  return undefined;
}

/** The transaction-control keywords of the statement starting at `i` (upper case), or undefined. */
function controlAt(text: string, i: number): string | undefined {
  // Compared in place by first letter: a statement that is not transaction control (SELECT, UPDATE, …) makes no string.
  switch (text.charCodeAt(i) | 0x20) {
    case 0x62: // b
      return keywordAt(text, i, 'begin') ? 'BEGIN' : undefined;
    case 0x65: // e
      return keywordAt(text, i, 'end') ? 'END' : undefined;
    case 0x61: // a
      return keywordAt(text, i, 'abort') ? 'ABORT' : undefined;
    case 0x73: // s
      if (keywordAt(text, i, 'savepoint')) return 'SAVEPOINT';
      return keywordAt(text, i, 'start') && next(text, i + 5).word === 'transaction' ? 'START TRANSACTION' : undefined;
    case 0x72: // r
      if (keywordAt(text, i, 'release')) return 'RELEASE';
      return keywordAt(text, i, 'rollback') ? ending(text, i + 8, 'ROLLBACK') : undefined;
    case 0x63: // c
      return keywordAt(text, i, 'commit') ? ending(text, i + 6, 'COMMIT') : undefined;
    case 0x70: // p
      // PREPARE TRANSACTION 'gid'; PREPARE name AS … is a prepared statement.
      return keywordAt(text, i, 'prepare') && next(text, i + 7).word === 'transaction' ? 'PREPARE TRANSACTION' : undefined;
    default:
      return undefined;
  }
}

/** COMMIT or ROLLBACK and what follows it: PREPARED, TO SAVEPOINT, AND CHAIN (all refused; named for the message). */
function ending(text: string, end: number, keyword: string): string {
  const second = next(text, end);
  if (second.word === 'prepared') return `${keyword} PREPARED`;
  if (second.word === 'to') return `${keyword} TO SAVEPOINT`;
  if (second.word === 'and' && next(text, second.end).word === 'chain') return `${keyword} AND CHAIN`;
  return keyword;
}

function next(text: string, i: number): { word: string; end: number } {
  return readWord(text, skipSpace(text, i));
}
