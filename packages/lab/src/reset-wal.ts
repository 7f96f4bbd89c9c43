import { spawn } from 'node:child_process';
import { chownSync, existsSync, openSync, closeSync, ftruncateSync, fstatSync } from 'node:fs';
import { join } from 'node:path';
import type { Cluster } from './cluster.js';
import { LabError } from './lab-error.js';
import { serverUser } from './os-user.js';

/** XIDs (and MultiXactIds) from the oldest frozen one to the wraparound limit: MaxTransactionId >> 1. */
export const WRAP_DISTANCE = 2 ** 31 - 1;
/** The server refuses new XIDs / MultiXactIds this close to the wraparound limit (PG 14+). */
export const STOP_MARGIN = 3_000_000;
/** The server warns on every new XID / MultiXactId this close to the wraparound limit. */
export const WARN_MARGIN = 40_000_000;

const XIDS_PER_CLOG_SEGMENT = 32 * 8192 * 4; // 32 pages of 8 KiB, 2 status bits per XID
const XIDS_PER_CLOG_PAGE = 8192 * 4;
const MULTIS_PER_OFFSETS_SEGMENT = 32 * 2048; // 32 pages of 2048 four-byte offsets
const MULTIS_PER_OFFSETS_PAGE = 2048;
const SLRU_SEGMENT_BYTES = 32 * 8192;
const TWO_32 = 2 ** 32;

/** What pg_controldata says about a stopped cluster's transaction counters (from its last checkpoint). */
export interface ControlData {
  state: string;
  /** Next XID including the epoch (epoch * 2^32 + xid). */
  nextXid: number;
  /** Oldest datfrozenxid when the checkpoint was taken: the server computes its XID limits from it at start. */
  oldestXid: number;
  oldestXidDatabaseOid: number;
  nextMultiXact: number;
  nextMultiOffset: number;
  oldestMultiXact: number;
  oldestMultiDatabaseOid: number;
}

/** Parse `pg_controldata` of the cluster (stopped or running; a running one shows its last checkpoint). */
export async function readControlData(cluster: Cluster): Promise<ControlData> {
  const text = await cluster.tool('pg_controldata', ['-D', cluster.dataDir]);
  const field = (name: string): string => {
    const line = text.split('\n').find((l) => l.startsWith(`${name}:`));
    if (line === undefined) throw new LabError('resetwal-failed', `pg_controldata printed no "${name}" for ${cluster.dataDir}`);
    return line.slice(name.length + 1).trim();
  };
  const [epoch, xid] = field("Latest checkpoint's NextXID").split(':').map(Number);
  const nextXid = epoch! * TWO_32 + xid!;
  const oldest32 = Number(field("Latest checkpoint's oldestXID"));
  return {
    state: field('Database cluster state'),
    nextXid,
    // oldestXID carries no epoch: it is the newest full XID with those low 32 bits not after NextXID.
    oldestXid: nextXid - ((xid! - oldest32 + TWO_32) % TWO_32),
    oldestXidDatabaseOid: Number(field("Latest checkpoint's oldestXID's DB")),
    nextMultiXact: Number(field("Latest checkpoint's NextMultiXactId")),
    nextMultiOffset: Number(field("Latest checkpoint's NextMultiOffset")),
    oldestMultiXact: Number(field("Latest checkpoint's oldestMultiXid")),
    oldestMultiDatabaseOid: Number(field("Latest checkpoint's oldestMulti's DB")),
  };
}

/**
 * Set NextXID of a cleanly stopped cluster with pg_resetwal (oldestXID is kept, so the server computes its
 * wraparound limits from the real oldest datfrozenxid at the next start). Refuses a value that would put
 * NextXID 2^31 or more past oldestXID: that destroys visibility.
 */
export async function setNextXid(cluster: Cluster, nextXid: number): Promise<ControlData> {
  const before = await stoppedControlData(cluster);
  if (!Number.isSafeInteger(nextXid) || nextXid - before.oldestXid >= WRAP_DISTANCE) {
    throw new LabError('resetwal-failed', `NextXID ${nextXid} is not within 2^31 of oldestXID ${before.oldestXid}`);
  }
  if (nextXid % TWO_32 < 3) nextXid += 3; // XIDs 0-2 are reserved
  // The server reads the page holding NextXID at start unless it is the first XID of a page.
  if (nextXid % XIDS_PER_CLOG_PAGE !== 0) {
    ensureSegment(join(cluster.dataDir, 'pg_xact'), Math.floor((nextXid % TWO_32) / XIDS_PER_CLOG_SEGMENT));
  }
  // Not -u: it would also clear oldestXID's database, and the server names that database in its warnings.
  const args = ['-x', String(nextXid % TWO_32)];
  const epoch = Math.floor(nextXid / TWO_32);
  if (epoch !== Math.floor(before.nextXid / TWO_32)) args.push('-e', String(epoch));
  return resetWal(cluster, args, (after) => after.nextXid === nextXid && after.oldestXid === before.oldestXid);
}

