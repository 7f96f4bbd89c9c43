import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, chownSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { confLine, serverSettings, type ClusterOptions } from './cluster-options.js';
import { freePort, portInUse } from './free-port.js';
import { findInstallation, type Installation } from './installations.js';
import { LabError } from './lab-error.js';
import { forget, labRoot, remember } from './lab-root.js';
import { serverUser } from './os-user.js';

const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;

/**
 * A throwaway PostgreSQL cluster: its own temp dir (data, socket, log), a free port on 127.0.0.1, run as an
 * unprivileged OS user, stopped by pid and removed by `destroy()` — also when the process exits early.
 */
export class Cluster {
  readonly host = '127.0.0.1';
  readonly user = 'postgres';
  readonly dataDir: string;
  readonly socketDir: string;
  readonly logDir: string;
  /** The stderr server log (with the chosen log_line_prefix). */
  readonly logFile: string;
  port = 0;
  pid: number | undefined;
  private child: ChildProcess | undefined;
  private readonly admins = new Map<string, pg.Client>();
  private readonly clients = new Set<pg.Client>();

  private constructor(
    readonly dir: string,
    readonly installation: Installation,
    readonly options: ClusterOptions,
  ) {
    this.dataDir = join(dir, 'data');
    this.socketDir = join(dir, 'sock');
    this.logDir = join(dir, 'log');
    this.logFile = join(this.logDir, 'postgresql.log');
  }

  /** initdb a new cluster and start it. */
  static async create(options: ClusterOptions = {}): Promise<Cluster> {
    const installation = findInstallation({ major: options.major, needs: options.needs });
    const cluster = new Cluster(makeClusterDir(options), installation, options);
    try {
      await cluster.initdb();
      await cluster.start();
    } catch (error) {
      await cluster.destroy();
      throw error;
    }
    return cluster;
  }

  /** Start a copy of a stopped cluster's data dir (a template built once, used by many tests). */
  static async copyOf(templateDataDir: string, options: ClusterOptions = {}): Promise<Cluster> {
    const major = Number(readFileSync(join(templateDataDir, 'PG_VERSION'), 'utf8').trim());
    const installation = findInstallation({ major, needs: options.needs });
    const cluster = new Cluster(makeClusterDir(options), installation, options);
    try {
      await run('cp', ['-a', templateDataDir, cluster.dataDir]);
      await cluster.start();
    } catch (error) {
      await cluster.destroy();
      throw error;
    }
    return cluster;
  }

  get major(): number {
    return this.installation.major;
  }

  get version(): string {
    return this.installation.version;
  }

  /** libpq URL for a database; the password, when one is set, is not in it (pass it separately). */
  connectionString(database = 'postgres'): string {
    return `postgresql://${this.user}@${this.host}:${this.port}/${encodeURIComponent(database)}`;
  }

  connectionConfig(database = 'postgres'): pg.ClientConfig {
    return { host: this.host, port: this.port, user: this.user, database, password: this.options.password };
  }

  /** A new connected session; closed by `stop()` unless you end it first. */
  async connect(database = 'postgres', applicationName = 'mvcc-doctor-lab'): Promise<pg.Client> {
    const client = new pg.Client({ ...this.connectionConfig(database), application_name: applicationName });
    client.on('error', () => {}); // a terminated session is a normal event in fault scenarios
    client.on('end', () => this.clients.delete(client));
    await client.connect();
    this.clients.add(client);
    return client;
  }

