import type { SegmentsRow } from '../clog/segments-sql.js';
import type { ServerLogRead } from './server-log.js';
import type { BloatRow } from './bloat-dataset.js';
import type { StatementsRead } from './statements-dataset.js';
import type { TransactionsRow } from './transactions-dataset.js';
import type {
  ActivityRow,
  DatabaseRow,
  LockRow,
  MultixactMembersRow,
  PreparedRow,
  ServerRow,
  SettingRow,
  SlotRow,
  StandbyRow,
  TableRow,
  VacuumProgressRow,
  XidClockRow,
} from './rows.js';

/** Something the doctor could not look at, and why — reported, never silently dropped. */
export interface Skip {
  /** A dataset name or check id. */
  what: string;
  database?: string;
  reason: string;
}

/** XIDs assigned per second, measured from the snapshot xmax at two moments (or fitted from serve's history). */
export interface XidRate {
  xidsPerSecond: number;
  sampleSeconds: number;
  /** "history": serve's fit over its stored observations; a sample by `check` when absent. */
  source?: 'sample' | 'history';
}

/** Everything one diagnosis read from the server. A dataset that could not be read is absent. */
export interface Snapshot {
  server: ServerRow;
  settings?: SettingRow[];
  databases?: DatabaseRow[];
  activity?: ActivityRow[];
  prepared?: PreparedRow[];
  slots?: SlotRow[];
  standbys?: StandbyRow[];
  vacuumProgress?: VacuumProgressRow[];
  multixactMembers?: MultixactMembersRow[];
  /** Evidence of the XID rate over minutes or hours: since the last checkpoint, since a relation's last vacuum. */
  xidClocks?: XidClockRow[];
  /** One row: the commit log's and MultiXacts' segment files and the IDs they must cover. */
  clogSegments?: SegmentsRow[];
  transactions?: TransactionsRow[];
  /** Per database name. */
  tables: Record<string, TableRow[]>;
  locks: Record<string, LockRow[]>;
  /** Per database: tables and B-tree indexes of 1 MB or more, for the bloat estimate. */
  bloat?: Record<string, BloatRow[]>;
  /** Per database: what its pg_stat_statements shows (the same cluster-wide statistics wherever it is created). */
  statements?: Record<string, StatementsRead[]>;
  /** Deadlock details and serialization failures from the server log's tail, when the role may read it. */
  serverLog?: ServerLogRead;
  xidRate?: XidRate;
  /** MultiXact IDs assigned per second over the same sample (absent when VACUUM moved the reference meanwhile). */
  mxidRate?: XidRate;
  skipped: Skip[];
}

export type DatasetName = Exclude<keyof Snapshot, 'server' | 'skipped' | 'xidRate' | 'mxidRate'>;