/**
 * Set NextMultiXactId (and keep oldestMultiXid unless given) of a cleanly stopped cluster with pg_resetwal.
 * The member offset is unchanged, so only the MultiXactId age moves, not the member space.
 */
export async function setNextMultiXact(cluster: Cluster, next: number, oldest?: number): Promise<ControlData> {
  const before = await stoppedControlData(cluster);
  const keep = oldest ?? before.oldestMultiXact;
  if (!Number.isSafeInteger(next) || next >= TWO_32 || next < 1 || (next - keep + TWO_32) % TWO_32 >= WRAP_DISTANCE) {
    throw new LabError('resetwal-failed', `NextMultiXactId ${next} is not within 2^31 of oldestMultiXid ${keep}`);
  }
  if (next % MULTIS_PER_OFFSETS_PAGE !== 0) {
    ensureSegment(join(cluster.dataDir, 'pg_multixact', 'offsets'), Math.floor(next / MULTIS_PER_OFFSETS_SEGMENT));
  }
  return resetWal(cluster, ['-m', `${next},${keep}`], (after) => after.nextMultiXact === next && after.oldestMultiXact === keep);
}

/**
 * Run SQL in single-user mode (`postgres --single`) on a stopped cluster: no autovacuum races it, and the XID
 * stop limit only warns there. One statement per entry, each on one line. Returns the backend's output.
 */
export async function singleUser(cluster: Cluster, database: string, statements: string[]): Promise<string> {
  if (cluster.pid !== undefined) throw new LabError('resetwal-failed', 'single-user mode needs a stopped cluster');
  const bad = statements.find((s) => /[\r\n]/.test(s));
  if (bad !== undefined) throw new LabError('resetwal-failed', `single-user statements must be one line each: ${bad}`);
  const { uid, gid } = serverUser();
  const postgres = join(cluster.installation.binDir, 'postgres');
  const child = spawn(postgres, ['--single', '-D', cluster.dataDir, '-c', 'exit_on_error=on', database], {
    uid,
    gid,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C', LANG: 'C', TZ: 'UTC' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  child.stdin.end(`${statements.join('\n')}\n`);
  const code = await exited;
  // exit_on_error turns an ERROR into FATAL and a non-zero exit, so a failed statement cannot pass unseen.
  if (code !== 0 || /\b(ERROR|FATAL|PANIC):/.test(out)) {
    const reason = out.split('\n').filter((l) => /\b(ERROR|FATAL|PANIC|DETAIL|HINT):/.test(l)).join(' | ');
    throw new LabError('resetwal-failed', `single-user PostgreSQL failed (exit ${code}): ${reason || out.slice(-500)}`);
  }
  return out;
}

async function stoppedControlData(cluster: Cluster): Promise<ControlData> {
  if (cluster.pid !== undefined) throw new LabError('resetwal-failed', 'pg_resetwal needs a stopped cluster; call cluster.stop() first');
  const control = await readControlData(cluster);
  if (control.state !== 'shut down') {
    throw new LabError('resetwal-failed', `the cluster in ${cluster.dataDir} was not shut down cleanly (state: ${control.state})`);
  }
  return control;
}

async function resetWal(cluster: Cluster, args: string[], applied: (after: ControlData) => boolean): Promise<ControlData> {
  try {
    await cluster.tool('pg_resetwal', [...args, cluster.dataDir]);
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim() ?? String(error);
    throw new LabError('resetwal-failed', `pg_resetwal ${args.join(' ')} failed: ${stderr}`, { cause: error });
  }
  const after = await readControlData(cluster);
  if (!applied(after)) throw new LabError('resetwal-failed', `pg_resetwal ${args.join(' ')} did not take: ${JSON.stringify(after)}`);
  return after;
}

/**
 * Make sure SLRU segment `segment` exists at full size: the server reads the page holding the next ID at
 * start-up and fails on a missing file. Zero bytes are "in progress" / "no offset", which unused IDs are.
 */
function ensureSegment(dir: string, segment: number): void {
  const path = join(dir, segment.toString(16).toUpperCase().padStart(4, '0'));
  const fd = openSync(path, existsSync(path) ? 'r+' : 'w', 0o600);
  try {
    if (fstatSync(fd).size < SLRU_SEGMENT_BYTES) ftruncateSync(fd, SLRU_SEGMENT_BYTES);
  } finally {
    closeSync(fd);
  }
  const { uid, gid } = serverUser();
  chownSync(path, uid, gid);
}
