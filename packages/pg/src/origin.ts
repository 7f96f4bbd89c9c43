import { findSourceMap } from 'node:module';
import { isAbsolute, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where a transaction or checkout was opened: `origin` at once, the full stack only when someone asks. */
export interface Opening {
  /** `path:line` of the caller of the public entry point (withTransaction, checkout), relative to the origin root. */
  readonly origin: string;
  /** The opening stack, formatted on first use (it costs tens of microseconds). */
  stack(): string;
}

/** How origins are found. */
export interface OriginOptions {
  /** Frames captured for the opening stack; 0 captures nothing (origin "unknown:0"), saving ~25 µs per transaction. */
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
const rawSites = (_error: Error, sites: CallSite[]): CallSite[] => sites;

/** What is known about one script file: whether its frames are skipped, and the origin of each call site in it. */
interface FileEntry {
  readonly ignored: boolean;
  /** Origin by call position (character offset, or "line:column" where V8 has no getPosition). */
  readonly origins: Map<number | string, string>;
}

// Keyed by the file name V8 gives (the same string object each time, its hash cached) and then by position: no
// string is built per transaction. Valid for one set of inputs to the formatting; a new set starts afresh.
let files = new Map<string, FileEntry>();
let cachedFor: { root: string; ignoreFile: OriginOptions['ignoreFile']; prepare: Prepare | undefined } | undefined;
let cachedSites = 0;

// The one object every capture is made on. Error.captureStackTrace installs `stack` on its target, which turns a
// fresh object into a slow dictionary-mode object (~2 µs per transaction); the same object stays cheap. It is read
// and cleared at once, synchronously, so no capture can see another's frames.
const holder: { stack?: unknown } = {};

/**
 * Capture the caller's stack as V8 call sites (no string formatting: that is the expensive part) and name the
 * origin. A call site seen before is two map hits; a new one is formatted once through whatever source-map aware
 * `Error.prepareStackTrace` is installed (vitest, source-map-support), so origins name the .ts line. The full
 * opening stack is formatted only when a report asks for it.
 */
export function captureOpening(boundary: (...args: never[]) => unknown, options: OriginOptions): Opening {
  if (options.frames === 0) return NO_OPENING;
  const prepare = Error.prepareStackTrace;
  const limit = Error.stackTraceLimit;
  let sites: CallSite[];
  try {
    Error.prepareStackTrace = rawSites;
    Error.stackTraceLimit = options.frames;
    Error.captureStackTrace(holder, boundary);
    sites = (holder.stack as CallSite[] | undefined) ?? [];
  } finally {
    holder.stack = undefined;
    Error.prepareStackTrace = prepare;
    Error.stackTraceLimit = limit;
  }
  return new LazyOpening(originOf(sites, prepare, options), sites, prepare);
}

/** The first frame that is the app's own, as `path:line`, from the cache when this call site was seen before. */
function originOf(sites: CallSite[], prepare: Prepare | undefined, options: OriginOptions): string {
  if (cachedFor?.root !== options.root || cachedFor.ignoreFile !== options.ignoreFile || cachedFor.prepare !== prepare) {
    files = new Map();
    cachedSites = 0;
    cachedFor = { root: options.root, ignoreFile: options.ignoreFile, prepare };
  }
  for (const site of sites) {
    const file = site.getFileName();
    if (!file) continue;
    let entry = files.get(file);
    if (entry === undefined) {
      entry = { ignored: !isUserFile(file, options), origins: new Map() };
      files.set(file, entry);
    }
    if (entry.ignored) continue;
    const position = typeof site.getPosition === 'function' ? site.getPosition() : `${site.getLineNumber()}:${site.getColumnNumber()}`;
    let origin = entry.origins.get(position);
    if (origin === undefined) {
      origin = formatOrigin(site, prepare, options.root);
      if (++cachedSites > CACHE_LIMIT) {
        files = new Map([[file, entry]]);
        entry.origins.clear();
        cachedSites = 1;
      }
      entry.origins.set(position, origin);
    }
    return origin;
  }
  return UNKNOWN;
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
