import { describe, expect, it } from 'vitest';
import type { ByteSource } from './byte-source.js';
import { lineBlocks, type BlockEvent } from './line-blocks.js';

/** A source that hands out the data in chunks of the given sizes (then the rest), with "idle" where asked. */
function source(data: Buffer, chunks: (number | 'idle')[] = []): ByteSource {
  let pos = 0;
  const plan = [...chunks];
  return {
    async read(into, offset, length) {
      const next = plan.shift();
      if (next === 'idle') return -1;
      const n = Math.min(length, next ?? length, data.length - pos);
      data.copy(into, offset, pos, pos + n);
      pos += n;
      return n;
    },
    async close() {},
  };
}

async function lines(data: Buffer | string, options: { maxLine?: number; firstBlock?: number; initialBytes?: number; chunks?: (number | 'idle')[] } = {}): Promise<(string | 'idle' | { cut: string })[]> {
  const buf = typeof data === 'string' ? Buffer.from(data) : data;
  const out: (string | 'idle' | { cut: string })[] = [];
  const events: AsyncIterable<BlockEvent> = lineBlocks(source(buf, options.chunks), { maxLine: options.maxLine ?? 1024, firstBlock: options.firstBlock ?? 0, initialBytes: options.initialBytes, onBytes: () => {} });
  for await (const event of events) {
    if (event === 'idle') out.push('idle');
    else if (event.cut) out.push({ cut: event.buf.toString('utf8', event.start, event.end) });
    else out.push(...event.buf.toString('utf8', event.start, event.end).split(/(?<=\n)/));
  }
  return out;
}

describe('lineBlocks', () => {
  it('gives whole lines only, whatever the chunks, and the last line without its newline', async () => {
    expect(await lines('ab\ncd\nef', { chunks: [1, 1, 1, 2, 1] })).toEqual(['ab\n', 'cd\n', 'ef']);
    expect(await lines('ab\ncd\n')).toEqual(['ab\n', 'cd\n']);
    expect(await lines('')).toEqual([]);
  });

  it('cuts a line longer than maxLine and drops its rest, in bounded memory', async () => {
    const long = `${'x'.repeat(5000)}\nnext\n`;
    expect(await lines(long, { maxLine: 1024, chunks: [700, 700, 700, 700, 700, 700, 700, 700] })).toEqual([{ cut: 'x'.repeat(1024) }, 'next\n']);
    expect(await lines('y'.repeat(3000), { maxLine: 1024 })).toEqual([{ cut: 'y'.repeat(1024) }]);
    // A short input read whole: its lines, then the unterminated long last one cut.
    expect(await lines(`a\nb\n${'z'.repeat(3000)}`, { maxLine: 1024, firstBlock: 1 << 20 })).toEqual(['a\n', 'b\n', { cut: 'z'.repeat(1024) }]);
  });

  it('waits for a first block of firstBlock bytes, and reports idle moments with the partial line kept', async () => {
    const events = await lines('a\nb\nc', { firstBlock: 4, chunks: [2, 2, 'idle', 1] });
    expect(events).toEqual(['a\n', 'b\n', 'idle', 'c']);
    expect(await lines('a\npart', { chunks: [6, 'idle'] })).toEqual(['a\n', 'idle', 'part']);
  });

  it('a small first buffer grows while a line needs it: the same lines', async () => {
    const text = `short\n${'m'.repeat(3000)}\nafter\n${'x'.repeat(40_000)}\nend`;
    const whole = await lines(text, { maxLine: 50_000 });
    const grown = await lines(text, { maxLine: 50_000, initialBytes: 16, chunks: [5, 'idle', 100, 'idle'] });
    expect(grown.filter((e) => e !== 'idle')).toEqual(whole);
    expect(grown.filter((e) => e === 'idle')).toHaveLength(2);
    expect(whole.map((e) => (typeof e === 'string' ? e.length : { cut: e.cut.length }))).toEqual([6, 3001, 6, 40_001, 3]);
  });
});
