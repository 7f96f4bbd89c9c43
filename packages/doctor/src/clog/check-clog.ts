import type { ConnOptions } from '../connect/conn-options.js';
import { DoctorError } from '../connect/doctor-error.js';
import { DEFAULT_LIMITS, openSession, type SessionLimits } from '../connect/safe-session.js';
import { analyzeSlru, type SlruAnalysis } from './analyze-slru.js';
import type { ClogFacts, ClogServer, ClogSkip, ClogSource, ClogSourceInfo, XidProbe } from './clog-source.js';
import type { ClogInventory } from './inventory.js';
import { isClogHit, type LogHit } from './log-xids.js';
import { pgdataSource } from './pgdata-source.js';
import { ID_SPACE, idDistance, low32, slruGeometry } from './slru.js';
import { sqlSource } from './sql-source.js';
import { fullXidNear, locateXid, parseXid, statusInByte, type XactStatus, type XidLocation } from './xid-location.js';

export interface ClogCheckOptions {
  /** A live server, read over SQL (primary or standby). */
  conn?: ConnOptions;
  /** A data directory, read with file reads instead of a connection (the cluster may be stopped). */
  pgdata?: string;
  /** Transaction IDs to map and look up (32-bit, 64-bit, or epoch:xid), e.g. from an error message. */
  xids?: readonly string[];
  /** A server log to search for `could not access status of transaction N` (default: the server's current log, when readable). */
  logFile?: string;
  /** statement_timeout and lock_timeout of the session. */
  limits?: SessionLimits;
}

/** One transaction ID, mapped to its place in pg_xact and looked up. */
export interface XidReport {
  xid: number;
  fullXid: number;
  epoch: number;
  /** Who named it: --xid, or the server log's error. */
  from: ('xid' | 'log')[];
  location: XidLocation;
  /** Between the oldest datfrozenxid and the next XID: the server may look its status up. */
  inUse: boolean;
  /** Its segment on disk: present (and long enough), missing, short, or unknown (the files could not be listed). */
  file: 'present' | 'missing' | 'short' | 'unknown';
  /** The status its two bits hold on disk. */
  status?: XactStatus;
  /** What pg_xact_status() says (over SQL only). */
  server?: XidProbe;
  /** Its status cannot be read: rows it wrote or deleted make reads fail. */
  lost: boolean;
}

export interface ClogReport {
  tool: 'mvcc-doctor';
  schema_version: 1;
  command: 'clog check';
  source: ClogSourceInfo;
  server: ClogServer;
  transactions: {
    /** The oldest XID in use (min datfrozenxid, or the checkpoint's oldestXID from a data directory). */
    oldest: number;
    /** The next XID now, with its epoch (64-bit). */
    next: number;
    /** The next XID of the last checkpoint: the files on disk are current up to it. */
    checkpointNext: number;
    checkpointTime?: string;
  };
  multixacts: { oldest: number; next: number; oldestOffset?: number; nextOffset: number };
  /** pg_xact, pg_multixact/offsets, pg_multixact/members; empty when the files could not be read. */
  slrus: SlruAnalysis[];
  xids: XidReport[];
  log?: { file: string; hits: LogHit[] };
  skipped: ClogSkip[];
  /** 0 every needed segment is there, 2 one is missing or short, 3 could not diagnose. */
  exit_code: 0 | 2 | 3;
}

/**
 * clog check: the segment files of pg_xact and pg_multixact between the oldest and the next ID, and each
 * failing transaction ID mapped to its file, byte and bits. Read-only: SQL on one bounded session, or file reads.
 */
