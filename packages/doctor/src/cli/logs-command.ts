import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DoctorError } from '../connect/doctor-error.js';
import { analyzeLogs } from '../logs/analyze-logs.js';
import { followLogs } from '../logs/follow-logs.js';
import type { LogEvent, LogEventClass } from '../logs/log-event.js';
import type { LogFormat } from '../logs/log-record.js';
import type { LogSummary } from '../logs/report/log-summary.js';
import { renderLogsHtml } from '../logs/report/render-logs-html.js';
import { renderLogsMarkdown } from '../logs/report/render-logs-markdown.js';
import { renderLogsText } from '../logs/report/render-logs-text.js';
import type { CommandIO } from './io.js';

export const LOGS_HELP = `Usage: mvcc-doctor logs FILE|DIR|- … [options]

Read PostgreSQL server logs (stderr with any log_line_prefix, csvlog, jsonlog, syslog, RDS, Cloud SQL, CloudNativePG,
Heroku; gzip, bz2, xz, zstd) and report the MVCC faults in them: deadlocks, lock waits, timeouts, serialization
failures, autovacuum that could not remove tuples, wraparound warnings and the stop zone, checksum failures, a
missing commit log, slow statements — each tied to the application code when the log names it.

Options:
      --prefix P          the server's log_line_prefix (detected from the first lines when absent)
      --format F          stderr | csvlog | jsonlog | syslog | cloudsql | cnpg | logplex (detected when absent)
      --timezone Z        the server's log_timezone for times without an offset (IANA name or +05:30)
      --slow D            statements logged with a duration above this are events (default 500ms)
      --class C           only this event class (repeatable)
      --since TIME        only events from this time (ISO 8601)
      --json              {"events": […], "summary": …}
      --ndjson            one event a line as it is found, then the summary
      --markdown          Markdown report
      --html FILE         a self-contained HTML report written to FILE
      --max-events N      events listed by --json (default 100000) and --html (default 5000); all are counted
      --jobs N            read with N worker threads: files in parallel, a large plain stderr or jsonlog file cut
                          into N parts; the same report as with 1 (default 1; not with --ndjson or --follow)
      --follow            follow one live log file (through rotation), or a log directory's newest file (moving
                          to each newer one), and print each event as it is written; with --ndjson one JSON event
                          a line; until Ctrl-C
Exit codes: 0 nothing to worry about, 1 warnings, 2 corruption or a stop-zone error, 3 could not read.`;

const CLASSES: readonly LogEventClass[] = [
  'deadlock', 'lock-wait', 'lock-timeout', 'statement-timeout', 'idle-in-transaction-timeout', 'serialization-failure', 'autovacuum',
  'autoanalyze', 'autovacuum-cancel', 'vacuum-skipped', 'wraparound-warning', 'wraparound-stop', 'multixact-wraparound', 'failsafe',
  'checksum-failure', 'clog-missing', 'temp-file', 'slow-statement', 'connection-lost-in-transaction',
];
const FORMATS: readonly LogFormat[] = ['stderr', 'csvlog', 'jsonlog', 'syslog', 'cloudsql', 'cnpg', 'logplex'];

