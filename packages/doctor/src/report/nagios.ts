import type { PerfValue } from './nagios-perfdata.js';
import { subjectText, type Report } from './report.js';

/** The Nagios plugin states, by exit code (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN). */
export const NAGIOS_STATES = ['OK', 'WARNING', 'CRITICAL', 'UNKNOWN'] as const;

/** Nagios and Icinga keep the first line; a long one is hard to read in an alert. The perfdata is never cut. */
const MAX_TEXT = 300;

/**
 * One Nagios/Icinga plugin line: `MVCC CRITICAL - <what is worst> | <perfdata>`. The state follows the exit code,
 * so the line and the code never disagree; the text names the most severe findings first.
 */
export function renderNagios(report: Report, perfdata: readonly PerfValue[]): string {
  const state = NAGIOS_STATES[report.exit_code];
  const alarms = report.findings.filter((f) => f.severity !== 'info');
  let text: string;
  if (alarms.length === 0) {
    const info = report.summary.info > 0 ? `, ${report.summary.info} info` : '';
    text = `no MVCC problems in ${report.databases_examined.length} database(s)${info}`;
  } else {
    const { critical, warning } = report.summary;
    const counts = [critical && `${critical} critical`, warning && `${warning} warning`].filter(Boolean).join(', ');
    const first = alarms[0]!;
    const subject = subjectText(first);
    text = `${counts}: ${first.check}${subject ? ` (${subject})` : ''}: ${first.summary}`;
    const more = alarms.slice(1).map((f) => f.check);
    if (more.length > 0) text += ` Also: ${[...new Set(more)].join(', ')}.`;
  }
  const perf = perfdataText(perfdata);
  return `MVCC ${state} - ${cut(oneLine(text))}${perf ? ` | ${perf}` : ''}\n`;
}

/** The line for a diagnosis that could not be made (exit 3). */
export function renderNagiosUnknown(message: string): string {
  return `MVCC UNKNOWN - ${cut(oneLine(message))}\n`;
}

/** Nagios plugin perfdata: space-separated 'label'=value[UOM];warn;crit;min;max, trailing empty fields dropped. */
export function perfdataText(values: readonly PerfValue[]): string {
  return values.map(perfValueText).join(' ');
}

function perfValueText(v: PerfValue): string {
  const fields = [`${number(v.value)}${v.uom ?? ''}`, optional(v.warn), optional(v.crit), optional(v.min), optional(v.max)];
  while (fields.length > 1 && fields[fields.length - 1] === '') fields.pop();
  return `${label(v.label)}=${fields.join(';')}`;
}

/** Labels are always quoted; a quote inside is doubled and '=' (which would end the label) becomes '_'. */
function label(name: string): string {
  return `'${name.replace(/=/g, '_').replace(/'/g, "''")}'`;
}

function optional(value: number | undefined): string {
  return value === undefined ? '' : number(value);
}

/** Plain decimal, never exponent notation, which Nagios does not read. */
function number(value: number): string {
  return Number.isInteger(value) ? value.toFixed(0) : String(Number(value.toFixed(3)));
}

/** The text part cannot hold '|' (it starts perfdata) or a line break (it starts the long output). */
function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').replace(/\|/g, '/').trim();
}

function cut(text: string): string {
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT - 1)}…` : text;
}
