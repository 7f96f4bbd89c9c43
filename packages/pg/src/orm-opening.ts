import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { config } from './config.js';
import { captureOpening, type Opening } from './origin.js';

// This package's own directory (src/ when run from source, dist/ when built): the integrations' frames are never the
// app's origin.
const OWN_DIR = dirname(fileURLToPath(import.meta.url));

/** Frames captured at least, through an ORM's call chain. */
const ORM_FRAMES = 40;

let skipFor: ((path: string) => boolean) | undefined;
let skipping: (path: string) => boolean = skip(undefined);

/**
 * Where the app opened a transaction or sent a query through an ORM: the first frame that is neither this package nor
 * anything under node_modules (the ORM's own frames, pg's), nor what `configure({ ignoreFile })` skips. The skip
 * function is made once per configured ignoreFile: origin.ts caches call sites per ignoreFile identity.
 */
export function ormOpening(boundary: (...args: never[]) => unknown): Opening {
  const settings = config();
  if (skipFor !== settings.ignoreFile) {
    skipFor = settings.ignoreFile;
    skipping = skip(settings.ignoreFile);
  }
  // An ORM's own frames come first (drizzle's tracing wrappers alone take a dozen): look deeper than a plain
  // withTransaction call needs, so the app's frame is among those captured. 0 still turns capture off.
  const frames = settings.stackFrames === 0 ? 0 : Math.max(settings.stackFrames, ORM_FRAMES);
  return captureOpening(boundary, { frames, root: settings.originRoot, ignoreFile: skipping });
}

function skip(user: ((path: string) => boolean) | undefined): (path: string) => boolean {
  return (path) => path.startsWith(OWN_DIR) || path.includes('/node_modules/') || path.includes('\\node_modules\\') || (user?.(path) ?? false);
}
