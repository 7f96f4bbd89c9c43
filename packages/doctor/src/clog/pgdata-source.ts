import { closeSync, existsSync, fstatSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { DoctorError } from '../connect/doctor-error.js';
import type { ClogFacts, ClogSource } from './clog-source.js';
import { readOffsetEntry, TAIL_BYTES, type ClogInventory, type SegmentFile } from './inventory.js';
import { findLogHits, LOG_TAIL_BYTES } from './log-xids.js';
import { parsePgControl } from './pg-control.js';
import { SLRU_DIRS, segmentName, segmentOf, slruGeometry, type SlruDir } from './slru.js';
import { locateXid } from './xid-location.js';

/**
 * clog check on a data directory, read with plain file reads (never written): the counters of the last
 * checkpoint from global/pg_control, the segment files, and the server log named by current_logfiles or
 * given with --log. Works on a stopped cluster, a running one (its files are as of the last checkpoint), a
 * standby, and a copy; needs the right to read the directory (root, or the server's OS user).
 */
export function pgdataSource(dataDirectory: string, logFile?: string): ClogSource {
  const dir = resolve(dataDirectory);
  return {
    async facts() {
      if (!existsSync(join(dir, 'PG_VERSION'))) throw new DoctorError('unreadable', `${dir} is not a PostgreSQL data directory (no PG_VERSION)`);
      const major = Number(read(join(dir, 'PG_VERSION')).toString('utf8').trim());
      const control = parsePgControl(read(join(dir, 'global', 'pg_control')), join(dir, 'global', 'pg_control'));
      const inRecovery = existsSync(join(dir, 'standby.signal')) || existsSync(join(dir, 'recovery.signal')) || /recovery/.test(control.state);
      return {
        source: { kind: 'pgdata', dataDirectory: dir, running: existsSync(join(dir, 'postmaster.pid')), state: control.state },
        server: { major, inRecovery, blockSize: control.blockSize, dataDirectory: dir },
        checkpoint: control.checkpoint,
        oldestXid: control.checkpoint.oldestXid,
        oldestMulti: control.checkpoint.oldestMulti,
        liveNextXid: control.checkpoint.nextXid,
      } satisfies ClogFacts;
    },

    async logHits(skipped) {
      const file = logFile ?? currentLogFile(dir);
      if (!file) {
        skipped.push({ what: 'server log', reason: `no current_logfiles in ${dir} (the server logs elsewhere); give it with --log FILE, or the XID with --xid` });
        return undefined;
      }
      try {
        return { file, hits: findLogHits(readTail(file, LOG_TAIL_BYTES).toString('utf8')) };
      } catch (error) {
        skipped.push({ what: 'server log', reason: `cannot read ${file}: ${(error as Error).message}` });
        return undefined;
      }
    },

    async inventory(facts, xids) {
      const files = {} as Record<SlruDir, SegmentFile[]>;
      for (const slru of SLRU_DIRS) files[slru] = listSegments(join(dir, slru));
      const offsets = slruGeometry('pg_multixact/offsets', facts.server.blockSize);
      const oldestMultiOffset =
        facts.oldestMulti === facts.checkpoint.nextMulti
          ? facts.checkpoint.nextMultiOffset
          : readOffsetEntry(readAt(join(dir, 'pg_multixact/offsets', segmentName(segmentOf(offsets, facts.oldestMulti))), (facts.oldestMulti % offsets.perSegment) * 4, 4));
      const statusBytes = new Map<number, number | undefined>();
      for (const xid of xids) {
        const at = locateXid(xid, { blockSize: facts.server.blockSize });
        statusBytes.set(xid, readAt(join(dir, at.file), at.offset, 1)?.[0]);
      }
      return {
        blockSize: facts.server.blockSize,
        inRecovery: facts.server.inRecovery,
        checkpoint: facts.checkpoint,
        oldestXid: facts.oldestXid,
        oldestMulti: facts.oldestMulti,
        ...(oldestMultiOffset === undefined ? {} : { oldestMultiOffset }),
        files,
        statusBytes,
      } satisfies ClogInventory;
    },

    async probe() {
      return new Map();
    },

    async close() {},
  };
}

function read(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw unreadable(path, error);
  }
}

function unreadable(path: string, error: unknown): DoctorError {
  const code = (error as NodeJS.ErrnoException).code;
  const why = code === 'EACCES' ? 'permission denied (run as root or as the server\'s OS user)' : code === 'ENOENT' ? 'no such file' : String((error as Error).message);
  return new DoctorError('unreadable', `${path}: ${why}`, { cause: error });
}

function listSegments(path: string): SegmentFile[] {
  let names: string[];
  try {
    names = readdirSync(path);
  } catch (error) {
    throw unreadable(path, error);
  }
  const out: SegmentFile[] = [];
  for (const name of names.filter((n) => /^[0-9A-F]{4,6}$/.test(n))) {
    try {
      const size = statSync(join(path, name)).size;
      out.push({ name, size, tail: readAt(join(path, name), Math.max(0, size - TAIL_BYTES), Math.min(size, TAIL_BYTES)) ?? new Uint8Array() });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw unreadable(join(path, name), error); // removed meanwhile: it is missing
    }
  }
  return out;
}

/** `length` bytes at `offset`, or undefined when the file is absent or ends before them. */
function readAt(path: string, offset: number, length: number): Uint8Array | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw unreadable(path, error);
  }
  try {
    const buf = Buffer.alloc(length);
    const got = readSync(fd, buf, 0, length, offset);
    return got === length ? buf : undefined;
  } finally {
    closeSync(fd);
  }
}

function readTail(path: string, bytes: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(size, bytes);
    const buf = Buffer.alloc(length);
    readSync(fd, buf, 0, length, size - length);
    return buf;
  } finally {
    closeSync(fd);
  }
}

/** The stderr (else the first) log current_logfiles names; relative paths are relative to the data directory. */
function currentLogFile(dir: string): string | undefined {
  const path = join(dir, 'current_logfiles');
  if (!existsSync(path)) return undefined;
  const lines = read(path).toString('utf8').split('\n').filter(Boolean).map((l) => l.split(' '));
  const chosen = (lines.find(([kind]) => kind === 'stderr') ?? lines[0])?.slice(1).join(' ');
  if (!chosen) return undefined;
  return isAbsolute(chosen) ? chosen : join(dir, chosen);
}
