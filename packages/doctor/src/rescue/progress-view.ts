import { formatCount, formatDuration } from '../report/format.js';
import type { DatabaseAge, FreezeEvent, WorkerState } from './run-types.js';

export interface ProgressViewOptions {
  /** Redraw a block of bars in place; otherwise plain log lines. */
  tty: boolean;
  color: boolean;
  /** Terminal width. Default 100. */
  columns?: number;
  /** Plain mode prints the database ages at most this often, in ms. Default 5000. */
  logEveryMs?: number;
  /** One line per skipped relation too (otherwise the summary counts them per database). */
  verbose?: boolean;
  /** Jobs of the run, for the line that announces the work. */
  jobs?: number;
}

export interface ProgressView {
  onEvent(event: FreezeEvent): void;
  /** Remove the live block (TTY) so the summary follows cleanly. */
  finish(): void;
}

const BAR = 24;

/**
 * Live progress of `freeze run`: on a terminal, a bar per worker (heap blocks scanned of total, from
 * pg_stat_progress_vacuum), the databases' ages and an ETA, redrawn in place under a log of finished
 * relations; elsewhere, one plain line per finished or failed relation and the ages every few seconds.
 */
export function progressView(write: (text: string) => void, options: ProgressViewOptions): ProgressView {
  const paint = (code: number, text: string) => (options.color ? `\x1b[${code}m${text}\x1b[0m` : text);
  const columns = options.columns ?? 100;
  let drawn = 0;
  let lastBlock: string[] = [];
  let lastLog = 0;
  /** The run's target, to mark databases still over it. */
  let targetXidAge = 0;
  const clear = () => {
    if (drawn > 0) write(`\x1b[${drawn}A\x1b[0J`);
    drawn = 0;
  };
  const draw = (lines: string[]) => {
    clear();
    const fitted = lines.map((l) => fit(l, columns));
    if (fitted.length) write(`${fitted.join('\n')}\n`);
    drawn = fitted.length;
    lastBlock = lines;
  };
  const log = (line: string) => {
    if (options.tty) {
      clear();
      write(`${line}\n`);
      draw(lastBlock);
    } else write(`${new Date().toISOString()} ${line}\n`);
  };
  return {
    onEvent(event) {
      if (event.type === 'work-added') targetXidAge = event.target.xidAge;
      if (event.type !== 'progress') {
        const line = eventLine(event, paint, options);
        if (line) log(line);
      } else if (options.tty) {
        draw([
          ...event.workers.map((w) => workerLine(w, paint)),
          databasesLine(event.databases, targetXidAge),
          summaryLine(event.elapsed, event.pagesDone, event.pagesTotal, event.etaSeconds),
        ]);
      } else if (Date.now() - lastLog >= (options.logEveryMs ?? 5_000)) {
        lastLog = Date.now();
        log(`${summaryLine(event.elapsed, event.pagesDone, event.pagesTotal, event.etaSeconds)}; ${databasesLine(event.databases, targetXidAge)}`);
      }
    },
    finish() {
      if (options.tty) clear();
    },
  };
}

