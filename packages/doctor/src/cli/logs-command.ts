import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DoctorError } from '../connect/doctor-error.js';
import { analyzeLogs } from '../logs/analyze-logs.js';
import { followLogs } from '../logs/follow-logs.js';
import type { LogEventClass } from '../logs/log-event.js';
import type { LogFormat } from '../logs/log-record.js';
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
      --follow            follow one live log file (through rotation) and print each event as it is written;
                          with --ndjson one JSON event a line; until Ctrl-C
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
  const inputs = positionals.length === 1 && positionals[0] === '-' ? '-' : positionals;
  const classes = values.class.length > 0 ? new Set(values.class as LogEventClass[]) : undefined;
  if (values.follow) {
    if (positionals.length !== 1 || positionals[0] === '-') throw new DoctorError('usage', '--follow follows one log file');
    if (values.json || values.markdown || values.html) throw new DoctorError('usage', '--follow prints events as they come: plain or --ndjson');
    const stop = new AbortController();
    process.once('SIGINT', () => stop.abort());
    process.once('SIGTERM', () => stop.abort());
    await followLogs(positionals[0]!, {
      prefix: values.prefix,
      format: values.format as LogFormat | undefined,
      timezone: values.timezone,
      slowMs,
      classes,
      signal: stop.signal,
      onEvent: (e) => io.out(values.ndjson ? `${JSON.stringify(e)}\n` : `${e.time ? new Date(e.time).toISOString() : '-'}  ${e.severity.padEnd(8)} ${e.class}  ${e.summary}\n`),
    });
    return 0;
  }

  const analysis = await analyzeLogs(inputs, {
    prefix: values.prefix,
    format: values.format as LogFormat | undefined,
    timezone: values.timezone,
    slowMs,
    since,
    classes,
    onEvent: values.ndjson ? (event) => io.out(`${JSON.stringify(event)}\n`) : undefined,
    maxEvents: values.ndjson ? 0 : undefined,
  });
  const { summary, events } = analysis;
  if (values.html) writeFileSync(values.html, renderLogsHtml(summary, events));
  if (values.ndjson) io.out(`${JSON.stringify({ summary })}\n`);
  else if (values.json) io.out(`${JSON.stringify({ events, events_not_kept: analysis.eventsNotKept, summary }, null, 2)}\n`);
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
