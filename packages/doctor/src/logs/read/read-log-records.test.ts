import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { DoctorError } from '../../connect/doctor-error.js';
import type { LogRecord } from '../log-record.js';
import { readLogRecords, type ReadOptions, type ReadStats } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'mvcc-doctor-read-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A stderr log with the Debian prefix: a checkpoint, a session's error with DETAIL and STATEMENT, a duration. */
const LOG = [
  '2024-06-27 00:00:07.100 UTC [100] LOG:  checkpoint starting: time',
  '2024-06-27 00:00:08.200 UTC [200] alice@shop ERROR:  duplicate key value violates unique constraint "t_pkey"',
  '2024-06-27 00:00:08.200 UTC [200] alice@shop DETAIL:  Key (id)=(1) already exists.',
  '2024-06-27 00:00:08.200 UTC [200] alice@shop STATEMENT:  INSERT INTO t',
  '\tVALUES (1)',
  '2024-06-27 00:00:09.300 UTC [300] bob@shop LOG:  duration: 1.5 ms  statement: SELECT 1',
  '',
].join('\n');

function file(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

async function readAll(inputs: string[] | '-', options: ReadOptions = {}): Promise<{ records: LogRecord[]; stats: ReadStats; batches: number[] }> {
  const reader = readLogRecords(inputs, options);
  const records: LogRecord[] = [];
  const batches: number[] = [];
  for await (const batch of reader) {
    batches.push(batch.length);
    records.push(...batch);
  }
  return { records, stats: reader.stats, batches };
}

describe('readLogRecords', () => {
  it('reads a stderr log: prefix detected, DETAIL and STATEMENT folded, TAB continuations joined', async () => {
    const path = file('basic.log', LOG);
    const { records, stats } = await readAll([path]);
    expect(records).toEqual([
      { time: Date.UTC(2024, 5, 27, 0, 0, 7, 100), pid: 100, severity: 'LOG', message: 'checkpoint starting: time', source: { file: path, line: 1 } },
      {
        time: Date.UTC(2024, 5, 27, 0, 0, 8, 200),
        pid: 200,
        severity: 'ERROR',
        message: 'duplicate key value violates unique constraint "t_pkey"',
        user: 'alice',
        database: 'shop',
        source: { file: path, line: 2 },
        detail: 'Key (id)=(1) already exists.',
        statement: 'INSERT INTO t\nVALUES (1)',
      },
      { time: Date.UTC(2024, 5, 27, 0, 0, 9, 300), pid: 300, severity: 'LOG', message: 'duration: 1.5 ms  statement: SELECT 1', user: 'bob', database: 'shop', source: { file: path, line: 6 } },
    ]);
    expect(stats).toMatchObject({ lines: 6, records: 3, warnings: 0, bytes: Buffer.byteLength(LOG) });
    expect(stats.files[0]).toMatchObject({ format: 'stderr', prefix: '%m [%p] %q%u@%d ', prefixSource: 'detected' });
  });

  it('joins TAB lines into the message: CRLF ends, non-ASCII before the message, a long one cut at the limit', async () => {
    const text = [
      '2024-06-27 00:00:07.100 UTC [100] zoë@crème LOG:  automatic vacuum of table "crème.public.t": index scans: 0',
      '\tpages: 0 removed, 1 remain',
      '\ttuples: 2 removed — fine',
      '2024-06-27 00:00:07.200 UTC [101] LOG:  x',
      `\t${'y'.repeat(3000)}`,
      '\tlast',
      '',
    ].join('\r\n');
    const { records, stats } = await readAll([file('crlf.log', text)], { maxRecordBytes: 2048 });
    expect(records[0]).toMatchObject({
      user: 'zoë',
      database: 'crème',
      message: 'automatic vacuum of table "crème.public.t": index scans: 0\npages: 0 removed, 1 remain\ntuples: 2 removed — fine',
    });
    expect(records[1]!.message).toBe(`x\n${'y'.repeat(2046)}`);
    expect(stats.cut).toBe(1);
    expect(stats.lines).toBe(6);
  });

  it('joins the lines of interleaved processes to their own records', async () => {
    const path = file('interleaved.log', [
      '2024-06-27 00:00:01 UTC [1]: ERROR:  deadlock detected',
      '2024-06-27 00:00:01 UTC [2]: LOG:  process 2 acquired ShareLock on transaction 7 after 1000.1 ms',
      '2024-06-27 00:00:01 UTC [1]: DETAIL:  Process 1 waits for ShareLock on transaction 7; blocked by process 2.',
      '\tProcess 2 waits for ShareLock on transaction 8; blocked by process 1.',
      '2024-06-27 00:00:01 UTC [2]: CONTEXT:  while updating tuple (0,1) in relation "t"',
      '2024-06-27 00:00:01 UTC [1]: HINT:  See server log for query details.',
      '2024-06-27 00:00:01 UTC [2]: STATEMENT:  UPDATE t SET v = 1',
      '',
    ].join('\n'));
    const { records } = await readAll([path]);
    expect(records.map(({ pid, message, detail, hint, context, statement }) => ({ pid, message, detail, hint, context, statement }))).toEqual([
      {
        pid: 1,
        message: 'deadlock detected',
        detail: 'Process 1 waits for ShareLock on transaction 7; blocked by process 2.\nProcess 2 waits for ShareLock on transaction 8; blocked by process 1.',
        hint: 'See server log for query details.',
        context: undefined,
        statement: undefined,
      },
      { pid: 2, message: 'process 2 acquired ShareLock on transaction 7 after 1000.1 ms', detail: undefined, hint: undefined, context: 'while updating tuple (0,1) in relation "t"', statement: 'UPDATE t SET v = 1' },
    ]);
  });

  it('reads a directory in name order (rotated and compressed files too, subdirectories not) and every compression', async () => {
    const logs = join(dir, 'pg_log');
    mkdirSync(join(logs, 'sub'), { recursive: true });
    const one = (n: number) => `2024-06-27 00:00:0${n}.000 UTC [${n}] LOG:  file ${n}\n`;
    writeFileSync(join(logs, 'postgresql.log'), one(1));
    writeFileSync(join(logs, 'postgresql.log.1'), one(2));
    writeFileSync(join(logs, 'postgresql.log.2.gz'), gzipSync(one(3)));
    writeFileSync(join(logs, 'postgresql.log.3.bz2'), execFileSync('bzip2', ['-c'], { input: one(4) }));
    writeFileSync(join(logs, 'postgresql.log.4.xz'), execFileSync('xz', ['-c'], { input: one(5) }));
    writeFileSync(join(logs, 'postgresql.log.10.zst'), execFileSync('zstd', ['-c', '-q'], { input: one(6) }));
    writeFileSync(join(logs, 'sub', 'ignored.log'), one(9));
    const { records, stats } = await readAll([logs]);
    expect(records.map((r) => r.message)).toEqual(['file 1', 'file 2', 'file 3', 'file 4', 'file 5', 'file 6']);
    expect(stats.files.map((f) => f.compression)).toEqual([undefined, undefined, 'gzip', 'bzip2', 'xz', 'zstd']);
    expect(stats.warnings).toBe(0);
  });

  it('reads stdin, plain or compressed (by its first bytes)', async () => {
    const plain = await readAll('-', { stdin: Readable.from([Buffer.from(LOG.slice(0, 100)), Buffer.from(LOG.slice(100))]) });
    expect(plain.records).toHaveLength(3);
    expect(plain.stats.files[0]!.file).toBe('-');
    const gz = gzipSync(LOG);
    const gzipped = await readAll('-', { stdin: Readable.from([gz.subarray(0, 10), gz.subarray(10)]) });
    expect(gzipped.records.map((r) => r.message)).toEqual(plain.records.map((r) => r.message));
    const xz = await readAll(['-'], { stdin: Readable.from([execFileSync('xz', ['-c'], { input: LOG })]) });
    expect(xz.records).toHaveLength(3);
  });

  it('hands out batches of at most batchSize', async () => {
    const many = Array.from({ length: 25 }, (_, i) => `2024-06-27 00:00:00.000 UTC [${i}] LOG:  n ${i}`).join('\n');
    const { records, batches } = await readAll([file('many.log', many)], { batchSize: 10 });
    expect(records).toHaveLength(25);
    expect(Math.max(...batches)).toBeLessThanOrEqual(10);
  });

  it('lets the gate decline records, with their DETAIL and STATEMENT lines', async () => {
    const seen: string[] = [];
    const { records, stats } = await readAll([file('gate.log', LOG)], {
      wants: (severity, head) => {
        seen.push(`${severity} ${head}`);
        return head.startsWith('duration:') || head.startsWith('checkpoint');
      },
    });
    expect(records.map((r) => r.pid)).toEqual([100, 300]);
    expect(seen).toHaveLength(3);
    expect(stats.skipped.filtered).toBe(4); // the ERROR, its DETAIL, its STATEMENT and its continuation
    expect(stats.warnings).toBe(0);
  });

  it('takes the prefix given instead of detecting one', async () => {
    const path = file('given.log', '2024-06-27 00:00:07 UTC|7|app one|LOG:  x\n');
    const { records, stats } = await readAll([path], { prefix: '%t|%p|%a|' });
    expect(records[0]).toMatchObject({ pid: 7, application: 'app one', message: 'x', time: Date.UTC(2024, 5, 27, 0, 0, 7) });
    expect(stats.files[0]).toMatchObject({ prefix: '%t|%p|%a|', prefixSource: 'option' });
  });

  it('reads a log whose prefix it cannot work out by its severity words, and warns', async () => {
    const odd = Array.from({ length: 20 }, (_, i) => `<<${i % 3 ? 'x' : 'yy'}>> ~${i}~ (2024-06-27 00:00:0${i % 10}) [${1000 + i}] ${i % 2 ? 'LOG' : 'ERROR'}:  message ${i}`).join('\n');
    const { records, stats } = await readAll([file('odd.log', odd)]);
    expect(records).toHaveLength(20);
    expect(records[1]).toMatchObject({ pid: 1001, severity: 'LOG', message: 'message 1', time: Date.UTC(2024, 5, 27, 0, 0, 1) });
    expect(stats.files[0]!.prefixSource).toBe('fallback');
    expect(stats.warnings).toBe(1);
    expect(stats.messages[0]).toMatch(/no log_line_prefix explains the first lines/);
  });

  it('follows a log_line_prefix changed in the middle of a file (a reload), and says where', async () => {
    const before = Array.from({ length: 100 }, (_, i) => `2024-06-27 00:00:00.000 UTC [${i}] LOG:  before ${i}`);
    const after = Array.from({ length: 60 }, (_, i) => `2024-06-27 00:00:01 UTC [${i}]: [1-1] user=u${i},db=shop,app=psql,client=[local] LOG:  after ${i}`);
    const { records, stats } = await readAll([file('reload.log', [...before, ...after, ''].join('\n'))]);
    expect(records).toHaveLength(160);
    expect(records[100]).toMatchObject({ message: 'after 0', user: 'u0', database: 'shop', application: 'psql', source: { line: 101 } });
    expect(stats.files[0]!.prefix).toBe('%t [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h ');
    expect(stats.skipped).toEqual({});
    expect(stats.messages).toHaveLength(1);
    expect(stats.messages[0]).toMatch(/log_line_prefix changed at line 101: now "%t \[%p\]: \[%l-1\] user=%u,db=%d,app=%a,client=%h "$/);
  });

  it('cuts a 50 MB line to the record limit and carries on, in bounded memory', async () => {
    const huge = Buffer.alloc(50 * 1024 * 1024, 'x');
    const path = join(dir, 'huge.log');
    writeFileSync(path, Buffer.concat([Buffer.from(`${LOG}2024-06-27 00:00:10.000 UTC [400] bob@shop LOG:  statement: SELECT '`), huge, Buffer.from(`'\n${LOG}`)]));
    const before = process.memoryUsage().rss;
    const { records, stats } = await readAll([path]);
    expect(records.map((r) => r.pid)).toEqual([100, 200, 300, 400, 100, 200, 300]);
    expect(records[3]!.message.length).toBeLessThanOrEqual(1024 * 1024);
    expect(records[4]!.message).toBe('checkpoint starting: time');
    expect(stats.cut).toBe(1);
    expect(stats.warnings).toBe(1);
    // One 50 MB line must not cost 50 MB (its first MiB is all that is ever held).
    expect(process.memoryUsage().rss - before).toBeLessThan(40 * 1024 * 1024);
  });

  it('survives binary garbage: no records made up, every line counted, warnings', async () => {
    let seed = 7;
    const random = Buffer.alloc(2 * 1024 * 1024);
    for (let i = 0; i < random.length; i++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      random[i] = seed >> 16;
    }
    const { records, stats } = await readAll([file('garbage.bin', random)]);
    expect(records).toEqual([]);
    expect(stats.files[0]!.notPostgres).toBe('unknown');
    expect(stats.warnings).toBeGreaterThan(1);
    expect(stats.lines).toBe((stats.skipped.unparsed ?? 0) + (stats.skipped.empty ?? 0));
  });

  it('reads the stderr part of a file with other formats mixed in and counts the rest', async () => {
    const csv = '2021-01-22 10:03:22.785 CET,"a","b",1486,"127.0.0.1:52306",6009c305.5ce,1,"SELECT",2021-01-21 19:08:05 CET,14/1,0,LOG,00000,"x",,,,,,,,,""\n';
    const json = '{"timestamp":"2024-06-27 00:00:07.369 CEST","pid":58151,"error_severity":"LOG","message":"x"}\n';
    const { records, stats } = await readAll([file('mixed.log', `${LOG}${csv}${json}${LOG}`)]);
    expect(records.map((r) => r.pid)).toEqual([100, 200, 300, 100, 200, 300]);
    expect(stats.skipped.unparsed).toBe(2);
    expect(stats.warnings).toBe(2);
  });

  it('reads a truncated gzip up to where it ends, with a warning', async () => {
    const many = Array.from({ length: 2000 }, (_, i) => `2024-06-27 00:00:00.000 UTC [${i}] LOG:  line ${i} ${'z'.repeat(i % 50)}`).join('\n');
    const gz = gzipSync(many);
    const { records, stats } = await readAll([file('cut.log.gz', gz.subarray(0, Math.floor(gz.length / 2)))]);
    expect(records.length).toBeGreaterThan(100);
    expect(records.length).toBeLessThan(2000);
    expect(records.every((r, i) => r.pid === i)).toBe(true);
    expect(stats.messages.some((m) => /gzip data is damaged or ends early/.test(m))).toBe(true);
  });

  it('reads a truncated bzip2 up to where the program stops, with a warning', async () => {
    const many = Array.from({ length: 20000 }, (_, i) => `2024-06-27 00:00:00.000 UTC [${i}] LOG:  line ${i} ${(i * 7919) % 104729}`).join('\n');
    const bz = execFileSync('bzip2', ['-c'], { input: many, maxBuffer: 1 << 28 });
    const { records, stats } = await readAll([file('cut.log.bz2', bz.subarray(0, Math.floor(bz.length * 0.7)))]);
    expect(records.length).toBeLessThan(20000);
    expect(stats.messages.some((m) => /bzip2 stopped with exit code/.test(m))).toBe(true);
  });

  it('says which program to install when a decompressor is missing', async () => {
    const path = file('x.log.zst', execFileSync('zstd', ['-c', '-q'], { input: LOG }));
    const saved = process.env.PATH;
    process.env.PATH = join(dir, 'no-programs-here');
    try {
      const error = await readAll([path]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DoctorError);
      expect((error as DoctorError).code).toBe('not-installed');
      expect((error as DoctorError).line).toBe('not installed: zstd is needed to read zstd data: install it (apt-get install zstd)');
    } finally {
      process.env.PATH = saved;
    }
  });

  it('throws a one-line DoctorError for what cannot be read at all', async () => {
    const missing = await readAll([join(dir, 'nope.log')]).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(DoctorError);
    expect((missing as DoctorError).line).toBe(`cannot read: ${join(dir, 'nope.log')}: no such file or directory`);
    const device = await readAll(['/dev/null']).catch((e: unknown) => e);
    expect((device as DoctorError).line).toBe('cannot read: /dev/null: not a regular file');
    expect(() => readLogRecords([], {})).not.toThrow();
    await expect(readAll([])).rejects.toThrow('no log file given');
    expect(() => readLogRecords('-', { timezone: 'Nowhere/Else' })).toThrow(DoctorError);
  });

  it('stops when the signal aborts', async () => {
    const many = Array.from({ length: 50000 }, (_, i) => `2024-06-27 00:00:00.000 UTC [${i}] LOG:  n`).join('\n');
    const controller = new AbortController();
    const reader = readLogRecords([file('abort.log', many), file('abort2.log', many)], { signal: controller.signal, batchSize: 100 });
    let seen = 0;
    for await (const batch of reader) {
      seen += batch.length;
      controller.abort();
    }
    expect(seen).toBeLessThan(100000);
    expect(reader.stats.files).toHaveLength(1);
  });
});
