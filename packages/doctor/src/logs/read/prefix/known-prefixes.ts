/**
 * log_line_prefix values seen in the wild, tried beside the ones inferred from a file's lines. Order matters only
 * between equals: the first wins a tie.
 */
export const KNOWN_PREFIXES: readonly string[] = [
  // PostgreSQL's default (10+), Debian/Ubuntu's, pgBadger's recommendation, and its variants.
  '%m [%p] ',
  '%m [%p] %q%u@%d ',
  '%t [%p] %q%u@%d ',
  '%t [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h ',
  '%t [%p]: [%l-1] user=%u,db=%d ',
  '%t [%p]: user=%u,db=%d,app=%a,client=%h ',
  '%m [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h ',
  // Amazon RDS / Aurora, Azure, Cloud SQL, Heroku.
  '%t:%r:%u@%d:[%p]:',
  '%m:%r:%u@%d:[%p]:',
  '%t-%c-',
  '[%p]: [%l-1] db=%d,user=%u ',
  ' sql_error_code = %e ',
  // Older defaults and common hand-made ones.
  '%t ',
  '%m ',
  '< %m > ',
  '%m [%p] %u@%d ',
  '%m [%p] [%l-1] %q%u@%d ',
];
