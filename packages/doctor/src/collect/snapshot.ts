import type { SegmentsRow } from '../clog/segments-sql.js';
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
} from './rows.js';

/** Something the doctor could not look at, and why — reported, never silently dropped. */
export interface Skip {
  /** A dataset name or check id. */
  what: string;
  database?: string;
  reason: string;
}

/** XIDs assigned per second, measured from the snapshot xmax at two moments. */
export interface XidRate {
  xidsPerSecond: number;
  sampleSeconds: number;
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
  /** One row: the commit log's and MultiXacts' segment files and the IDs they must cover. */
  clogSegments?: SegmentsRow[];
  /** Per database name. */
  tables: Record<string, TableRow[]>;
  locks: Record<string, LockRow[]>;
  xidRate?: XidRate;
  /** MultiXact IDs assigned per second over the same sample (absent when VACUUM moved the reference meanwhile). */
  mxidRate?: XidRate;
  skipped: Skip[];
}

export type DatasetName = Exclude<keyof Snapshot, 'server' | 'skipped' | 'xidRate' | 'mxidRate'>;
