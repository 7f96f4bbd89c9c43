import type { RecordLane } from '../read-options.js';
import type { StatsRecorder } from '../read-stats.js';
import type { LogTimeParser } from '../time/log-time.js';
import { eachLine, type FormatReader } from './format-reader.js';
import { firstLine, nameValue, wholeRecord, type RecordParts } from './whole-record.js';
import type { RecordOut } from '../log-reader.js';

type Fields = Record<string, unknown>;

/**
 * One JSON object a line, each a whole record: PostgreSQL's jsonlog (15+), or CloudNativePG's wrapping of the
 * csvlog fields under "record" (all values strings). CloudNativePG's own lines (the instance manager's) are
 * foreign.
 */
export class JsonReader implements FormatReader {
  private line = 0;

  constructor(
    private readonly kind: 'jsonlog' | 'cnpg',
    private readonly out: RecordOut,
    private readonly recorder: StatsRecorder,
    private readonly times: LogTimeParser,
    private readonly file: string,
    private readonly maxSize: number,
    private readonly wants: ((severity: string, head: string) => boolean) | undefined,
    private readonly lane?: RecordLane,
  ) {}

  block(buf: Buffer, start: number, end: number, cut: boolean): void {
    let records = 0;
    const lines = eachLine(buf, start, end, this.line + 1, (from, to, line) => {
      if (to === from) return this.recorder.skip('empty');
      let value: unknown;
      const raw = buf.toString('utf8', from, to);
      try {
        value = JSON.parse(raw);
      } catch {
        return this.recorder.skip('bad-json');
      }
      if (typeof value !== 'object' || value === null) return this.recorder.skip('bad-json');
      const parts = this.kind === 'jsonlog' ? this.jsonlog(value as Fields, line, raw) : this.cnpg(value as Fields, line);
      if (!parts) return this.recorder.skip('foreign');
      if (this.wants && !this.wants(parts.severity, firstLine(parts.message))) return this.recorder.skip('filtered');
      records++;
      const taken = this.lane && parts.severity === 'LOG' && parts.message.length <= this.maxSize ? this.lane.take(parts.message, 0, nameValue(parts.application)) : undefined;
      if (taken === 'taken') return;
      const record = wholeRecord(parts, this.maxSize, this.recorder);
      if (taken === 'counted') this.lane!.mark(record);
      this.out.push(record);
    });
    this.line += lines;
    this.recorder.lines(lines);
    this.recorder.records(records);
    if (cut) this.recorder.cut();
  }

  idle(): void {}

  end(): void {}

  /** jsonlog's keys (src/backend/utils/error/jsonlog.c). */
  private jsonlog(o: Fields, line: number, raw: string): RecordParts | undefined {
    const severity = text(o.error_severity);
    if (!severity) return undefined;
    const host = text(o.remote_host);
    return {
      time: this.time(o.timestamp),
      pid: number(o.pid),
      severity,
      message: text(o.message) ?? '',
      detail: text(o.detail),
      hint: text(o.hint),
      context: text(o.context),
      statement: text(o.statement),
      query: text(o.internal_query),
      sqlstate: text(o.state_code),
      user: text(o.user),
      database: text(o.dbname),
      application: text(o.application_name),
      client: host && o.remote_port !== undefined ? `${host}:${text(o.remote_port)}` : host,
      backendType: text(o.backend_type),
      sessionLine: number(o.line_num),
      virtualXid: text(o.vxid),
      xid: text(o.txid),
      queryId: typeof o.query_id === 'number' && !Number.isSafeInteger(o.query_id) ? exactQueryId(raw) : text(o.query_id),
      source: { file: this.file, line },
    };
  }

  /** CloudNativePG: {"logger":"postgres","msg":"record","record":{csvlog column names: values}}. */
  private cnpg(o: Fields, line: number): RecordParts | undefined {
    const r = o.record;
    if (o.msg !== 'record' || typeof r !== 'object' || r === null) return undefined;
    const f = r as Fields;
    const severity = text(f.error_severity);
    if (!severity) return undefined;
    return {
      time: this.time(f.log_time),
      pid: number(f.process_id),
      severity,
      message: text(f.message) ?? '',
      detail: text(f.detail),
      hint: text(f.hint),
      context: text(f.context),
      statement: text(f.query),
      query: text(f.internal_query),
      sqlstate: text(f.sql_state_code),
      user: text(f.user_name),
      database: text(f.database_name),
      application: text(f.application_name),
      client: text(f.connection_from),
      backendType: text(f.backend_type),
      sessionLine: number(f.session_line_num),
      virtualXid: text(f.virtual_transaction_id),
      xid: text(f.transaction_id),
      queryId: text(f.query_id),
      source: { file: this.file, line },
    };
  }

  private time(value: unknown): number | undefined {
    return typeof value === 'string' ? this.times.parse(value) : undefined;
  }
}

/** query_id is a 64-bit integer that JSON.parse rounds: take its digits from the line itself. */
function exactQueryId(raw: string): string | undefined {
  return /"query_id":(-?\d+)/.exec(raw)?.[1];
}

function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value === '' ? undefined : value;
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  return undefined;
}

function number(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value !== '') {
    const n = Number(value);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}
