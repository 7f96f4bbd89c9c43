import { findSourceMap } from 'node:module';
import { isAbsolute, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where a transaction or checkout was opened: `origin` at once, the full stack only when someone asks. */
export interface Opening {
  /** `path:line` of the caller of the public entry point (withTransaction, checkout), relative to the origin root. */
  readonly origin: string;
  /**
   * The opening stack (it costs tens of microseconds to format: done once per call path, or on first use). Its first
   * two frames are this transaction's; deeper ones are those of the first transaction opened through the same two.
   */
  stack(): string;
}

/** How origins are found. */
export interface OriginOptions {
  /** Depth of the opening stack; 0 captures nothing (origin "unknown:0"). Per transaction, at most 2 are captured. */
  frames: number;
  /** Directory origins are made relative to. */
  root: string;
  /** Extra frames to skip, e.g. your own `db.tx()` helper, so the origin names its caller. */
  ignoreFile: ((path: string) => boolean) | undefined;
}

type Prepare = NonNullable<typeof Error.prepareStackTrace>;
// getPosition (the call's character offset in its script) is V8's, missing from @types/node.
type CallSite = NodeJS.CallSite & { getPosition?(): number };

const CACHE_LIMIT = 2_000;
const UNKNOWN = 'unknown:0';
/**
 * Frames captured per transaction: the call site and its caller, which tell call paths apart. In a hot loop 2 frames
 * take about a third of the time 10 take; on a CPU gone cold during a network wait the capture's fixed cost
 * dominates whatever the count (bench/README.md, bench:pg), and only not capturing (a named origin) avoids it.
 */
const PATH_FRAMES = 2;
const rawSites = (_error: Error, sites: CallSite[]): CallSite[] => sites;

/** What is known about one script file: whether its frames are skipped, and its call sites seen so far. */
interface FileEntry {
  readonly ignored: boolean;
  /** By call position (character offset, or "line:column" where V8 has no getPosition). */
  readonly sites: Map<number | string, SiteEntry>;
}

/** One call site: its origin (undefined in a skipped file), and the opening of each call path through it. */
interface SiteEntry {
  readonly origin: string | undefined;
  /** By the calling frame's file ('' when there is none), then its position. */
  readonly paths: Map<string, Map<number | string, Opening>>;
}

// Keyed by the file name V8 gives (the same string object each time, its hash cached) and then by position: no
// string is built per transaction. Valid for one set of inputs to the formatting; a new set starts afresh.
let files = new Map<string, FileEntry>();
let cachedFor: { root: string; ignoreFile: OriginOptions['ignoreFile']; prepare: Prepare | undefined; frames: number } | undefined;
let cachedEntries = 0;
/** By the callback text's length, then chained: a text seen before is found with no hash of it (see `openingOf`). */
let byCallback = new Map<number, CallbackEntry>();
/** Openings whose call site is in a skipped file: their origin is the caller's, which no callback text tells. */
const namedByCaller = new WeakSet<Opening>();

// The one object every capture is made on. Error.captureStackTrace installs `stack` on its target, which turns a
// fresh object into a slow dictionary-mode object (~2 µs per transaction); the same object stays cheap. It is read
// and cleared at once, synchronously, so no capture can see another's frames.
const holder: { stack?: unknown } = {};

/**
 * Name the origin of a transaction opened by the caller of `boundary`, cheaply: two frames are captured as V8 call
 * sites (no string formatting: that is the expensive part), and a call path (call site and caller) seen before
 * gives back the opening made the first time, with no allocation. The first time, the full stack (`frames` deep)
 * is captured and formatted once through whatever source-map aware `Error.prepareStackTrace` is installed (vitest,
 * source-map-support), so origins name the .ts line; its frames past the second are the ones of that first
 * transaction. When neither frame is the app's (a skipped helper calling a skipped helper), the full stack is
 * captured every time and formatted only when a report asks for it.
 */
export function captureOpening(boundary: (...args: never[]) => unknown, options: OriginOptions): Opening {
  if (options.frames === 0) return NO_OPENING;
  return capture(boundary, options, cacheFor(options));
}

/** captureOpening once the caches are known to be valid for `options` (formatted through `prepare`). */
function capture(boundary: (...args: never[]) => unknown, options: OriginOptions, prepare: Prepare | undefined): Opening {
  const pathFrames = Math.min(options.frames, PATH_FRAMES);
  const sites = captureSites(boundary, pathFrames);
  const first = sites[0];
  if (first === undefined) return new LazyOpening(UNKNOWN, sites, prepare);
  const site = siteEntry(first, prepare, options);
  const caller = sites[1];
  const callerFile = caller?.getFileName() ?? '';
  const callerPosition = caller === undefined ? 0 : positionOf(caller);
  const known = site.paths.get(callerFile)?.get(callerPosition);
  if (known !== undefined) return known;
  const origin = site.origin ?? (caller === undefined ? undefined : siteEntry(caller, prepare, options).origin);
  const full = options.frames > pathFrames ? captureSites(boundary, options.frames) : sites;
  // Neither frame is the app's: the origin is further down, so is the path that tells transactions apart.
  if (origin === undefined) return new LazyOpening(originOf(full, prepare, options), full, prepare);
  const opening: Opening = Object.freeze({ origin, stack: constant(formatStack(full, prepare)) });
  if (site.origin === undefined) namedByCaller.add(opening);
  let byPosition = site.paths.get(callerFile);
  if (byPosition === undefined) site.paths.set(callerFile, (byPosition = new Map()));
  byPosition.set(callerPosition, opening);
  count();
  return opening;
}

/** What the openings of transactions running one callback text have shown so far. */
interface CallbackEntry {
  readonly text: string;
  readonly opening: Opening;
  /** The next text of the same length. */
  readonly next: CallbackEntry | undefined;
  /** Transactions that ran it. */
  calls: number;
  /** Two of them were opened at different origins: the text names no one call site, every call captures. */
  ambiguous: boolean;
}

/** Calls of a callback text whose opening is captured and compared whatever happens: the first ones, then 1 in 128. */
const CHECKED_FIRST = 8;
const CHECK_EVERY = 128;

/**
 * captureOpening for a transaction that runs `fn`, without capturing a stack when the callback's source text has
 * been seen before (a capture costs 6–15 µs on a CPU gone cold waiting for the network; the text, 1–2 µs): an
 * inline callback is written where it is called, so its text names its call site. Its first 8 calls, and 1 in 128
 * after, are captured anyway and compared; a text seen at two origins (the same callback pasted in two places,
 * a helper's `(tx) => work(tx)`, a bound function) is captured on every call from then on. Frames of the opening
 * stack past the origin are those of the first transaction that ran the text.
 */
export function openingOf(fn: (...args: never[]) => unknown, boundary: (...args: never[]) => unknown, options: OriginOptions): Opening {
  if (options.frames === 0) return NO_OPENING;
  const prepare = cacheFor(options);
  // A new string each call: a map keyed by it would hash all of it (a long callback, every time); its length is a
  // small integer, and comparing texts of one length stops at their first difference.
  const text = Function.prototype.toString.call(fn);
  const first = byCallback.get(text.length);
  let entry = first;
  while (entry !== undefined && entry.text !== text) entry = entry.next;
  if (entry !== undefined && !entry.ambiguous && (++entry.calls & (CHECK_EVERY - 1)) !== 0 && entry.calls > CHECKED_FIRST) return entry.opening;
  const opening = capture(boundary, options, prepare);
  if (entry === undefined) {
    // Not a lazy opening (no frame of the app's among the two: it keeps its frames, and their receivers, alive).
    if (!(opening instanceof LazyOpening) && !namedByCaller.has(opening) && !text.endsWith('{ [native code] }')) {
      byCallback.set(text.length, { text, opening, next: first, calls: 1, ambiguous: false });
      count();
    }
  } else if (opening.origin !== entry.opening.origin) entry.ambiguous = true;
  return opening;
}

/** The caches are valid for one set of inputs to the formatting: a new set starts afresh. */
function cacheFor(options: OriginOptions): Prepare | undefined {
  const prepare = Error.prepareStackTrace;
  if (
    cachedFor?.root !== options.root ||
    cachedFor.ignoreFile !== options.ignoreFile ||
    cachedFor.prepare !== prepare ||
    cachedFor.frames !== options.frames
  ) {
    files = new Map();
    byCallback = new Map();
    cachedEntries = 0;
    cachedFor = { root: options.root, ignoreFile: options.ignoreFile, prepare, frames: options.frames };
  }
  return prepare;
}

/** The caller's frames as V8 call sites, at most `limit` of them, below `boundary`. */
function captureSites(boundary: (...args: never[]) => unknown, limit: number): CallSite[] {
  const prepare = Error.prepareStackTrace;
  const saved = Error.stackTraceLimit;
  try {
    Error.prepareStackTrace = rawSites;
    Error.stackTraceLimit = limit;
    Error.captureStackTrace(holder, boundary);
    return (holder.stack as CallSite[] | undefined) ?? [];
  } finally {
    holder.stack = undefined;
    Error.prepareStackTrace = prepare;
    Error.stackTraceLimit = saved;
  }
}

function positionOf(site: CallSite): number | string {
  return typeof site.getPosition === 'function' ? site.getPosition() : `${site.getLineNumber()}:${site.getColumnNumber()}`;
}

/** The cache entry of a call site, made (its origin formatted) the first time it is seen. */
function siteEntry(site: CallSite, prepare: Prepare | undefined, options: OriginOptions): SiteEntry {
  const file = site.getFileName() ?? '';
  let entry = files.get(file);
  if (entry === undefined) {
    entry = { ignored: file === '' || !isUserFile(file, options), sites: new Map() };
    files.set(file, entry);
  }
  const position = positionOf(site);
  let known = entry.sites.get(position);
  if (known === undefined) {
    known = { origin: entry.ignored ? undefined : formatOrigin(site, prepare, options.root), paths: new Map() };
    entry.sites.set(position, known);
    count();
  }
  return known;
}

/** Bound the cache (an app that makes code at run time could make call sites without end): start afresh. */
function count(): void {
  if (++cachedEntries > CACHE_LIMIT) {
    files = new Map();
    byCallback = new Map();
    cachedEntries = 0;
  }
}

/** The first frame that is the app's own, as `path:line`. */
function originOf(sites: CallSite[], prepare: Prepare | undefined, options: OriginOptions): string {
  for (const site of sites) {
    const origin = siteEntry(site, prepare, options).origin;
    if (origin !== undefined) return origin;
  }
  return UNKNOWN;
}

function constant(text: string): () => string {
  return () => text;
}

const NO_OPENING: Opening = Object.freeze({ origin: UNKNOWN, stack: () => '    (stack capture is off: stackFrames 0)' });

/** An origin the caller named: no stack is captured. */
export function namedOpening(origin: string): Opening {
  return new NamedOpening(origin);
}

class NamedOpening implements Opening {
  constructor(readonly origin: string) {}

  stack(): string {
    return `    (named origin ${this.origin}: no stack captured)`;
  }
}

class LazyOpening implements Opening {
  private text: string | undefined;
  constructor(
    readonly origin: string,
    private sites: CallSite[] | undefined,
    private readonly prepare: Prepare | undefined,
  ) {}

  stack(): string {
    if (this.text === undefined) {
      this.text = formatStack(this.sites ?? [], this.prepare);
      this.sites = undefined; // let the frames' functions and receivers go
    }
    return this.text;
  }
}

/**
 * The capture starts below the public entry point (the boundary), so the first frame is the caller's. Skipped:
 * Node's internals and whatever the app asks to skip. (No check by library directory: a bundled app has the library
 * and its own code in one file.)
 */
function isUserFile(file: string, options: OriginOptions): boolean {
  if (file.startsWith('node:')) return false;
  return !options.ignoreFile?.(toPath(file));
}

function formatOrigin(site: CallSite, prepare: Prepare | undefined, root: string): string {
  const location = parseLocation(formatStack([site], prepare).trim().split('\n').pop() ?? '') ?? rawLocation(site);
  if (!location) return UNKNOWN;
  const path = toPath(location.file);
  const shown = isAbsolute(path) ? relative(root, path) : path;
  return `${shown.split(sep).join('/')}:${location.line}`;
}

function formatStack(sites: CallSite[], prepare: Prepare | undefined): string {
  if (prepare) {
    try {
      const text = String(prepare(new Error('opened here'), sites));
      return text.slice(text.indexOf('\n') + 1);
    } catch {
      // fall through to the plain format
    }
  }
  return sites
    .map((site) => {
      const at = rawLocation(site);
      const name = site.getFunctionName();
      const where = at ? `${toPath(at.file)}:${at.line}:${at.column}` : String(site);
      return name ? `    at ${name} (${where})` : `    at ${where}`;
    })
    .join('\n');
}

interface Location {
  file: string;
  line: number;
  column: number;
}

/** The call site's position, mapped through Node's own source maps when `--enable-source-maps` is on. */
function rawLocation(site: CallSite): Location | undefined {
  const file = site.getFileName();
  const line = site.getLineNumber();
  const column = site.getColumnNumber() ?? 1;
  if (!file || line === null) return undefined;
  if ((process as { sourceMapsEnabled?: boolean }).sourceMapsEnabled) {
    const entry = findSourceMap(file)?.findEntry(line - 1, column - 1);
    if (entry && 'originalSource' in entry) {
      return { file: entry.originalSource, line: entry.originalLine + 1, column: entry.originalColumn + 1 };
    }
  }
  return { file, line, column };
}

function parseLocation(frame: string): Location | undefined {
  const match = /\(?([^()\s][^()]*?):(\d+):(\d+)\)?\s*$/.exec(frame.replace(/^\s*at\s+(?:async\s+)?/, ''));
  if (!match) return undefined;
  return { file: match[1] ?? '', line: Number(match[2]), column: Number(match[3]) };
}

function toPath(file: string): string {
  return file.startsWith('file:') ? fileURLToPath(file) : file;
}
