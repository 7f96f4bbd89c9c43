import { InvalidOptionError } from './errors.js';

/**
 * Checks one option's value: returns what is expected (e.g. "must be true or false") when it is wrong, undefined
 * when it is fine. With `nested`, an object value is then checked key by key against that schema.
 */
export interface Check {
  (value: unknown): string | undefined;
  nested?: Schema;
}

/** The options a public function takes, each with its check. A key absent here is unknown. */
export interface Schema {
  readonly [option: string]: Check;
}

/**
 * Validate `options` once, where the public function receives them; the first problem throws InvalidOptionError
 * naming the function, the option and the value. An option given as undefined counts as not given.
 */
export function validateOptions(where: string, options: unknown, schema: Schema, path = ''): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidOptionError(where, path || 'options', describe(options), 'must be an object');
  }
  for (const key in options) {
    const value = (options as Record<string, unknown>)[key];
    if (value === undefined) continue;
    const check = Object.prototype.hasOwnProperty.call(schema, key) ? schema[key] : undefined;
    const option = path ? `${path}.${key}` : key;
    if (check === undefined) throw new InvalidOptionError(where, option, describe(value), `is not known${suggestion(key, schema)}`);
    const expected = check(value);
    if (expected !== undefined) throw new InvalidOptionError(where, option, describe(value), expected);
    if (check.nested !== undefined && typeof value === 'object') validateOptions(where, value, check.nested, option);
  }
}

/** Throw for a bad positional argument (a pool, a callback). */
export function invalidArgument(where: string, name: string, value: unknown, expected: string): InvalidOptionError {
  return new InvalidOptionError(where, name, describe(value), expected, 'argument');
}

/** What a value is, for an error message: strings and numbers shown, objects only by kind (a pool's config has a password). */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
    case 'number':
    case 'boolean':
    case 'bigint':
    case 'undefined':
      return String(value);
    case 'function':
      return 'a function';
    case 'symbol':
      return 'a symbol';
    default: {
      if (Array.isArray(value)) return `an array of ${value.length}`;
      const name = (Object.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null)?.constructor?.name;
      return typeof name === 'string' && name !== '' && name !== 'Object' ? `an object (${name})` : 'an object';
    }
  }
}

function suggestion(key: string, schema: Schema): string {
  const lower = key.toLowerCase();
  const known = Object.keys(schema);
  const close =
    known.find((k) => k.toLowerCase() === lower) ??
    known.find((k) => k.toLowerCase().startsWith(lower) || lower.startsWith(k.toLowerCase())) ??
    known.find((k) => distance(k.toLowerCase(), lower) <= 2);
  return close ? ` (did you mean ${close}?)` : ` (known: ${known.join(', ')})`;
}

/** Levenshtein distance, for "did you mean": keys are short, so the plain quadratic table is fine. */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = row;
  }
  return previous[b.length]!;
}

export const isBoolean: Check = (v) => (typeof v === 'boolean' ? undefined : 'must be true or false');
export const isFunction: Check = (v) => (typeof v === 'function' ? undefined : 'must be a function');
export const isNonEmptyString: Check = (v) => (typeof v === 'string' && v !== '' ? undefined : 'must be a non-empty string');
export const isString: Check = (v) => (typeof v === 'string' ? undefined : 'must be a string');

/** A whole number of milliseconds, at least `min` (0 by default). */
export function isMs(min = 0): Check {
  return (v) => (typeof v === 'number' && Number.isSafeInteger(v) && v >= min ? undefined : `must be a whole number of milliseconds, at least ${min}`);
}

/** A whole number in [min, max]; `Infinity` allowed when `infinite`. */
export function isInteger(min: number, max = Number.MAX_SAFE_INTEGER, infinite = false): Check {
  return (v) =>
    typeof v === 'number' && ((infinite && v === Infinity) || (Number.isSafeInteger(v) && v >= min && v <= max))
      ? undefined
      : `must be a whole number from ${min} to ${infinite ? 'Infinity' : max}`;
}

/** One of the given strings (compared as given, or ignoring case). */
export function isOneOf(values: readonly (string | boolean)[], ignoreCase = false): Check {
  const text = values.map((v) => (typeof v === 'string' ? `'${v}'` : String(v))).join(', ');
  return (v) => (values.includes(ignoreCase && typeof v === 'string' ? v.toLowerCase() : (v as string)) ? undefined : `must be one of ${text}`);
}

/** An object with `warn(message, details?)` and `error(message, details?)`. */
export const isLogger: Check = (v) => {
  const logger = v as { warn?: unknown; error?: unknown } | null;
  return typeof logger === 'object' && logger !== null && typeof logger.warn === 'function' && typeof logger.error === 'function'
    ? undefined
    : 'must be an object with warn() and error() functions';
};

/** `false`, or an object whose keys are checked against `schema`. */
export function isFalseOr(schema: Schema): Check {
  const check: Check = (v) => (v === false || (typeof v === 'object' && v !== null && !Array.isArray(v)) ? undefined : 'must be false or an object');
  check.nested = schema;
  return check;
}

/** An array whose every element passes `element` (described as `what`). */
export function isArrayOf(element: (v: unknown) => boolean, what: string): Check {
  return (v) => (Array.isArray(v) && v.every(element) ? undefined : `must be an array of ${what}`);
}
