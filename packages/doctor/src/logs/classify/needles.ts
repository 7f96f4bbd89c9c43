/**
 * Every text the classifier looks for at the start of (or inside) a record's main message line. A reader can test
 * a raw line for these bytes and skip the rest without parsing its prefix: a record none of them occurs in is
 * never an event and never counted. Lower-level DETAIL/CONTEXT/STATEMENT lines are never needed alone: they only
 * matter folded into a record whose main line matched. Messages must be in English (lc_messages = 'C' or 'en');
 * classifyRecord also looks at SQLSTATEs (40P01, 40001, 25P03, 25P04) for csvlog/jsonlog records in other languages.
 */
export const CLASSIFIER_NEEDLES: readonly string[] = Object.freeze([
  // locks (proc.c, deadlock.c, postgres.c)
  'deadlock detected',
  ' still waiting for ',
  ' acquired ',
  ' avoided deadlock for ',
  ' detected deadlock while waiting for ',
  'canceling statement due to ',
  // sessions
  'terminating connection due to ',
  'could not serialize access due to ',
  'unexpected EOF on client connection with an open transaction',
  // vacuum
  'automatic vacuum of table',
  'automatic aggressive vacuum',
  'automatic analyze of table',
  'canceling autovacuum task',
  'sending cancel to blocking autovacuum',
  '--- lock not available',
  'as a failsafe after',
  // wraparound
  'must be vacuumed ',
  'is not accepting commands',
  'multixact "members" limit exceeded',
  'is far in the past',
  'apparent wraparound',
  // integrity
  'page verification failed',
  'invalid page',
  'checksum failure',
  'could not access status of transaction',
  // statements
  'temporary file: ',
  'duration: ',
  // log_statement lines, remembered so that a later bare "duration: N ms" of the same process has its text
  'statement: ',
  'execute ',
]);
