import { appendFileSync, mkdtempSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { DoctorError } from '../../connect/doctor-error.js';
import type { LogRecord } from '../log-record.js';
import { followLogRecords, type FollowOptions } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'mvcc-doctor-follow-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const line = (pid: number, message: string) => `2024-06-27 00:00:00.000 UTC [${pid}] LOG:  ${message}\n`;

/** Follows a file in the background; `until` waits (polling, with a deadline) for records to arrive. */
function follow(path: string, options: FollowOptions = {}) {
  const controller = new AbortController();
  const records: LogRecord[] = [];
  const reader = followLogRecords(path, { pollMs: 20, ...options, signal: controller.signal });
  const done = (async () => {
    for await (const batch of reader) records.push(...batch);
  })();
  return {
    records,
    reader,
    async until(count: number): Promise<void> {
      const deadline = Date.now() + 10_000;
      while (records.length < count) {
        if (Date.now() > deadline) throw new Error(`only ${records.length} of ${count} records arrived: ${records.map((r) => r.message).join(', ')}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    async stop(): Promise<void> {
      controller.abort();
      await done;
    },
  };
}

describe('followLogRecords', () => {
  it('yields what is written from now on, through rotation by rename and by copytruncate, until aborted', async () => {
    const path = join(dir, 'postgresql.log');
    writeFileSync(path, line(1, 'before we started'));
    const f = follow(path);
    try {
      appendFileSync(path, line(2, 'first'));
      await f.until(1);

      // A multi-line record written in two steps still comes out whole.
      appendFileSync(path, '2024-06-27 00:00:00.000 UTC [3] ERROR:  deadlock detected\n');
      appendFileSync(path, '2024-06-27 00:00:00.000 UTC [3] DETAIL:  Process 3 waits\n\tProcess 4 waits\n');
      await f.until(2);

      // Rotation by rename: the old file's last lines, then the new file from its start.
      renameSync(path, `${path}.1`);
      appendFileSync(`${path}.1`, line(5, 'late line in the old file'));
      writeFileSync(path, line(6, 'new file'));
      await f.until(4);

      // copytruncate: the file shrinks to nothing and grows again.
      appendFileSync(path, line(7, 'before truncation'));
      await f.until(5);
      truncateSync(path, 0);
      appendFileSync(path, line(8, 'after truncation'));
      await f.until(6);
    } finally {
      await f.stop();
    }
    expect(f.records.map((r) => r.pid)).toEqual([2, 3, 5, 6, 7, 8]);
    expect(f.records[1]).toMatchObject({ message: 'deadlock detected', detail: 'Process 3 waits\nProcess 4 waits' });
    expect(f.reader.stats.files[0]).toMatchObject({ format: 'stderr', prefix: '%m [%p] ' });
  });

  it('reads from the start when asked, detecting the format from it', async () => {
    const path = join(dir, 'fromstart.log');
    writeFileSync(path, line(1, 'one') + line(2, 'two'));
    const f = follow(path, { fromStart: true });
    try {
      await f.until(2);
      appendFileSync(path, line(3, 'three'));
      await f.until(3);
    } finally {
      await f.stop();
    }
    expect(f.records.map((r) => r.message)).toEqual(['one', 'two', 'three']);
  });

  it('refuses a missing or compressed file with a DoctorError', async () => {
    expect(() => followLogRecords(join(dir, 'nope.log'))).toThrow(DoctorError);
    const gz = join(dir, 'x.log.gz');
    writeFileSync(gz, gzipSync(line(1, 'x')));
    await expect(followLogRecords(gz)[Symbol.asyncIterator]().next()).rejects.toThrow('only a plain log can be followed');
  });
});
