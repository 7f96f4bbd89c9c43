import { execFileSync } from 'node:child_process';
import { LabError } from './lab-error.js';

/** The OS identity the server processes run as. */
export interface ServerUser {
  name: string;
  uid: number;
  gid: number;
}

export const SERVER_USER_NAME = 'mvccdoctor';

let cached: ServerUser | undefined;

/**
 * PostgreSQL refuses to run as root. As root we create (or reuse) an unprivileged system user and run
 * initdb and the server as it; as anybody else we simply run as ourselves.
 */
export function serverUser(): ServerUser {
  if (cached) return cached;
  const uid = process.getuid?.() ?? -1;
  if (uid !== 0) {
    cached = { name: currentUserName(), uid, gid: process.getgid?.() ?? -1 };
    return cached;
  }
  if (!lookupUser(SERVER_USER_NAME)) {
    try {
      execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', SERVER_USER_NAME], {
        stdio: 'pipe',
      });
    } catch (error) {
      // Another process may have created it at the same moment.
      if (!lookupUser(SERVER_USER_NAME)) {
        throw new LabError('os-user', `could not create the unprivileged OS user "${SERVER_USER_NAME}" (useradd failed)`, {
          cause: error,
        });
      }
    }
  }
  const found = lookupUser(SERVER_USER_NAME);
  if (!found) throw new LabError('os-user', `the OS user "${SERVER_USER_NAME}" does not exist`);
  cached = found;
  return found;
}

function lookupUser(name: string): ServerUser | undefined {
  try {
    const uid = Number(execFileSync('id', ['-u', name], { stdio: 'pipe' }).toString().trim());
    const gid = Number(execFileSync('id', ['-g', name], { stdio: 'pipe' }).toString().trim());
    return { name, uid, gid };
  } catch {
    return undefined;
  }
}

function currentUserName(): string {
  try {
    return execFileSync('id', ['-un'], { stdio: 'pipe' }).toString().trim();
  } catch {
    return 'unknown';
  }
}
