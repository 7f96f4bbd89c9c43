import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { HAVE_CORPUS, PGBADGER, rawText, readAll } from './log-corpus.js';

/**
 * Mutated corpus files — bytes flipped, cut anywhere, two files spliced, garbage inserted, lines shuffled,
 * gzip cut short — must never crash the reader, never make up a record bigger than the limit, and count every
 * line. The generator is seeded: a failure names the seed and the mutation, and replays.
 */
const SAMPLE = 96 * 1024;
const ROUNDS = 30;
const MAX_RECORD = 64 * 1024;

class Random {
  constructor(private state: number) {}
  next(): number {
    // mulberry32
    let t = (this.state = (this.state + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
}

type Mutation = (data: Buffer, other: Buffer, r: Random) => Buffer;

const MUTATIONS: Record<string, Mutation> = {
  'flip bytes': (data, _, r) => {
    const out = Buffer.from(data);
    for (let i = 0; i < 1 + r.int(200); i++) out[r.int(out.length)] = r.int(256);
    return out;
  },
  'cut anywhere': (data, _, r) => data.subarray(r.int(data.length), r.int(data.length) + r.int(data.length)),
  splice: (data, other, r) => Buffer.concat([data.subarray(0, r.int(data.length)), other.subarray(r.int(other.length))]),
  'insert garbage': (data, _, r) => {
    const at = r.int(data.length);
    const garbage = Buffer.alloc(r.int(20000));
    for (let i = 0; i < garbage.length; i++) garbage[i] = r.int(256);
    return Buffer.concat([data.subarray(0, at), garbage, data.subarray(at)]);
  },
  'shuffle lines': (data, _, r) => {
    const lines = data.toString('latin1').split('\n');
    for (let i = lines.length - 1; i > 0; i--) {
      const j = r.int(i + 1);
      [lines[i], lines[j]] = [lines[j]!, lines[i]!];
    }
    return Buffer.from(lines.join('\n'), 'latin1');
  },
  'strip newlines': (data, _, r) => Buffer.from(data.toString('latin1').replace(/\n/g, () => (r.int(3) === 0 ? '\n' : '')), 'latin1'),
  'cut gzip': (data, _, r) => {
    const gz = gzipSync(data);
    return gz.subarray(0, 10 + r.int(gz.length));
  },
  'flip gzip': (data, _, r) => {
    const gz = Buffer.from(gzipSync(data));
    for (let i = 0; i < 1 + r.int(10); i++) gz[10 + r.int(gz.length - 10)] = r.int(256);
    return gz;
  },
};

describe.runIf(HAVE_CORPUS)('reading mutated corpus files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mvcc-doctor-fuzz-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const samples = HAVE_CORPUS
    ? readdirSync(PGBADGER)
        .filter((f) => f !== 'MANIFEST.txt')
        .sort()
        .map((f) => ({ name: f, data: Buffer.from(rawText(join(PGBADGER, f)).slice(0, SAMPLE)) }))
    : [];

  for (const [index, sample] of samples.entries()) {
    it(`${sample.name}: ${ROUNDS} mutations, zero crashes`, async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const seed = index * 1000 + round;
        const r = new Random(seed);
        const names = Object.keys(MUTATIONS);
        const name = names[r.int(names.length)]!;
        const other = samples[r.int(samples.length)]!.data;
        const mutated = MUTATIONS[name]!(sample.data, other, r);
        const path = join(dir, `${seed}.log`);
        writeFileSync(path, mutated);
        const what = `seed ${seed}: ${name}`;
        const { records, stats } = await readAll([path], { maxRecordBytes: MAX_RECORD }).catch((error: unknown) => {
          throw new Error(`${what} crashed: ${String(error)}`);
        });
        expect(records.length, what).toBeLessThanOrEqual(Math.max(stats.lines, 1));
        for (const record of records) {
          expect(typeof record.message, what).toBe('string');
          expect(record.severity.length, what).toBeGreaterThan(0);
          const size = [record.message, record.detail, record.hint, record.context, record.statement, record.query].reduce((n, t) => n + (t?.length ?? 0), 0);
          expect(size, what).toBeLessThanOrEqual(MAX_RECORD);
        }
        expect(stats.records, what).toBe(records.length);
      }
    });
  }
});
