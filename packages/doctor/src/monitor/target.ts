import { resolveConnOptions, type ConnOptions } from '../connect/conn-options.js';
import { DoctorError } from '../connect/doctor-error.js';
import { DEFAULT_LOG_SPEC, parseLogSpecs, type TargetLogSpec } from './target-log/target-log-spec.js';

/** One cluster the daemon watches. */
export interface Target {
  /** The cluster's name in labels, URLs and alerts. */
  name: string;
  conn: ConnOptions;
  /** @mvcc-doctor/pg registry URLs of the apps that use this cluster. */
  apps: string[];
  /** Where its server log is read from, for its timeline. */
  log: TargetLogSpec;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

/** `NAME=URL` (or conninfo) from --target; the name is what every label and page shows, never the URL. */
export function parseTarget(spec: string, env: Record<string, string | undefined> = {}): Target {
  const at = spec.indexOf('=');
  const name = spec.slice(0, at);
  if (at < 1 || !NAME.test(name)) throw new DoctorError('usage', '--target takes NAME=postgresql://… with NAME of letters, digits, "_", "." or "-"');
  const conninfo = spec.slice(at + 1);
  if (!conninfo) throw new DoctorError('usage', `--target ${name}= needs a postgresql:// URL or conninfo`);
  const conn = resolveConnOptions({ conninfo, env: sharedEnv(env) });
  return { name, conn, apps: [], log: DEFAULT_LOG_SPEC };
}

/**
 * PGUSER, PGPASSWORD, PGPASSFILE may fill in for every URL the daemon is given (targets, the store); PGHOST, PGPORT,
 * PGDATABASE or DATABASE_URL must not silently redirect one that names its own server.
 */
export function sharedEnv(env: Record<string, string | undefined>): Record<string, string | undefined> {
  const { DATABASE_URL: _url, PGHOST: _host, PGHOSTADDR: _addr, PGPORT: _port, PGDATABASE: _db, ...shared } = env;
  return shared;
}

/**
 * `--app URL` goes to every target; `--app CLUSTER=URL` to that one. An app joins findings by backend pid, so
 * giving it to a cluster it does not use costs one request and finds nothing.
 */
export function attachApps(targets: Target[], specs: string[]): Target[] {
  const apps = new Map(targets.map((t) => [t.name, [...t.apps]]));
  for (const spec of specs) {
    const named = /^([^=:/]+)=(https?:\/\/.*)$/.exec(spec);
    const url = named ? named[2]! : spec;
    if (!/^https?:\/\//.test(url)) throw new DoctorError('usage', '--app takes an http(s) URL, or CLUSTER=URL');
    const owners = named ? [named[1]!] : targets.map((t) => t.name);
    for (const owner of owners) {
      const list = apps.get(owner);
      if (!list) throw new DoctorError('usage', `--app ${owner}=…: no target is named ${owner}`);
      list.push(url);
    }
  }
  return targets.map((t) => ({ ...t, apps: apps.get(t.name)! }));
}

/** `--log [CLUSTER=]server|off|PATH` (see target-log-spec.ts); every target reads its log through SQL by default. */
export function attachLogs(targets: Target[], specs: string[]): Target[] {
  const logs = parseLogSpecs(specs, targets.map((t) => t.name));
  return targets.map((t) => ({ ...t, log: logs.get(t.name)! }));
}
