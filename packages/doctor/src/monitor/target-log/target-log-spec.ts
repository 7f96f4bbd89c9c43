import { DoctorError } from '../../connect/doctor-error.js';

/**
 * Where a target's server log comes from: read through its own connection (pg_current_logfile and
 * pg_read_binary_file: superuser or pg_read_server_files, logging_collector on), a file or log directory the daemon
 * can read, or nowhere.
 */
export type TargetLogSpec = { kind: 'server' } | { kind: 'path'; path: string } | { kind: 'off' };

/** Every target reads its log through its connection unless told otherwise: it costs one short query a poll. */
export const DEFAULT_LOG_SPEC: TargetLogSpec = Object.freeze({ kind: 'server' });

/**
 * `--log [CLUSTER=]SOURCE`: SOURCE is `server`, `off`, or a path (a file, or the log directory). Without CLUSTER=
 * it applies to every target, which only makes sense for `server`, `off`, or a single target.
 */
export function parseLogSpecs(specs: string[], clusters: string[]): Map<string, TargetLogSpec> {
  const chosen = new Map<string, TargetLogSpec>(clusters.map((c) => [c, DEFAULT_LOG_SPEC]));
  for (const spec of specs) {
    const at = spec.indexOf('=');
    const named = at > 0 && clusters.includes(spec.slice(0, at));
    if (at > 0 && !named && /^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(spec.slice(0, at))) {
      throw new DoctorError('usage', `--log ${spec.slice(0, at)}=…: no target is named ${spec.slice(0, at)}`);
    }
    const source = named ? spec.slice(at + 1) : spec;
    const log = sourceOf(source);
    const owners = named ? [spec.slice(0, at)] : clusters;
    if (!named && log.kind === 'path' && clusters.length > 1) {
      throw new DoctorError('usage', `--log ${source}: which target's log is it? Give it as --log CLUSTER=${source}`);
    }
    for (const owner of owners) chosen.set(owner, log);
  }
  return chosen;
}

function sourceOf(source: string): TargetLogSpec {
  if (source === 'server') return DEFAULT_LOG_SPEC;
  if (source === 'off') return { kind: 'off' };
  if (!source) throw new DoctorError('usage', '--log takes [CLUSTER=]server, off, or the path of a log file or directory');
  return { kind: 'path', path: source };
}
