import { describe, expect, it } from 'vitest';
import type { LogRecord } from '../../log-record.js';
import { StatsRecorder, newReadStats } from '../read-stats.js';
import { RecordAssembler } from './record-assembler.js';

function setup(max = 1 << 20, window = 1000) {
  const out: LogRecord[] = [];
  const recorder = new StatsRecorder(newReadStats(), 'x');
  return { out, recorder, assembler: new RecordAssembler(out, recorder, max, window) };
}

const head = (pid: number, message: string, line: number): LogRecord => ({ pid, severity: 'ERROR', message, source: { file: 'x', line } });

describe('RecordAssembler', () => {
  it('folds DETAIL/HINT/STATEMENT lines into the open record of the same process, across interleaved processes', () => {
    const { out, assembler } = setup();
    assembler.head(head(1, 'deadlock detected', 1), 1, 1);
    assembler.head(head(2, 'other', 2), 2, 2);
    assembler.fold('detail', 'Process 1 waits for ShareLock', 1, 3);
    assembler.continueLast('Process 2 waits for ShareLock', '\n');
    assembler.fold('statement', 'SELECT 2', 2, 5);
    assembler.fold('hint', 'See server log', 1, 6);
    assembler.fold(null, 'int4div, int.c:870', 1, 7); // LOCATION: dropped, and so are its continuations
    assembler.continueLast('more location', '\n');
    assembler.flush(7, true);
    expect(out).toEqual([
      { ...head(1, 'deadlock detected', 1), detail: 'Process 1 waits for ShareLock\nProcess 2 waits for ShareLock', hint: 'See server log' },
      { ...head(2, 'other', 2), statement: 'SELECT 2' },
    ]);
  });

  it('emits in first-line order, once a record is closed by its process or by the window', () => {
    const { out, assembler } = setup(1 << 20, 10);
    assembler.head(head(1, 'a', 1), 1, 1);
    assembler.head(head(2, 'b', 2), 2, 2);
    assembler.head(head(2, 'c', 3), 2, 3); // closes b, but a is still open: nothing out yet
    assembler.flush(3);
    expect(out).toEqual([]);
    assembler.flush(12); // a silent for more than 10 lines
    expect(out.map((r) => r.message)).toEqual(['a', 'b']);
    assembler.flush(12, true);
    expect(out.map((r) => r.message)).toEqual(['a', 'b', 'c']);
  });

  it('drops the lines of a declined record, and counts orphans', () => {
    const { out, recorder, assembler } = setup();
    assembler.head(head(1, 'kept', 1), 1, 1);
    assembler.skip(1, 2);
    assembler.fold('detail', 'of the declined one', 1, 3);
    assembler.continueLast('continued', '\n');
    assembler.fold('detail', 'nobody', 9, 4);
    assembler.flush(4, true);
    expect(out).toEqual([head(1, 'kept', 1)]);
    expect(recorder.file.skipped).toEqual({ filtered: 3, orphan: 1 });
  });

  it('cuts a record at the limit once, and counts it', () => {
    const { out, recorder, assembler } = setup(1024);
    assembler.head(head(1, 'x'.repeat(1000), 1), 1, 1);
    for (let i = 0; i < 10; i++) assembler.continueLast('y'.repeat(100), '\n');
    assembler.fold('detail', 'too late', 1, 12);
    assembler.flush(12, true);
    const size = out[0]!.message.length + (out[0]!.detail?.length ?? 0);
    expect(size).toBeLessThanOrEqual(1024);
    expect(recorder.file.cut).toBe(1);
  });

  it('keeps the latest record open when asked (a followed file may not have its next lines yet)', () => {
    const { out, assembler } = setup();
    assembler.head(head(1, 'a', 1), 1, 1);
    assembler.head(head(2, 'b', 2), 2, 2);
    assembler.flush(2, true, true);
    expect(out.map((r) => r.message)).toEqual(['a']);
    assembler.fold('detail', 'late', 2, 3);
    assembler.flush(3, true);
    expect(out[1]).toMatchObject({ message: 'b', detail: 'late' });
  });
});
