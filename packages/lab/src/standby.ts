import { appendFileSync, chownSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Cluster } from './cluster.js';
import { confLine } from './cluster-options.js';
import { waitFor } from './evidence.js';
import { LabError } from './lab-error.js';
import { labRoot } from './lab-root.js';
import { serverUser } from './os-user.js';

export interface StandbyOptions {
  /**
   * The standby's application_name in its primary_conninfo: how the primary names it in
   * pg_stat_replication. Default "lab-standby".
   */
  applicationName?: string;
  /** hot_standby_feedback on the standby. Default true: its queries then hold the primary's horizon. */
  hotStandbyFeedback?: boolean;
  /** Any other settings for the standby (appended to its postgresql.conf). */
  settings?: Record<string, string | number | boolean>;
  /** A word in the standby's temp dir name. Default "standby". */
  label?: string;
}

/** A running streaming hot standby and the primary it follows. */
export interface Standby {
  /** The standby itself: a Cluster like any other (sql, connect, stop, destroy), read-only while in recovery. */
  cluster: Cluster;
  primary: Cluster;
  applicationName: string;
  /** pid of the primary's walsender that streams to this standby. */
  walsenderPid: number;
}

/**
 * Start a real streaming hot standby of `primary`: `pg_basebackup -R -X stream` (the tool of the primary's
 * installation, so it needs binaries that ship it: the system PostgreSQL 15), then start the copy, which
 * finds standby.signal and primary_conninfo and streams. No replication slot: with hot_standby_feedback the
 * primary then shows the standby's xmin as pg_stat_replication.backend_xmin, as most hand-built replicas do.
 * Stop it with `standby.cluster.destroy()` (by pid, removes its dir); destroy it before the primary.
 */
export async function startStandby(primary: Cluster, options: StandbyOptions = {}): Promise<Standby> {
  const applicationName = options.applicationName ?? 'lab-standby';
  const { uid, gid } = serverUser();
  // pg_basebackup writes as the server's OS user into a dir of its own; the standby is started from a copy.
  const staging = mkdtempSync(join(labRoot(primary.options.root), 'basebackup-'));
  chownSync(staging, uid, gid);
  const backupDir = join(staging, 'data');
  try {
    const conninfo = `host=${primary.host} port=${primary.port} user=${primary.user} application_name=${applicationName}`;
    try {
      await primary.tool('pg_basebackup', ['-d', conninfo, '-D', backupDir, '-R', '-X', 'stream', '-c', 'fast', '--no-sync']);
    } catch (error) {
      const stderr = (error as { stderr?: string }).stderr ?? String(error);
      throw new LabError('start-failed', `pg_basebackup of the primary on port ${primary.port} failed: ${stderr.trim().split('\n').slice(-1)[0]}`, { cause: error });
    }
    const settings: Record<string, string | number | boolean> = {
      hot_standby: true,
      hot_standby_feedback: options.hotStandbyFeedback ?? true,
      // Feedback and replies every second, so tests see the standby's xmin move without waiting 10 s.
      wal_receiver_status_interval: '1s',
      ...options.settings,
    };
    const lines = Object.entries(settings).map(([name, value]) => confLine(name, value));
    appendFileSync(join(backupDir, 'postgresql.conf'), `\n# mvcc-doctor lab standby\n${lines.join('\n')}\n`);
    const standby = await Cluster.copyOf(backupDir, { ...primary.options, label: options.label ?? 'standby', port: undefined });
    try {
      const walsender = await waitFor(async () => {
        const { rows } = await primary.sql<{ pid: number }>(
          `SELECT pid FROM pg_stat_replication WHERE application_name = $1 AND state = 'streaming'`,
          [applicationName],
        );
        return rows[0];
      }, `standby "${applicationName}" to stream from the primary`, 30_000);
      return { cluster: standby, primary, applicationName, walsenderPid: walsender.pid };
    } catch (error) {
      await standby.destroy();
      throw error;
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/**
 * Wait until the standby has replayed everything the primary has done so far (its read view is current). The
 * insert position, not the write position: the lab commits with synchronous_commit off, so a commit can still
 * sit in the WAL buffers; the WAL writer flushes it within wal_writer_delay and the standby then gets it.
 */
export async function waitForReplay(standby: Standby): Promise<void> {
  const { rows } = await standby.primary.sql<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn');
  const target = rows[0]!.lsn;
  await waitFor(async () => {
    const { rows: replayed } = await standby.cluster.sql<{ caught_up: boolean }>(
      'SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS caught_up',
      [target],
    );
    return replayed[0]!.caught_up;
  }, `the standby to replay up to ${target}`);
}
