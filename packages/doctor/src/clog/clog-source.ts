import type { CheckpointCounters, ClogInventory } from './inventory.js';
import type { LogHit } from './log-xids.js';

/** Something clog check could not look at, and what it would need. */
export interface ClogSkip {
  what: string;
  reason: string;
}

/** Where the facts came from. */
export type ClogSourceInfo =
  | { kind: 'sql'; host: string; port: number; user: string; database: string; superuser: boolean }
  | { kind: 'pgdata'; dataDirectory: string; running: boolean; state: string };

/** The server as clog check and plan describe it. */
export interface ClogServer {
  major: number;
  version?: string;
  inRecovery: boolean;
  blockSize: number;
  /** Absolute, when the source shows it (the data directory itself, or data_directory to a privileged role). */
  dataDirectory?: string;
  /** pg_last_wal_replay_lsn() of a standby. */
  replayLsn?: string;
  /** The primary a standby streams from (pg_stat_wal_receiver). */
  upstream?: { host: string; port: number };
  /** Standbys streaming from this server (pg_stat_replication). */
  downstreams?: { name: string; address: string | null }[];
  /** Contrib extensions: undefined unknown, null not available, "" available, else the installed version. */
  pgSurgery?: string | null;
  pageinspect?: string | null;
}

export interface ClogFacts {
  source: ClogSourceInfo;
  server: ClogServer;
  checkpoint: CheckpointCounters;
  oldestXid: number;
  oldestMulti: number;
  /** The next XID now (64-bit): the snapshot's xmax over SQL; the checkpoint's from a data directory. */
  liveNextXid: number;
}

/** What the server says of one XID's status (pg_xact_status): a status, null when too old to tell, or its error. */
export type XidProbe = { status: string | null } | { error: string; code?: string };

/** One place to read from: a live server over SQL, or a data directory. */
export interface ClogSource {
  facts(): Promise<ClogFacts>;
  /** The `could not access status` errors of the current server log, when it can be read. */
  logHits(skipped: ClogSkip[]): Promise<{ file: string; hits: LogHit[] } | undefined>;
  /** The segment files, and the status bytes of `xids`; undefined (with a skip) when they cannot be listed. */
  inventory(facts: ClogFacts, xids: number[], skipped: ClogSkip[]): Promise<ClogInventory | undefined>;
  /** Ask the server itself about each XID (64-bit); sources without a server return nothing. */
  probe(facts: ClogFacts, fullXids: number[]): Promise<Map<number, XidProbe>>;
  close(): Promise<void>;
}
