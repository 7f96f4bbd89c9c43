/**
 * The commands other reports name as the next step (freeze's failed relation, check's checksum finding), written
 * so they can be pasted: arguments in single quotes for a POSIX shell, table names as the server prints them.
 * The connection options are the reader's own; the database and table are spelled out.
 */
export function corruptionScanCommand(database: string, table?: string): string {
  return `mvcc-doctor corruption scan -d ${shellQuote(database)}${table ? ` --table ${shellQuote(table)}` : ''}`;
}

export function salvagePlanCommand(database: string, table: string, into: string): string {
  return `mvcc-doctor corruption salvage plan -d ${shellQuote(database)} --table ${shellQuote(table)} --into ${shellQuote(into)}`;
}

/** One shell word: bare when it has only safe characters, else in single quotes (a quote inside as '\''). */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
