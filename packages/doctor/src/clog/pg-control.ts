import { DoctorError } from '../connect/doctor-error.js';
import type { CheckpointCounters } from './inventory.js';

/** What clog check reads of global/pg_control. */
export interface ControlFile {
  /** 1201 (PostgreSQL 12), 1300 (13–16), 1700 (17), 1800 (18). */
  controlVersion: number;
  state: string;
  checkpoint: CheckpointCounters;
  blockSize: number;
}

/** DBState in pg_control.h, in order. */
const STATES = ['starting up', 'shut down', 'shut down in recovery', 'shutting down', 'in crash recovery', 'in archive recovery', 'in production'];

/**
 * Offsets in ControlFileData on a 64-bit little-endian build, the same from PostgreSQL 12 to 18 (measured on
 * 14, 15 and 18 against pg_control_checkpoint()): the checkpoint copy starts at 40, and in it nextXid
 * (FullTransactionId) at 24, then nextOid, nextMulti, nextMultiOffset, oldestXid, oldestXidDB, oldestMulti.
 * PostgreSQL 17 put wal_level into the padding before nextXid, so nothing after it moved.
 */
const AT = { version: 8, state: 16, nextXid: 64, nextMulti: 76, nextMultiOffset: 80, oldestXid: 84, oldestMulti: 92, time: 104, blockSize: 216 };

export function parsePgControl(bytes: Uint8Array, path = 'global/pg_control'): ControlFile {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 256) throw new DoctorError('unreadable', `${path} has ${buf.length} bytes; a pg_control file has 8,192`);
  const controlVersion = buf.readUInt32LE(AT.version);
  if (controlVersion < 1201 || controlVersion > 1899) {
    throw new DoctorError('unreadable', `${path} has pg_control version ${controlVersion}; clog check reads PostgreSQL 12–18 (1201–1800) on little-endian machines`);
  }
  const blockSize = buf.readUInt32LE(AT.blockSize);
  const time = Number(buf.readBigInt64LE(AT.time));
  return {
    controlVersion,
    state: STATES[buf.readUInt32LE(AT.state)] ?? `unknown (${buf.readUInt32LE(AT.state)})`,
    blockSize: blockSize >= 1024 && blockSize <= 32768 && (blockSize & (blockSize - 1)) === 0 ? blockSize : 8192,
    checkpoint: {
      nextXid: Number(buf.readBigUInt64LE(AT.nextXid)),
      oldestXid: buf.readUInt32LE(AT.oldestXid),
      nextMulti: buf.readUInt32LE(AT.nextMulti),
      nextMultiOffset: buf.readUInt32LE(AT.nextMultiOffset),
      oldestMulti: buf.readUInt32LE(AT.oldestMulti),
      time: new Date(time * 1000).toISOString(),
    },
  };
}
