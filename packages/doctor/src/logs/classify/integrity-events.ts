import type { LogEvent } from '../log-event.js';
import type { LogRecord } from '../log-record.js';
import { makeEvent, statementText } from './make-event.js';
import { put } from './numbers.js';
import { parseRelationPath } from './relation-name.js';

// bufpage.c: WARNING "page verification failed, calculated checksum %u but expected %u", then bufmgr.c:
// ERROR "invalid page in block %u of relation %s" (PG 18 quotes the path; "; zeroing out page" with
// zero_damaged_pages). PG 18's vectored reads report a range: "%u invalid pages among blocks %u..%u of relation
// \"%s\"" (DETAIL "Block %u held the first invalid page."), "zeroing out %u invalid pages among blocks …",
// "ignoring checksum failure in block %u of relation \"%s\"", "ignoring %u checksum failures among blocks …" and
// "zeroing %u page(s) and ignoring %u checksum failure(s) among blocks …".
const VERIFICATION = /^page verification failed, calculated checksum (\d+) but expected (\d+)/;
const ONE_BLOCK = /^(?:invalid page|ignoring checksum failure) in block (\d+) of relation "?([^";]+?)"?(; zeroing out page)?$/;
const RANGE = /^(?:(zeroing out )?(\d+) invalid pages|ignoring (\d+) checksum failures|zeroing (\d+) page\(s\) and ignoring (\d+) checksum failure\(s\)) among blocks (\d+)\.\.(\d+) of relation "([^"]+)"/;

export function checksumEvent(record: LogRecord): LogEvent | undefined {
  const event = checksumEventOf(record);
  // The statement that read the bad page is where to start bisecting.
  if (event && record.statement) event.fields.statement = statementText(record.statement);
  return event;
}

function checksumEventOf(record: LogRecord): LogEvent | undefined {
  const message = record.message;
  let m = VERIFICATION.exec(message);
  if (m) {
    return makeEvent(record, 'checksum-failure', {
      summary: `page checksum mismatch (calculated ${m[1]}, expected ${m[2]})`,
      fields: { action: 'verification-failed', calculated_checksum: Number(m[1]), expected_checksum: Number(m[2]) },
    });
  }
  m = ONE_BLOCK.exec(message);
  if (m) {
    const path = m[2] ?? '';
    const action = message.startsWith('ignoring') ? 'ignored' : m[3] ? 'zeroed' : 'error';
    const fields: Record<string, unknown> = { action, block: Number(m[1]), relation_path: path, ...parseRelationPath(path) };
    return makeEvent(record, 'checksum-failure', { summary: `${verb(action)} page in block ${m[1]} of ${path}`, fields, relation: path });
  }
  m = RANGE.exec(message);
  if (m) {
    const path = m[8] ?? '';
    const action = m[1] || m[4] ? 'zeroed' : m[3] ? 'ignored' : 'error';
    const count = Number(m[2] ?? m[3] ?? m[4]);
    const fields: Record<string, unknown> = { action, pages: count, first_block: Number(m[6]), last_block: Number(m[7]), relation_path: path, ...parseRelationPath(path) };
    put(fields, 'ignored_checksum_failures', m[5] !== undefined ? Number(m[5]) : undefined);
    const first = record.detail ? /Block (\d+) held the first (?:invalid|zeroed|ignored) page/.exec(record.detail) : null;
    if (first) fields.block = Number(first[1]);
    return makeEvent(record, 'checksum-failure', {
      summary: `${count} ${action === 'error' ? 'invalid' : action} pages among blocks ${m[6]}..${m[7]} of ${path}`,
      fields,
      relation: path,
    });
  }
  return undefined;
}

function verb(action: string): string {
  return action === 'error' ? 'invalid' : action === 'zeroed' ? 'invalid (zeroed)' : 'checksum failure ignored on';
}

// slru.c, SlruReportIOError: ERROR "could not access status of transaction %u" with DETAIL "Could not open file
// \"%s\": %m." (or read from / seek in / write to / fsync / close). The same error covers pg_subtrans,
// pg_multixact and pg_commit_ts, whose DETAIL names their own directory.
const CLOG = /^could not access status of transaction (\d+)/;
const FILE = /Could not (open|read from|seek in|write to|fsync|close) file "([^"]+)"/;

/** CLOG_XACTS_PER_PAGE (8192 bytes × 4 xacts per byte) × SLRU_PAGES_PER_SEGMENT (32) = 2^20 xids per segment. */
export function clogSegment(xid: number): string {
  return (Math.floor(xid / 1048576) >>> 0).toString(16).toUpperCase().padStart(4, '0');
}

export function clogEvent(record: LogRecord): LogEvent | undefined {
  const m = CLOG.exec(record.message);
  if (!m) return undefined;
  const xid = Number(m[1]);
  const fields: Record<string, unknown> = { xid };
  const file = record.detail ? FILE.exec(record.detail) : null;
  const directory = file ? (file[2] ?? '').replace(/\/[^/]*$/, '') : undefined;
  if (file) {
    fields.file = file[2];
    fields.io_error = `could not ${file[1]}`;
    put(fields, 'detail', record.detail?.trim());
  }
  fields.slru = directory ?? 'pg_xact';
  if (record.statement) fields.statement = statementText(record.statement);
  if (directory === undefined || directory === 'pg_xact' || directory === 'pg_clog') {
    fields.segment_file = `${directory ?? 'pg_xact'}/${clogSegment(xid)}`;
  }
  const where = typeof fields.segment_file === 'string' ? fields.segment_file : typeof fields.file === 'string' ? fields.file : fields.slru;
  return makeEvent(record, 'clog-missing', {
    summary: `status of transaction ${xid} unreadable (${where}${file ? `: could not ${file[1]}` : ''})`,
    fields,
  });
}
