import { DEFAULT_RETRY, RETRY_SCHEMA, type RetryOptions } from './backoff.js';
import { consoleLogger, type Logger, type RetryInfo } from './events.js';
import { isBoolean, isFalseOr, isFunction, isInteger, isLogger, isNonEmptyString, isOneOf, validateOptions, type Schema } from './validate-options.js';

/** Process-wide settings, resolved once by `configure()`; each transaction may override `app` and `retry`. */
export interface LibraryOptions {
  /** Application name shown in tags. Default "app". */
  app?: string;
  /** Where reports go. Default: one line on stderr. */
  logger?: Logger;
  /** Retry of whole transactions; false turns it off. Fields left out keep their defaults. */
  retry?: Partial<RetryOptions> | false;
  /** Called before each retry's backoff (metrics, logs). The "retry" event fires too. */
  onRetry?: (info: RetryInfo) => void;
  /**
   * Where the sqlcommenter comment goes: "prepend" (default) survives pg_stat_activity's truncation of long
   * statements (track_activity_query_size, 1 kB by default); "append" is the sqlcommenter spec's place; false: none.
   */
  comment?: 'prepend' | 'append' | false;
  /**
   * Set each transaction's application_name to its tag (`SET LOCAL application_name = '<tag>'`, in BEGIN's round trip)
   * for tools that group sessions by it. Default: only when `comment` is false. The comment already names the code in
   * pg_stat_activity.query (every statement of the transaction, BEGIN's too, carries it) and in the server log, and
   * the SET is a second statement per transaction and two ParameterStatus messages (≈ 8 µs on loopback, a third of
   * what the library adds). A `checkout()` client, whose statements carry no comment, names its session unless this
   * is false.
   */
  applicationName?: boolean;
  /** Directory origins are shown relative to. Default: the working directory at configure() time. */
  originRoot?: string;
  /** Frames to skip when naming the origin, e.g. your own transaction helper: `(path) => path.endsWith('/db.ts')`. */
  ignoreFile?: (path: string) => boolean;
  /**
   * Depth of the opening stack that reports show. Default 10. A transaction whose callback text was seen before at one
   * origin captures nothing (1 in 128 is still captured, to tell a text used at two places); otherwise only the call
   * site and its caller are captured (a few µs), and the full stack once per such call path, so frames past the
   * origin are those of the first transaction opened through it. 0 turns capture off (origins become "unknown:0");
   * naming the origin per transaction skips it too.
   */
  stackFrames?: number;
  /**
   * A caller that holds a client and waits for another one of the same pool while every client is held by such
   * callers: "throw" (default) rejects that last request with PoolStarvationError, breaking the deadlock;
   * "report" only reports it; "off" does nothing.
   */
  starvation?: 'throw' | 'report' | 'off';
}

export interface Config {
  readonly app: string;
  /** The app name given to configure(), undefined when none was (`app` is then the default "app"). */
  readonly configuredApp: string | undefined;
  readonly logger: Logger;
  readonly retry: Readonly<RetryOptions> | false;
  readonly onRetry: ((info: RetryInfo) => void) | undefined;
  readonly comment: 'prepend' | 'append' | false;
  /** Whether transactions set application_name to their tag (see LibraryOptions.applicationName). */
  readonly applicationName: boolean;
  /** Whether checkout() names its session. */
  readonly checkoutName: boolean;
  readonly originRoot: string;
  readonly ignoreFile: ((path: string) => boolean) | undefined;
  readonly stackFrames: number;
  readonly starvation: 'throw' | 'report' | 'off';
}

const SCHEMA: Schema = Object.freeze({
  app: isNonEmptyString,
  logger: isLogger,
  retry: isFalseOr(RETRY_SCHEMA),
  onRetry: isFunction,
  comment: isOneOf(['prepend', 'append', false]),
  applicationName: isBoolean,
  originRoot: isNonEmptyString,
  ignoreFile: isFunction,
  stackFrames: isInteger(0, 200),
  starvation: isOneOf(['throw', 'report', 'off']),
});

/** Everything given to configure() since the start (or the last reset), merged. */
let given: LibraryOptions = {};
let current: Config = resolve(given);

/**
 * Set process-wide defaults. Each call merges over the earlier ones (a library and its app can each configure what
 * they own; `retry` fields merge too); an option given as undefined goes back to its default. Options are checked
 * first: an unknown or bad one throws InvalidOptionError and changes nothing. Returns the settings, frozen.
 */
export function configure(options: LibraryOptions): Config {
  validateOptions('configure()', options, SCHEMA);
  const retry = options.retry && given.retry ? { ...given.retry, ...options.retry } : 'retry' in options ? options.retry : given.retry;
  const merged: LibraryOptions = { ...given, ...options, retry };
  current = resolve(merged);
  given = merged;
  return current;
}

/** Forget every configure() call: back to the defaults (tests, or an app that reconfigures from scratch). */
export function resetConfiguration(): Config {
  given = {};
  current = resolve(given);
  return current;
}

export function config(): Config {
  return current;
}

/** Merge a per-transaction retry override over the configured one. */
export function mergeRetry(base: Readonly<RetryOptions> | false, override: Partial<RetryOptions> | false | undefined): Readonly<RetryOptions> | false {
  if (override === undefined) return base;
  if (override === false) return false;
  const merged: Record<string, unknown> = { ...(base || DEFAULT_RETRY) };
  // A field given as undefined keeps the value below it.
  for (const [key, value] of Object.entries(override)) if (value !== undefined) merged[key] = value;
  return Object.freeze(merged as unknown as RetryOptions);
}

function resolve(options: LibraryOptions): Config {
  return Object.freeze({
    app: options.app ?? 'app',
    configuredApp: options.app,
    logger: options.logger ?? consoleLogger,
    retry: mergeRetry(DEFAULT_RETRY, options.retry),
    onRetry: options.onRetry,
    comment: options.comment ?? 'prepend',
    applicationName: options.applicationName ?? options.comment === false,
    checkoutName: options.applicationName ?? true,
    originRoot: options.originRoot ?? process.cwd(),
    ignoreFile: options.ignoreFile,
    stackFrames: options.stackFrames ?? 10,
    starvation: options.starvation ?? 'throw',
  });
}
