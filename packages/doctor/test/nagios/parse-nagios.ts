/**
 * A Nagios plugin line read the way Nagios reads it (Nagios Plugin Development Guidelines, "Plugin Output" and
 * "Performance data"), written from the specification and not from our renderer, so a test with it can fail.
 */
export interface NagiosLine {
  service: string;
  state: string;
  text: string;
  perfdata: Map<string, { value: number; uom: string; warn?: number; crit?: number; min?: number; max?: number }>;
}

const HEAD = /^(\S+) (OK|WARNING|CRITICAL|UNKNOWN) - ([^|]*?)(?: \| (.*))?$/;
// 'label'=value[UOM];[warn];[crit];[min];[max], a quote inside a quoted label doubled.
const VALUE = /^(?:'((?:[^']|'')+)'|([^'= ]+))=(-?\d+(?:\.\d+)?)([a-zA-Z%]*)((?:;-?\d*(?:\.\d+)?){0,4})$/;

export function parseNagios(output: string): NagiosLine {
  const lines = output.split('\n');
  if (lines.length !== 2 || lines[1] !== '') throw new Error(`not one line: ${JSON.stringify(output)}`);
  const head = HEAD.exec(lines[0]!);
  if (!head) throw new Error(`not a plugin line: ${lines[0]}`);
  const perfdata: NagiosLine['perfdata'] = new Map();
  for (const item of (head[4] ?? '').split(' ').filter(Boolean)) {
    const m = VALUE.exec(item);
    if (!m) throw new Error(`bad perfdata item: ${item}`);
    const [warn, crit, min, max] = (m[5] ?? '').split(';').slice(1).map((f) => (f === '' ? undefined : Number(f)));
    perfdata.set(m[1] !== undefined ? m[1].replace(/''/g, "'") : m[2]!, { value: Number(m[3]), uom: m[4] ?? '', warn, crit, min, max });
  }
  return { service: head[1]!, state: head[2]!, text: head[3]!, perfdata };
}
