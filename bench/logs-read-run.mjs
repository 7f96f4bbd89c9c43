// One measurement of bench/logs-read.ts, in a process of its own so its peak RSS is its own.
// argv: case file distModule → prints one JSON line {records, bytes, wallMs, cpuMs, rssMB}.
import { openSync, readSync, closeSync } from 'node:fs';

const [kind, file, dist] = process.argv.slice(2);
const started = performance.now();
const cpu = process.cpuUsage();
let records = 0;
let bytes = 0;
if (kind === 'floor') {
  // The floor: read the file into a reused 4 MiB buffer and find every line end; no decoding.
  const buf = Buffer.allocUnsafe(4 << 20);
  const fd = openSync(file, 'r');
  let n;
  while ((n = readSync(fd, buf, 0, buf.length, null)) > 0) {
    bytes += n;
    for (let i = buf.indexOf(10); i !== -1 && i < n; i = buf.indexOf(10, i + 1)) records++;
  }
  closeSync(fd);
} else {
  const { readLogRecords } = await import(dist);
  // "gated": what a classifier that wants no statement durations would keep (the skip path's cost).
  const wants =
    kind === 'gated'
      ? (severity, head) => severity !== 'LOG' || head.startsWith('automatic ') || head.startsWith('process ') || head.startsWith('temporary file')
      : undefined;
  const reader = readLogRecords([file], { wants });
  for await (const batch of reader) records += batch.length;
  bytes = reader.stats.bytes;
}
const used = process.cpuUsage(cpu);
console.log(
  JSON.stringify({
    records,
    bytes,
    wallMs: performance.now() - started,
    cpuMs: (used.user + used.system) / 1000,
    rssMB: process.resourceUsage().maxRSS / 1024,
  }),
);