export async function checkClog(options: ClogCheckOptions): Promise<ClogReport> {
  const wanted = (options.xids ?? []).map(parseXid);
  let source: ClogSource;
  if (options.pgdata !== undefined) source = pgdataSource(options.pgdata, options.logFile);
  else if (options.conn) source = sqlSource(await openSession(options.conn, options.conn.database, options.limits ?? DEFAULT_LIMITS), options.conn);
  else throw new DoctorError('usage', 'clog check needs a connection or --pgdata DIR');
  try {
    const skipped: ClogSkip[] = [];
    const facts = await source.facts();
    const log = await source.logHits(skipped);
    const xids = mergeXids(wanted, log?.hits ?? [], facts.liveNextXid);
    const inventory = await source.inventory(facts, xids.map((x) => x.xid), skipped);
    // Only without the files: each failed probe is an ERROR in the server log (tagged, and left out of log hits).
    const probes = inventory ? new Map<number, XidProbe>() : await source.probe(facts, xids.map((x) => x.fullXid));
    const slrus = inventory ? analyzeAll(inventory, xids.map((x) => x.xid)) : [];
    const reports = xids.map((x) => xidReport(x, facts, inventory, probes.get(x.fullXid)));
    const needed = slrus.some((s) => s.problems.length > 0) || reports.some((x) => x.lost);
    return {
      tool: 'mvcc-doctor',
      schema_version: 1,
      command: 'clog check',
      source: facts.source,
      server: facts.server,
      transactions: {
        oldest: facts.oldestXid,
        next: facts.liveNextXid,
        checkpointNext: facts.checkpoint.nextXid,
        ...(facts.checkpoint.time ? { checkpointTime: facts.checkpoint.time } : {}),
      },
      multixacts: {
        oldest: facts.oldestMulti,
        next: facts.checkpoint.nextMulti,
        ...(inventory?.oldestMultiOffset === undefined ? {} : { oldestOffset: inventory.oldestMultiOffset }),
        nextOffset: facts.checkpoint.nextMultiOffset,
      },
      slrus,
      xids: reports,
      ...(log ? { log } : {}),
      skipped,
      exit_code: needed ? 2 : inventory ? 0 : 3,
    };
  } finally {
    await source.close();
  }
}

/** The three SLRUs judged against their IDs in use; known failing XIDs count as witnesses in pg_xact. */
export function analyzeAll(inv: ClogInventory, witnessXids: readonly number[] = []): SlruAnalysis[] {
  const xact = analyzeSlru(slruGeometry('pg_xact', inv.blockSize), inv.oldestXid, low32(inv.checkpoint.nextXid), inv.files['pg_xact'], witnessXids);
  const offsets = analyzeSlru(slruGeometry('pg_multixact/offsets', inv.blockSize), inv.oldestMulti, inv.checkpoint.nextMulti, inv.files['pg_multixact/offsets']);
  // Without the oldest multi's offset entry, only the page of the next member offset is known to be needed.
  const oldestOffset = inv.oldestMultiOffset ?? inv.checkpoint.nextMultiOffset;
  const members = analyzeSlru(slruGeometry('pg_multixact/members', inv.blockSize), oldestOffset, inv.checkpoint.nextMultiOffset, inv.files['pg_multixact/members']);
  return [xact, offsets, members];
}

interface WantedXid {
  xid: number;
  fullXid: number;
  from: ('xid' | 'log')[];
}

function mergeXids(given: { xid: number; fullXid?: number }[], hits: LogHit[], nextFullXid: number): WantedXid[] {
  const out = new Map<number, WantedXid>();
  const add = (xid: number, fullXid: number | undefined, from: 'xid' | 'log') => {
    const full = fullXid ?? fullXidNear(xid, nextFullXid);
    const known = out.get(full);
    if (known) {
      if (!known.from.includes(from)) known.from.push(from);
    } else {
      out.set(full, { xid, fullXid: full, from: [from] });
    }
  };
  for (const g of given) add(g.xid, g.fullXid, 'xid');
  for (const h of hits.filter(isClogHit)) add(h.id, undefined, 'log');
  return [...out.values()];
}

function xidReport(x: WantedXid, facts: ClogFacts, inv: ClogInventory | undefined, server: XidProbe | undefined): XidReport {
  const location = locateXid({ xid: x.xid, fullXid: x.fullXid }, { blockSize: facts.server.blockSize });
  const inUse = x.fullXid < facts.liveNextXid && facts.liveNextXid - x.fullXid <= idDistance(facts.oldestXid, facts.liveNextXid);
  let file: XidReport['file'] = 'unknown';
  let status: XactStatus | undefined;
  if (inv) {
    const seg = inv.files['pg_xact'].find((f) => f.name === location.segment);
    // The server reads whole pages: a file that ends before the page's end fails the read.
    file = !seg ? 'missing' : seg.size < (location.page + 1) * facts.server.blockSize ? 'short' : 'present';
    const byte = inv.statusBytes.get(x.xid);
    if (byte !== undefined) status = statusInByte(byte, location.shift);
  }
  const serverLost = server !== undefined && 'error' in server && /could not access status of transaction/.test(server.error);
  return {
    xid: x.xid,
    fullXid: x.fullXid,
    epoch: Math.floor(x.fullXid / ID_SPACE),
    from: x.from,
    location,
    inUse,
    file,
    ...(status === undefined ? {} : { status }),
    ...(server ? { server } : {}),
    lost: serverLost || (inUse && (file === 'missing' || file === 'short')),
  };
}
