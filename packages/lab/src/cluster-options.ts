/** How a throwaway cluster is made. Every field is optional; defaults suit fault scenarios. */
export interface ClusterOptions {
  /** PostgreSQL major version; the newest available (18, embedded) when absent. */
  major?: number;
  /** Extra binaries the cluster must have, e.g. ["pg_resetwal"] (only the system PostgreSQL 15 has it). */
  needs?: string[];
  /** initdb --data-checksums. Default false. */
  checksums?: boolean;
  /** Load pg_stat_statements through shared_preload_libraries. Default false. */
  pgStatStatements?: boolean;
  /** max_prepared_transactions. Default 10, so two-phase scenarios work everywhere. */
  maxPreparedTransactions?: number;
  /** wal_level. Default "logical", so slot scenarios work everywhere. */
  walLevel?: 'minimal' | 'replica' | 'logical';
  /** false turns autovacuum off; an object sets autovacuum_* settings (keys without the prefix). Default on. */
  autovacuum?: boolean | Record<string, string | number>;
  /** Server log: stderr always (to `logFile`), csvlog and jsonlog (16+) on request. */
  log?: {
    /** log_line_prefix. Default "%m [%p] %q%u@%d " (Debian's). */
    linePrefix?: string;
    csv?: boolean;
    json?: boolean;
    /** log_lock_waits. Default true. */
    lockWaits?: boolean;
    /** log_statement. Default "none". */
    statement?: 'none' | 'ddl' | 'mod' | 'all';
  };
  /** deadlock_timeout. Default "200ms", so deadlock scenarios resolve fast. */
  deadlockTimeout?: string;
  /** When set, TCP connections need this password (scram-sha-256) for the superuser "postgres". */
  password?: string;
  /** Extra initdb arguments, e.g. ["--wal-segsize=64"]. */
  initdbArgs?: string[];
  /** Any other server settings. */
  settings?: Record<string, string | number | boolean>;
  /** A fixed port; a free one when absent. */
  port?: number;
  /** Directory the cluster's temp dir is made in. Default: $MVCC_DOCTOR_LAB_ROOT or <tmp>/mvcc-doctor-lab. */
  root?: string;
  /** A word in the temp dir's name, to tell clusters apart in `ps`. */
  label?: string;
}

/** The postgresql.conf lines the options stand for. */
export function serverSettings(options: ClusterOptions, major: number): Record<string, string | number | boolean> {
  const log = options.log ?? {};
  const destinations = ['stderr', ...(log.csv ? ['csvlog'] : []), ...(log.json && major >= 15 ? ['jsonlog'] : [])];
  const settings: Record<string, string | number | boolean> = {
    listen_addresses: '127.0.0.1',
    // Throwaway data: durability only costs time.
    fsync: 'off',
    synchronous_commit: 'off',
    max_prepared_transactions: options.maxPreparedTransactions ?? 10,
    wal_level: options.walLevel ?? 'logical',
    deadlock_timeout: options.deadlockTimeout ?? '200ms',
    log_line_prefix: log.linePrefix ?? '%m [%p] %q%u@%d ',
    log_lock_waits: log.lockWaits ?? true,
    log_statement: log.statement ?? 'none',
    log_destination: destinations.join(','),
    lc_messages: 'C',
  };
  if (settings.wal_level === 'minimal') settings.max_wal_senders = 0;
  if (destinations.length > 1) {
    // csvlog and jsonlog need the logging collector; it writes postgresql.log/.csv/.json into log_directory.
    Object.assign(settings, {
      logging_collector: 'on',
      log_filename: 'postgresql.log',
      log_rotation_age: 0,
      log_rotation_size: 0,
    });
  }
  if (options.pgStatStatements) {
    settings.shared_preload_libraries = 'pg_stat_statements';
    settings['pg_stat_statements.track'] = 'all';
  }
  if (options.autovacuum === false) settings.autovacuum = 'off';
  if (typeof options.autovacuum === 'object') {
    for (const [key, value] of Object.entries(options.autovacuum)) settings[`autovacuum_${key}`] = value;
  }
  return { ...settings, ...options.settings };
}

/** One postgresql.conf line, quoted the way the server's parser wants. */
export function confLine(name: string, value: string | number | boolean): string {
  if (typeof value === 'number') return `${name} = ${value}`;
  if (typeof value === 'boolean') return `${name} = ${value ? 'on' : 'off'}`;
  return `${name} = '${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}
