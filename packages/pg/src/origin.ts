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
  /** Frames captured for the opening stack; 0 captures nothing (origin "unknown:0"), saving ~10 µs per transaction. */
  frames: number;
  /** Directory origins are made relative to. */
  root: string;
  /** Extra frames to skip, e.g. your own `db.tx()` helper, so the origin names its caller. */
  ignoreFile: ((path: string) => boolean) | undefined;
}

type Prepare = NonNullable<typeof Error.prepareStackTrace>;
type CallSite = NodeJS.CallSite;

const CACHE_LIMIT = 2_000;
const UNKNOWN = 'unknown:0';
const originCache = new Map<string, string>();
const rawSites = (_error: Error, sites: CallSite[]): CallSite[] => sites;

/**
 * Capture the caller's stack as V8 call sites (no string formatting: that is the expensive part) and name the
 * origin. A call site seen before is a map hit; a new one is formatted once through whatever source-map aware
 * `Error.prepareStackTrace` is installed (vitest, source-map-support), so origins name the .ts line.
 */
export function captureOpening(boundary: (...args: never[]) => unknown, options: OriginOptions): Opening {
  if (options.frames === 0) return NO_OPENING;
  const prepare = Error.prepareStackTrace;
  const limit = Error.stackTraceLimit;
  let sites: CallSite[] = [];
  try {
    Error.prepareStackTrace = rawSites;
    Error.stackTraceLimit = options.frames;
    const holder: { stack?: CallSite[] } = {};
    Error.captureStackTrace(holder, boundary);
    sites = holder.stack ?? [];
  } finally {
    Error.prepareStackTrace = prepare;
    Error.stackTraceLimit = limit;
  }
  let origin = UNKNOWN;
  for (const site of sites) {
    const file = site.getFileName();
    if (!isUserFrame(file, options)) continue;
    const key = `${file}:${site.getLineNumber()}:${site.getColumnNumber()}`;
    const cached = originCache.get(key);
    if (cached !== undefined) origin = cached;
    else {
      origin = formatOrigin(site, prepare, options.root);
      if (originCache.size >= CACHE_LIMIT) originCache.clear();
      originCache.set(key, origin);
    }
    break;
  }
  return new LazyOpening(origin, sites, prepare);
}

const NO_OPENING: Opening = Object.freeze({ origin: UNKNOWN, stack: () => '    (stack capture is off: stackFrames 0)' });

/** An origin the caller named: no stack is captured. */
export function namedOpening(origin: string): Opening {
  return { origin, stack: () => `    (named origin ${origin}: no stack captured)` };
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
function isUserFrame(file: string | null | undefined, options: OriginOptions): boolean {
  if (!file || file.startsWith('node:')) return false;
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
