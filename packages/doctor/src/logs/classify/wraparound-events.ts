import type { LogEvent } from '../log-event.js';
import type { LogRecord } from '../log-record.js';
import { makeEvent } from './make-event.js';
import { splitQualifiedTable } from './relation-name.js';
import { formatCount } from '../../report/format.js';

// varsup.c, GetNewTransactionId / SetTransactionIdLimit:
//   WARNING "database \"%s\" must be vacuumed within %u transactions" (or "database with OID %u …")
//   ERROR   "database is not accepting commands to avoid wraparound data loss in database \"%s\"" (up to 16)
//   ERROR   "database is not accepting commands that assign new transaction IDs to avoid …" (17+)
// multixact.c, the same for MultiXactIds and member space:
//   WARNING "database \"%s\" must be vacuumed before %u more MultiXactId(s) is/are used"
//   WARNING "database with OID %u must be vacuumed before %d more multixact member(s) is/are used"
//   ERROR   "database is not accepting commands that generate new MultiXactIds to avoid …" (up to 16; "assign" 17+)
//   ERROR   "multixact \"members\" limit exceeded"
const XID_WARNING = /^database (?:"([^"]*)"|with OID (\d+)) must be vacuumed within (\d+) transactions?/;
const MXID_WARNING = /^database (?:"([^"]*)"|with OID (\d+)) must be vacuumed before (\d+) more (MultiXactIds?|multixact members?) (?:is|are) used/;
const STOP =
  /^database is not accepting commands (?:(that assign new transaction IDs|that generate new MultiXactIds|that assign new MultiXactIds) )?to avoid wraparound data loss in database (?:"([^"]*)"|with OID (\d+))/;

export function databaseLimitEvent(record: LogRecord): LogEvent | undefined {
  const message = record.message;
  let m = XID_WARNING.exec(message);
  if (m) {
    const fields = target(m[1], m[2]);
    fields.remaining_xids = Number(m[3]);
    return makeEvent(record, 'wraparound-warning', {
      summary: `database ${name(m[1], m[2])} must be vacuumed within ${formatCount(Number(m[3]))} transactions`,
      fields,
      database: m[1],
    });
  }
  m = MXID_WARNING.exec(message);
  if (m) {
    const members = (m[4] ?? '').startsWith('multixact member');
    const fields = target(m[1], m[2]);
    fields.kind = members ? 'members-warning' : 'warning';
    fields[members ? 'remaining_members' : 'remaining_multixacts'] = Number(m[3]);
    return makeEvent(record, 'multixact-wraparound', {
      summary: `database ${name(m[1], m[2])} must be vacuumed before ${formatCount(Number(m[3]))} more ${members ? 'multixact members' : 'MultiXactIds'} are used`,
      fields,
      database: m[1],
    });
  }
  m = STOP.exec(message);
  if (m) {
    const fields = target(m[2], m[3]);
    const multixact = (m[1] ?? '').includes('MultiXact');
    // The wording tells the version: PG 17 changed both ("assign new transaction IDs", "assign new MultiXactIds").
    fields.wording = m[1] === undefined || m[1] === 'that generate new MultiXactIds' ? 'pg16-and-older' : 'pg17-and-newer';
    if (multixact) {
      fields.kind = 'stop';
      return makeEvent(record, 'multixact-wraparound', {
        summary: `database ${name(m[2], m[3])} refuses commands that need new MultiXactIds: MultiXact wraparound stop limit reached`,
        fields,
        database: m[2],
        severity: 'critical',
      });
    }
    return makeEvent(record, 'wraparound-stop', {
      summary: `database ${name(m[2], m[3])} refuses commands that need a new transaction ID: wraparound stop limit reached`,
      fields,
      database: m[2],
    });
  }
  return undefined;
}

export function membersLimitEvent(record: LogRecord): LogEvent {
  return makeEvent(record, 'multixact-wraparound', {
    summary: 'MultiXact member space exhausted: commands that need new MultiXactIds fail',
    fields: { kind: 'members-stop' },
    severity: 'critical',
  });
}

/**
 * vacuum.c: "oldest xmin is far in the past" / "oldest multixact is far in the past" (up to 15), renamed
 * "cutoff for removing and freezing tuples is far in the past" / "cutoff for freezing multixacts is far in the
 * past" (16+): a VACUUM could not freeze because something holds the horizon back by more than autovacuum_freeze_max_age.
 */
export function farInThePastEvent(record: LogRecord): LogEvent | undefined {
  const message = record.message;
  const multixact = message.startsWith('oldest multixact') || message.startsWith('cutoff for freezing multixacts');
  if (!multixact && !message.startsWith('oldest xmin') && !message.startsWith('cutoff for removing and freezing tuples')) return undefined;
  const fields = { kind: multixact ? 'oldest-multixact-far-in-past' : 'oldest-xmin-far-in-past' };
  return makeEvent(record, multixact ? 'multixact-wraparound' : 'wraparound-warning', {
    summary: multixact
      ? 'VACUUM cannot freeze MultiXactIds: the oldest multixact is far in the past'
      : 'VACUUM cannot freeze: the xmin horizon is far in the past (an old transaction, prepared transaction or slot holds it)',
    fields,
  });
}

/** multixact.c: "MultiXactId %u has not been created yet -- apparent wraparound" / "… does no longer exist …". */
export function apparentMultixactWraparoundEvent(record: LogRecord): LogEvent | undefined {
  const m = /^MultiXactId (\d+) (has not been created yet|does no longer exist) -- apparent wraparound/.exec(record.message);
  if (!m) return undefined;
  return makeEvent(record, 'multixact-wraparound', {
    summary: `MultiXactId ${m[1]} ${m[2]}: apparent wraparound (corrupt or lost multixact data)`,
    fields: { kind: 'apparent-wraparound', multixact_id: Number(m[1]) },
    severity: 'critical',
  });
}

// vacuumlazy.c, lazy_check_wraparound_failsafe (14+).
const FAILSAFE = /^bypassing nonessential maintenance of table "([^"]*)" as a failsafe after (\d+) index scans?/;

export function failsafeEvent(record: LogRecord): LogEvent | undefined {
  const m = FAILSAFE.exec(record.message);
  if (!m) return undefined;
  const { database, relation } = splitQualifiedTable(m[1] ?? '');
  return makeEvent(record, 'failsafe', {
    summary: `VACUUM of ${relation} entered the wraparound failsafe after ${m[2]} index scans: relfrozenxid or relminmxid is past vacuum_failsafe_age`,
    fields: { index_scans: Number(m[2]) },
    relation,
    database,
  });
}

function target(database: string | undefined, oid: string | undefined): Record<string, unknown> {
  return database !== undefined ? { database } : { database_oid: Number(oid) };
}

function name(database: string | undefined, oid: string | undefined): string {
  return database !== undefined ? `"${database}"` : `with OID ${oid}`;
}
