import { TransactionControlError } from './errors.js';
import { readWord, skipSpace, statementStarts } from './statement-lexer.js';

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
  // Most statements (SELECT aside) start with a letter no transaction-control keyword starts with: no word is read.
  const initial = text.charCodeAt(i) | 0x20;
  if (!(initial === 0x61 || initial === 0x62 || initial === 0x63 || initial === 0x65 || initial === 0x70 || initial === 0x72 || initial === 0x73)) {
    return undefined;
  }
  const first = readWord(text, i);
  switch (first.word) {
    case 'begin':
    case 'end':
    case 'abort':
    case 'savepoint':
    case 'release':
      return first.word.toUpperCase();
    case 'start':
    case 'prepare':
      // START TRANSACTION, PREPARE TRANSACTION 'gid'; PREPARE name AS … is a prepared statement.
      return next(text, first.end).word === 'transaction' ? `${first.word.toUpperCase()} TRANSACTION` : undefined;
    case 'commit':
    case 'rollback': {
      const second = next(text, first.end);
      const keyword = first.word.toUpperCase();
      if (second.word === 'prepared') return `${keyword} PREPARED`;
      if (second.word === 'to') return `${keyword} TO SAVEPOINT`;
      if (second.word === 'and' && next(text, second.end).word === 'chain') return `${keyword} AND CHAIN`;
      return keyword;
    }
    default:
      return undefined;
  }
}

function next(text: string, i: number): { word: string; end: number } {
  return readWord(text, skipSpace(text, i));
}