/** The log line of an event, if it has one. */
function eventLine(event: Exclude<FreezeEvent, { type: 'progress' }>, paint: (code: number, text: string) => string, options: ProgressViewOptions): string | undefined {
  switch (event.type) {
    case 'work-added':
      if (event.relations.length === 0) return undefined;
      return event.final
        ? `freezing ${event.relations.length} relation(s) with ${options.jobs ?? 1} job(s)`
        : `stop zone: freezing the ${event.relations.length} relation(s) that hold ${[...new Set(event.relations.map((r) => `"${r.database}"`))].join(', ')} there first; the full plan is read once they are done`;
    case 'left-stop-zone':
      return paint(32, `"${event.database}" is out of the stop zone after ${event.seconds.toFixed(2)}s`);
    case 'relation-frozen': {
      const { relation: r, seconds, xidAgeAfter } = event.result;
      return `${paint(32, 'frozen')}  ${r.relation} in "${r.database}"  ${formatCount(r.xidAge)} → ${formatCount(xidAgeAfter)} XIDs  ${formatCount(r.pagesToScan)} pages  ${seconds.toFixed(2)}s`;
    }
    case 'relation-skipped':
      return options.verbose ? `${paint(2, 'skipped')} ${event.result.relation.relation} in "${event.result.relation.database}": ${event.result.reason}` : undefined;
    case 'relation-failed': {
      const f = event.result;
      return (
        `${paint(31, 'FAILED')}  ${f.relation.relation} in "${f.relation.database}": ${f.message}${f.code ? ` (${f.code})` : ''}${f.context ? ` — ${f.context}` : ''}` +
        (event.willRetry ? paint(33, '  [retried at the end]') : '')
      );
    }
    case 'autovacuum-taken-over':
      return `${paint(33, 'took over')} ${event.relation.relation} in "${event.relation.database}" from autovacuum pid ${event.pid}, which was throttled by vacuum_cost_delay`;
    case 'stopping':
      if (event.reason === 'target-reached') return paint(32, 'every database is under the target: stopping');
      // A run that fails before any VACUUM (the server unreachable) has nothing to cancel: its error says it all.
      return event.running > 0 ? paint(33, `cancelling our ${event.running === 1 ? 'VACUUM' : `${event.running} VACUUMs`}…`) : undefined;
    case 'relation-started':
      return !options.tty && event.attempt > 1 ? `retry   ${event.relation.relation} in "${event.relation.database}"` : undefined;
  }
}

function workerLine(w: WorkerState, paint: (code: number, text: string) => string): string {
  const label = `job ${w.worker + 1}`;
  if (!w.relation) return paint(2, `${label}  idle`);
  const total = w.total ?? 0;
  const scanned = Math.min(w.scanned ?? 0, total);
  const share = total > 0 ? scanned / total : 0;
  const filled = Math.round(share * BAR);
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(BAR - filled)}]`;
  const since = w.startedAt ? ` ${((Date.now() - w.startedAt) / 1000).toFixed(1)}s` : '';
  return `${label}  ${bar} ${String(Math.round(share * 100)).padStart(3)}%  ${formatCount(scanned)}/${formatCount(total)} blocks  ${w.phase ?? (w.waiting ? 'waiting for a lock' : 'starting')}  ${w.relation.relation} (${w.relation.database})${since}`;
}

function databasesLine(databases: DatabaseAge[], target: number): string {
  const over = [...databases].sort((a, b) => b.xid_age - a.xid_age).filter((d) => d.xid_age > target);
  if (over.length === 0) return 'every database under the target';
  return `over the target: ${over
    .slice(0, 4)
    .map((d) => `${d.datname} ${formatCount(d.xid_age)}`)
    .join(', ')}${over.length > 4 ? `, … ${over.length - 4} more` : ''}`;
}

function summaryLine(elapsed: number, done: number, total: number, eta: number | undefined): string {
  const share = total > 0 ? Math.min(100, Math.round((done / total) * 100)) : 100;
  return `${elapsed.toFixed(1)}s  ${formatCount(done)}/${formatCount(total)} pages (${share}%)  ETA ${eta === undefined ? '…' : eta < 10 ? `${eta.toFixed(1)}s` : formatDuration(eta)}`;
}

/** Cut a line to the terminal width, not counting colour codes, so a redraw never wraps. */
function fit(line: string, columns: number): string {
  let visible = 0;
  let out = '';
  for (let i = 0; i < line.length; i++) {
    if (line[i] === '\x1b') {
      const end = line.indexOf('m', i);
      out += line.slice(i, end + 1);
      i = end;
      continue;
    }
    if (visible >= columns - 1) break;
    out += line[i];
    visible++;
  }
  return out.includes('\x1b[') && !out.endsWith('\x1b[0m') ? `${out}\x1b[0m` : out;
}