  /** Run SQL as the superuser on a shared admin session of `database`. */
  async sql<R extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string,
    params: unknown[] = [],
    database = 'postgres',
  ): Promise<pg.QueryResult<R>> {
    let admin = this.admins.get(database);
    if (!admin) {
      admin = await this.connect(database, 'mvcc-doctor-lab-admin');
      this.admins.set(database, admin);
      admin.on('end', () => this.admins.delete(database));
    }
    return admin.query<R>(text, params);
  }

  /** Run one of the installation's tools (pg_resetwal, pg_controldata, …) as the server's OS user. */
  async tool(name: string, args: string[]): Promise<string> {
    const path = join(this.installation.binDir, name);
    if (!existsSync(path)) throw new LabError('missing-binary', `${name} is not in ${this.installation.binDir}`);
    const { uid, gid } = serverUser();
    return run(path, args, { uid, gid, env: serverEnv() });
  }

  /** The server log so far. */
  readLog(): string {
    return existsSync(this.logFile) ? readFileSync(this.logFile, 'utf8') : '';
  }

  async start(): Promise<void> {
    if (this.child) return;
    const { uid, gid } = serverUser();
    this.port = this.options.port ?? (await freePort());
    if (this.options.port && (await portInUse(this.port))) {
      throw new LabError('port-in-use', `port ${this.port} on 127.0.0.1 is already in use`);
    }
    // With the logging collector on, it owns postgresql.log; our redirect then only catches start-up output.
    const collector = /^logging_collector = '?on'?$/m.test(readFileSync(join(this.dataDir, 'postgresql.conf'), 'utf8'));
    const log = openSync(collector ? join(this.logDir, 'startup.log') : this.logFile, 'a');
    const args = ['-D', this.dataDir, '-p', String(this.port), '-k', this.socketDir, '-c', `log_directory=${this.logDir}`];
    const child = spawn(join(this.installation.binDir, 'postgres'), args, {
      uid,
      gid,
      env: serverEnv(),
      detached: true,
      stdio: ['ignore', log, log],
    });
    closeSync(log);
    child.unref();
    this.child = child;
    this.pid = child.pid;
    remember(this.dir, this.pid);
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const ready = await Promise.race([this.waitReady(), exited.then(() => false)]);
    if (!ready) {
      this.child = undefined;
      this.pid = undefined;
      throw this.startError();
    }
  }

  /** Stop the server (fast shutdown, then immediate, then kill) and wait until it is gone. */
  async stop(): Promise<void> {
    await Promise.allSettled([...this.clients].map((c) => c.end()));
    this.clients.clear();
    this.admins.clear();
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) {
      this.child = undefined;
      return;
    }
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    for (const signal of ['SIGINT', 'SIGQUIT', 'SIGKILL'] as const) {
      try {
        child.kill(signal);
      } catch {
        break;
      }
      const done = await Promise.race([exited.then(() => true), sleep(STOP_TIMEOUT_MS / 3).then(() => false)]);
      if (done) break;
    }
    if (child.exitCode === null && child.signalCode === null) {
      throw new LabError('stop-failed', `postgres pid ${child.pid} did not stop (data dir ${this.dataDir})`);
    }
    this.child = undefined;
    this.pid = undefined;
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** Stop the server and remove everything it had on disk. Safe to call twice. */
  async destroy(): Promise<void> {
    try {
      await this.stop();
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
      forget(this.dir);
    }
  }

  private async initdb(): Promise<void> {
    const { uid, gid } = serverUser();
    const args = ['-D', this.dataDir, '-U', this.user, '-E', 'UTF8', '--locale=C', '--no-sync'];
    args.push(...(this.options.initdbArgs ?? []));
    if (this.options.checksums) args.push('--data-checksums');
    else if (this.major >= 18) args.push('--no-data-checksums'); // 18 turned them on by default
    let pwfile: string | undefined;
    if (this.options.password !== undefined) {
      pwfile = join(this.dir, 'pwfile');
      appendFileSync(pwfile, `${this.options.password}\n`, { mode: 0o600 });
      chownSync(pwfile, uid, gid);
      args.push('--auth-local=trust', '--auth-host=scram-sha-256', `--pwfile=${pwfile}`);
    } else {
      args.push('--auth=trust');
    }
    try {
      await run(join(this.installation.binDir, 'initdb'), args, { uid, gid, env: serverEnv() });
    } catch (error) {
      throw new LabError('initdb-failed', `initdb of PostgreSQL ${this.version} failed in ${this.dataDir}: ${lastLine(error)}`, {
        cause: error,
      });
    } finally {
      if (pwfile) rmSync(pwfile, { force: true });
    }
    const settings = serverSettings(this.options, this.major);
    const lines = Object.entries(settings).map(([name, value]) => confLine(name, value));
    appendFileSync(join(this.dataDir, 'postgresql.conf'), `\n# mvcc-doctor lab\n${lines.join('\n')}\n`);
  }

  private async waitReady(): Promise<boolean> {
    const pidFile = join(this.dataDir, 'postmaster.pid');
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (!this.child) return false;
      // Line 8 of postmaster.pid is the postmaster's status; "ready" once it accepts connections.
      const status = existsSync(pidFile) ? readFileSync(pidFile, 'utf8').split('\n')[7]?.trim() : undefined;
      if (status === 'ready') return true;
      await sleep(20);
    }
    return false;
  }

  private startError(): LabError {
    const startup = join(this.logDir, 'startup.log');
    const log = this.readLog() + (existsSync(startup) ? readFileSync(startup, 'utf8') : '');
    if (/could not bind|Address already in use/i.test(log)) {
      return new LabError('port-in-use', `port ${this.port} on 127.0.0.1 is already in use`);
    }
    const fatal = log.split('\n').filter((l) => /FATAL|PANIC|error/i.test(l)).slice(-2).join(' | ');
    return new LabError('start-failed', `PostgreSQL ${this.version} did not start in ${this.dataDir}: ${fatal || 'no log output'}`);
  }
}

function makeClusterDir(options: ClusterOptions): string {
  const root = labRoot(options.root);
  const dir = mkdtempSync(join(root, `${options.label ?? 'cluster'}-`));
  const { uid, gid } = serverUser();
  for (const sub of ['', 'sock', 'log']) {
    const path = join(dir, sub);
    mkdirSync(path, { recursive: true, mode: 0o700 });
    chownSync(path, uid, gid);
  }
  remember(dir, undefined);
  return dir;
}

function serverEnv(): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C', LANG: 'C', TZ: 'UTC' };
}

function run(file: string, args: string[], options: { uid?: number; gid?: number; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { ...options, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
          reject(new LabError('missing-binary', `${file} was not found`));
          return;
        }
        reject(Object.assign(error, { stderr: String(stderr) }));
        return;
      }
      resolve(String(stdout));
    });
  });
}

function lastLine(error: unknown): string {
  const stderr = (error as { stderr?: string }).stderr ?? String(error);
  return stderr.trim().split('\n').filter(Boolean).slice(-1)[0] ?? 'unknown error';
}