export async function logsCommand(argv: string[], io: CommandIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      prefix: { type: 'string' },
      format: { type: 'string' },
      timezone: { type: 'string' },
      slow: { type: 'string', default: '500ms' },
      class: { type: 'string', multiple: true, default: [] },
      since: { type: 'string' },
      json: { type: 'boolean', default: false },
      ndjson: { type: 'boolean', default: false },
      markdown: { type: 'boolean', default: false },
      html: { type: 'string' },
      follow: { type: 'boolean', default: false },
      jobs: { type: 'string', default: '1' },
      'max-events': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    io.out(`${LOGS_HELP}\n`);
    return 0;
  }
  if (positionals.length === 0) throw new DoctorError('usage', 'logs needs a FILE, a DIR or - (stdin)');
  if ([values.json, values.ndjson, values.markdown].filter(Boolean).length > 1) throw new DoctorError('usage', 'choose one of --json, --ndjson and --markdown');
  if (values.format !== undefined && !FORMATS.includes(values.format as LogFormat)) throw new DoctorError('usage', `--format takes one of ${FORMATS.join(', ')}`);
  for (const c of values.class) if (!CLASSES.includes(c as LogEventClass)) throw new DoctorError('usage', `--class takes one of ${CLASSES.join(', ')}, not "${c}"`);
  const since = values.since === undefined ? undefined : Date.parse(values.since);
  if (since !== undefined && !Number.isFinite(since)) throw new DoctorError('usage', `--since takes an ISO 8601 time, not "${values.since}"`);
  const slowMs = parseMs(values.slow);
  const jobs = Number(values.jobs);
  if (!Number.isInteger(jobs) || jobs < 1 || jobs > 64) throw new DoctorError('usage', `--jobs takes a whole number from 1 to 64, not "${values.jobs}"`);
  const maxEvents = values['max-events'] === undefined ? undefined : Number(values['max-events']);
  if (maxEvents !== undefined && !(Number.isInteger(maxEvents) && maxEvents >= 0)) throw new DoctorError('usage', `--max-events takes a whole number, not "${values['max-events']}"`);
  if (jobs > 1 && (values.ndjson || values.follow)) throw new DoctorError('usage', '--ndjson and --follow stream events in log order: one job (drop --jobs)');
  const inputs = positionals.length === 1 && positionals[0] === '-' ? '-' : positionals;
  const classes = values.class.length > 0 ? new Set(values.class as LogEventClass[]) : undefined;
  if (values.follow) {
    if (positionals.length !== 1 || positionals[0] === '-') throw new DoctorError('usage', '--follow follows one log file or log directory');
    if (values.json || values.markdown || values.html) throw new DoctorError('usage', '--follow prints events as they come: plain or --ndjson');
    const stop = new AbortController();
    process.once('SIGINT', () => stop.abort());
    process.once('SIGTERM', () => stop.abort());
    const following = followLogs(positionals[0]!, {
      prefix: values.prefix,
      format: values.format as LogFormat | undefined,
      timezone: values.timezone,
      slowMs,
      classes,
      signal: stop.signal,
      onEvent: (e) => io.out(values.ndjson ? `${JSON.stringify(e)}\n` : `${e.time ? new Date(e.time).toISOString() : '-'}  ${e.severity.padEnd(8)} ${e.class}  ${e.summary}\n`),
    });
    io.err(`mvcc-doctor: following ${positionals[0]!} from its end (Ctrl-C to stop)\n`);
    await following;
    return 0;
  }

  const json = values.json ? new JsonReport(io, maxEvents ?? 100_000) : undefined;
  const analysis = await analyzeLogs(inputs, {
    prefix: values.prefix,
    format: values.format as LogFormat | undefined,
    timezone: values.timezone,
    slowMs,
    since,
    classes,
    onEvent: values.ndjson
      ? (event) => {
          io.out(`${JSON.stringify(event)}\n`);
          return io.drained?.();
        }
      : json && jobs === 1
        ? (event) => json.event(event)
        : undefined,
    // Only what is printed is kept: the text and Markdown reports list no events, --html the first 5,000, and
    // --json writes them as they are found (with one job; several keep theirs to put them in log order).
    maxEvents: json && jobs > 1 ? (maxEvents ?? 100_000) : values.html ? (maxEvents ?? 5000) : 0,
    jobs,
  });
  const { summary, events } = analysis;
  if (values.html) writeFileSync(values.html, renderLogsHtml(summary, events));
  if (values.ndjson) io.out(`${JSON.stringify({ summary })}\n`);
  else if (json) {
    if (jobs > 1) for (const event of events) await json.event(event);
    json.end(summary, jobs > 1 ? analysis.eventsNotKept : 0);
  }
  else if (values.markdown) io.out(renderLogsMarkdown(summary));
  else io.out(renderLogsText(summary));
  if (summary.read.warnings > 0 && !values.json && !values.ndjson) io.err(`mvcc-doctor: ${summary.read.warnings} warning(s) while reading; the first: ${summary.read.messages[0] ?? ''}\n`);
  return summary.exit_code;
}

/** "500ms", "2s" or a bare number of milliseconds. */
function parseMs(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(text.trim());
  if (!match) throw new DoctorError('usage', `--slow takes a duration such as 500ms or 2s, not "${text}"`);
  return Number(match[1]) * (match[2] === 's' ? 1000 : 1);
}

/**
 * Writes what JSON.stringify({ events, events_not_kept, summary }, null, 2) would, an event at a time as it is
 * found: a hundred thousand events kept for one string at the end held half a gigabyte.
 */
class JsonReport {
  private listed = 0;
  private notListed = 0;
  private piece = '{\n  "events": [';

  constructor(
    private readonly io: CommandIO,
    private readonly maxEvents: number,
  ) {}

  event(event: LogEvent): Promise<void> | undefined {
    if (this.listed >= this.maxEvents) {
      this.notListed++;
      return undefined;
    }
    this.piece += `${this.listed > 0 ? ',' : ''}\n    ${JSON.stringify(event, null, 2).replace(/\n/g, '\n    ')}`;
    this.listed++;
    if (this.piece.length < 1_000_000) return undefined;
    this.io.out(this.piece);
    this.piece = '';
    return this.io.drained?.();
  }

  end(summary: LogSummary, alsoNotListed: number): void {
    const tail = JSON.stringify(summary, null, 2).replace(/\n/g, '\n  ');
    this.io.out(`${this.piece}${this.listed > 0 ? '\n  ' : ''}],\n  "events_not_kept": ${this.notListed + alsoNotListed},\n  "summary": ${tail}\n}\n`);
  }
}
