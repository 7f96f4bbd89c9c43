/** Quote an SQL identifier: always double-quoted, inner quotes doubled, so any name is safe and keeps its case. */
export function quoteIdent(name: string): string {
  if (name.length === 0 || name.includes('\0')) throw new TypeError(`invalid SQL identifier ${JSON.stringify(name)}`);
  return `"${name.replace(/"/g, '""')}"`;
}

/** Quote a string literal; E'' with doubled backslashes so it reads the same whatever standard_conforming_strings is. */
export function quoteLiteral(value: string): string {
  if (value.includes('\0')) throw new TypeError('a string literal cannot contain NUL');
  const quoted = value.replace(/'/g, "''");
  return value.includes('\\') ? `E'${quoted.replace(/\\/g, '\\\\')}'` : `'${quoted}'`;
}
