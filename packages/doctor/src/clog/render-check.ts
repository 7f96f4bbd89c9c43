import { formatCount } from '../report/format.js';
import type { SegmentProblem, SlruAnalysis } from './analyze-slru.js';
import type { ClogReport, XidReport } from './check-clog.js';
import { clogCommandLine } from './clog-command-line.js';
import type { ClogServer, ClogSourceInfo } from './clog-source.js';
import { ID_SPACE } from './slru.js';

/** The clog check report for a terminal. */
export function renderClogCheck(report: ClogReport): string {
  const out: string[] = [`mvcc-doctor clog check — ${describeSource(report.source, report.server)}`];
  const t = report.transactions;
  out.push(
    `Transactions in use: ${formatCount(t.oldest)} … ${fullXid(t.next)} (next)` +
      (t.checkpointNext !== t.next ? `; on disk as of the last ${report.server.inRecovery ? 'restartpoint' : 'checkpoint'}${t.checkpointTime ? ` (${t.checkpointTime})` : ''}: next ${fullXid(t.checkpointNext)}` : ''),
  );
  const m = report.multixacts;
  out.push(`MultiXactIds in use: ${formatCount(m.oldest)} … ${formatCount(m.next)}; member offsets ${m.oldestOffset === undefined ? '?' : formatCount(m.oldestOffset)} … ${formatCount(m.nextOffset)}`);
  if (report.source.kind === 'pgdata' && report.source.running) {
    out.push('The server is running: its files are as of the last checkpoint; pages it wrote since may be in memory only.');
  }
  out.push('');
  for (const slru of report.slrus) out.push(...renderSlru(slru));
  for (const x of report.xids) out.push('', ...renderXid(x, report));
  if (report.log) {
    const others = report.log.hits.filter((h) => h.file && !/^pg_(xact|clog)\//.test(h.file));
    out.push('', `Server log ${report.log.file}: ${report.log.hits.length === 0 ? 'no "could not access status of transaction" errors' : `${report.log.hits.length} failing ID(s)`}`);
    for (const h of others) out.push(`  ${h.file}: ID ${h.id} (${h.count}×) — a MultiXact segment`);
  }
  for (const s of report.skipped) out.push(`skipped: ${s.what} — ${s.reason}`);
  out.push('');
  const problems = report.slrus.reduce((n, s) => n + s.problems.length, 0);
  const lost = report.xids.filter((x) => x.lost).map((x) => x.xid);
  if (report.exit_code === 2) {
    out.push(`Next: ${clogCommandLine('plan', report.source, lost)}`);
    out.push('  — copy the file from the primary, a standby or a backup first; a fake segment only as the last resort, on a stopped copy.');
    out.push(`critical: ${problems} segment(s) missing or short${lost.length ? `; status of ${lost.length} failing transaction(s) unreadable` : ''} — exit 2`);
  } else if (report.exit_code === 3) {
    out.push('could not diagnose: the segment files could not be read — exit 3');
  } else {
    out.push('Every segment the IDs in use need is there — exit 0');
  }
  return `${out.join('\n')}\n`;
}

export function describeSource(source: ClogSourceInfo, server: ClogServer): string {
  const role = server.inRecovery ? 'standby' : 'primary';
  if (source.kind === 'sql') {
    const replay = server.replayLsn ? `, replayed to ${server.replayLsn}` : '';
    return `PostgreSQL ${server.version ?? server.major} at ${source.user}@${source.host}:${source.port} (${role}${replay})${server.dataDirectory ? `, data directory ${server.dataDirectory}` : ''}`;
  }
  return `PostgreSQL ${server.major} data directory ${source.dataDirectory} (${source.running ? 'server running' : 'no server running'}; ${source.state}; ${role})`;
}

/** A cluster moved on by pg_resetwal -x many times has a gap per jump: the first few say what they are. */
const MAX_GAP_LINES = 3;

function renderSlru(slru: SlruAnalysis): string[] {
  const head = `${slru.dir.padEnd(21)} segments ${slru.firstSegment}..${slru.lastSegment}: ${slru.present} of ${slru.segments} present`;
  if (slru.problems.length === 0 && slru.gaps.length === 0) return [`${head} — ok`];
  const gaps = slru.gaps.slice(0, MAX_GAP_LINES).map((g) => renderProblem(g, slru));
  if (slru.gaps.length > MAX_GAP_LINES) {
    const segments = slru.gaps.slice(MAX_GAP_LINES).reduce((n, g) => n + g.segments, 0);
    gaps.push(`  … and ${slru.gaps.length - MAX_GAP_LINES} more gap(s), ${formatCount(segments)} segment(s) (--json lists them)`);
  }
  return [head, ...slru.problems.map((p) => renderProblem(p, slru)), ...gaps];
}

function renderProblem(p: SegmentProblem, slru: SlruAnalysis): string {
  const label = !p.certain ? 'gap    ' : p.kind === 'missing' ? 'MISSING' : 'SHORT  ';
  const size = !p.certain
    ? `${formatCount(p.segments)} segment(s)`
    : `${p.kind === 'short' ? `has ${formatCount(p.size)} bytes, needs ${formatCount(p.neededBytes)}` : `needs at least ${formatCount(p.neededBytes)} bytes`} (${formatCount(p.segmentBytes)} when whole)`;
  return `  ${label} ${p.file}  ${size}: ${slru.unit}s ${formatCount(p.firstId)} … ${formatCount(p.lastId)} — ${p.why}`;
}

function renderXid(x: XidReport, report: ClogReport): string[] {
  const at = x.location;
  const from = x.from.map((f) => (f === 'xid' ? '--xid' : 'the server log')).join(', ');
  const lines = [
    `Transaction ${x.xid}${x.epoch ? ` (epoch ${x.epoch}, 64-bit ${x.fullXid})` : ''}, from ${from}: ${x.lost ? 'status LOST' : x.inUse ? 'in use' : 'not in use'}`,
    `  ${at.file}, byte ${formatCount(at.offset)} (0x${at.offset.toString(16).toUpperCase()}) of page ${at.page}, bits ${at.shift}-${at.shift + 1} (shift ${at.shift})`,
  ];
  const range = `oldest ${formatCount(report.transactions.oldest)}, next ${fullXid(report.transactions.next)}`;
  const onDisk = x.file === 'unknown' ? 'file not listed' : x.file === 'present' ? `file present${x.status ? `, status on disk: ${x.status}` : ''}` : `file ${x.file}`;
  lines.push(`  ${x.inUse ? 'in use' : 'outside the IDs in use'} (${range}); ${onDisk}`);
  if (x.server) lines.push(`  the server says: ${'error' in x.server ? `${x.server.code ? `${x.server.code} ` : ''}${x.server.error}` : (x.server.status ?? 'too old to tell (its status was truncated or frozen)')}`);
  return lines;
}

function fullXid(full: number): string {
  const epoch = Math.floor(full / ID_SPACE);
  return epoch ? `${formatCount(full % ID_SPACE)} (epoch ${epoch})` : formatCount(full);
}
