import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The dashboard's files ship beside dist/ (packages/doctor/dashboard): the daemon serves all of them, no CDN. */
export const DASHBOARD_DIR = fileURLToPath(new URL('../../dashboard/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json; charset=utf-8',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/** A file of the dashboard by URL path, or undefined (never a file outside the folder). */
export async function dashboardFile(path: string, dir = DASHBOARD_DIR): Promise<{ body: Buffer; type: string } | undefined> {
  const relative = normalize(decodeURIComponent(path)).replace(/^([/\\])+/, '');
  const file = join(dir, relative || 'index.html');
  if (!file.startsWith(dir.endsWith(sep) ? dir : dir + sep)) return undefined;
  const type = TYPES[extname(file)];
  if (!type) return undefined;
  try {
    return { body: await readFile(file), type };
  } catch {
    return undefined;
  }
}
