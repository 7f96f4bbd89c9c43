import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor, Cluster, freePort } from '@mvcc-doctor/lab';
import type { Report } from '../../src/report/report.js';
import { cli } from '../check/run-check.js';

/**
 * Issue 3 item 6: every kind of bad input ends in one line on stderr that names the kind, exit code 3, no stack
 * trace, nothing on stdout, and never the password — proven on a real scram cluster, real non-PostgreSQL
 * servers and a real closed port, in-process and through the built bin as a child process.
 */
const PASSWORD = 's3cret-Bad1nput';
const WRONG = 'wr0ng-Guess77';
const ROLE_PASSWORD = 'r0le-Pa55word';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const BIN = join(ROOT, 'packages/doctor/bin/mvcc-doctor.js');
const BUNDLE = join(ROOT, 'packages/doctor/dist/bundle/main.js');

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The failure contract: exit 3, one stderr line "mvcc-doctor: <kind>: …", no stack, no secret; stdout empty,
 * or with --json exactly the JSON error document carrying the same message.
 */
function expectFailure(outcome: Outcome, kind: string, detail: RegExp): void {
  expect(outcome.stderr).toMatch(new RegExp(`^mvcc-doctor: ${kind}: .+\\n$`));
  expect(outcome.stderr.split('\n')).toHaveLength(2);
  expect(outcome.stderr).toMatch(detail);
  expect(outcome.stderr).not.toMatch(/\n\s+at |internal error/);
  if (outcome.stdout !== '') {
    const doc = JSON.parse(outcome.stdout) as { error: { message: string }; exit_code: number };
    expect(doc).toMatchObject({ tool: 'mvcc-doctor', exit_code: 3 });
    expect(`mvcc-doctor: ${doc.error.message}\n`).toBe(outcome.stderr);
  }
  expect(outcome.code).toBe(3);
  for (const secret of [PASSWORD, WRONG, ROLE_PASSWORD, encodeURIComponent(PASSWORD)]) {
    expect(outcome.stderr + outcome.stdout).not.toContain(secret);
  }
}

/** The built bin as a child process: the exit code and the stderr a shell user would see. */
function runBin(args: string[], env: Record<string, string> = {}): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code ?? -1) : 0, stdout, stderr });
    });
  });
}

/** Build unless the bundle is newer than every source file (the bin must run the code under test). */
function ensureBuilt(): void {
  const newestSource = (dir: string): number =>
    readdirSync(dir, { withFileTypes: true }).reduce((newest, entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return Math.max(newest, newestSource(path));
      return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? Math.max(newest, statSync(path).mtimeMs) : newest;
    }, 0);
  if (existsSync(BUNDLE) && statSync(BUNDLE).mtimeMs > newestSource(join(ROOT, 'packages/doctor/src'))) return;
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'pipe' });
}

function listen(server: Server | ReturnType<typeof createHttpServer>): Promise<number> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    });
  });
}

describe('check: bad input gives one line, exit 3, and never the password', () => {
  let cluster: Cluster;
  let url: (options?: { password?: string | null; user?: string; database?: string; port?: number }) => string;
  let closedPort: number;
  let sshPort: number;
  let httpPort: number;
  let silentPort: number;
  const servers: Array<Server | ReturnType<typeof createHttpServer>> = [];
  const sockets = new Set<import('node:net').Socket>();
  let home: string;

  beforeAll(async () => {
    ensureBuilt();
    cluster = await Cluster.create({ password: PASSWORD, label: 'bad-input' });
    url = ({ password = PASSWORD, user = 'postgres', database = 'postgres', port = cluster.port } = {}) =>
      `postgresql://${user}${password === null ? '' : `:${encodeURIComponent(password)}`}@127.0.0.1:${port}/${database}`;
    await cluster.sql(`CREATE ROLE cannot_login NOLOGIN PASSWORD '${ROLE_PASSWORD}'`);
    await cluster.sql(`CREATE ROLE no_connect LOGIN PASSWORD '${ROLE_PASSWORD}'`);
    await cluster.sql('CREATE DATABASE locked');
    await cluster.sql('REVOKE CONNECT ON DATABASE locked FROM PUBLIC');
    closedPort = await freePort(); // nobody listens: connection refused
    // An SSH-like server speaks first; an HTTP server answers the startup packet with "HTTP/1.1 400"; a silent one never answers.
    const track = (socket: import('node:net').Socket) => {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => sockets.delete(socket));
    };
    const ssh = createServer((socket) => {
      track(socket);
      socket.write('SSH-2.0-OpenSSH_9.6\r\n');
    });
    const http = createHttpServer((_request, response) => response.end('hello'));
    http.on('connection', track);
    const silent = createServer(track);
    servers.push(ssh, http, silent);
    [sshPort, httpPort, silentPort] = await Promise.all([listen(ssh), listen(http), listen(silent)]);
    home = mkdtempSync(join(tmpdir(), 'bad-input-home-'));
  });

  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    if (home) rmSync(home, { recursive: true, force: true });
    await cluster?.destroy();
  });

  describe('in-process', () => {
    it('unreachable: a closed port and an unknown host, the password in the URL never shown', async () => {
      expectFailure(await cli(['check', url({ port: closedPort })]), 'unreachable', new RegExp(`127\\.0\\.0\\.1:${closedPort}: connection refused`));
      expectFailure(await cli(['check', `postgresql://postgres:${PASSWORD}@no-such-host.invalid/postgres`]), 'unreachable', /unknown host "no-such-host\.invalid"/);
      // A rescue that never reached the server cancelled nothing: one line, nothing on stdout.
      for (const action of ['plan', 'run']) {
        const outcome = await cli(['freeze', action, url({ port: closedPort })]);
        expectFailure(outcome, 'unreachable', new RegExp(`127\\.0\\.0\\.1:${closedPort}: connection refused`));
        expect(outcome.stdout).toBe('');
      }
    });

    it('wrong password, and no password at all, are authentication failures', async () => {
      expectFailure(await cli(['check', url({ password: WRONG })]), 'authentication failed', /password authentication failed for user "postgres"/);
      expectFailure(await cli(['check', url({ password: null })]), 'authentication failed', /asks for a password and none was given/);
      // The same through PGPASSWORD and --json: still one line on stderr and nothing on stdout.
      expectFailure(await cli(['check', '--json', url({ password: null })], { PGPASSWORD: WRONG }), 'authentication failed', /password authentication failed/);
    });

    it('a port that is not PostgreSQL: a server that speaks first, an HTTP server, a silent one', async () => {
      const started = Date.now();
      expectFailure(await cli(['check', url({ port: sshPort })]), 'not PostgreSQL', /first byte 0x53 "S" starts no PostgreSQL message/);
      expectFailure(await cli(['check', url({ port: httpPort })]), 'not PostgreSQL', /first byte 0x48 "H"/);
      expect(Date.now() - started).toBeLessThan(2_000); // recognised at once, not after the connect timeout
      expectFailure(
        await cli(['check', `${url({ port: silentPort })}?connect_timeout=2`]),
        'not PostgreSQL',
        new RegExp(`127\\.0\\.0\\.1:${silentPort} accepted the connection but did not answer as PostgreSQL within 2s`),
      );
    });

    it('unknown database, as the URL path and as --dbname', async () => {
      expectFailure(await cli(['check', url({ database: 'no_such_db' })]), 'unknown database', /database "no_such_db" does not exist/);
      expectFailure(await cli(['check', url(), '--dbname', 'nope']), 'unknown database', /database "nope" does not exist/);
    });

    it('a role that may not log in, and one without CONNECT on the database', async () => {
      expectFailure(await cli(['check', url({ user: 'cannot_login', password: ROLE_PASSWORD })]), 'insufficient privilege', /role "cannot_login" is not permitted to log in/);
      expectFailure(
        await cli(['check', url({ user: 'no_connect', password: ROLE_PASSWORD, database: 'locked' })]),
        'insufficient privilege',
        /permission denied for database "locked"/,
      );
    });

    it('without CONNECT on another database the run goes on, and says that database was skipped and why', async () => {
      const { code, stdout, stderr } = await cli(['check', '--json', '--sample', '0', url({ user: 'no_connect', password: ROLE_PASSWORD })]);
      expect(stderr).toBe('');
      expect(code).toBeLessThan(3);
      const report = JSON.parse(stdout) as Report;
      expect(report.databases_examined).toContain('postgres');
      expect(report.databases_examined).not.toContain('locked');
      expect(report.skipped).toContainEqual(expect.objectContaining({ what: 'database', database: 'locked', reason: expect.stringMatching(/permission denied for database "locked"/) }));
      expect(stdout).not.toContain(ROLE_PASSWORD);
    });

    it('a session lost mid-run (terminated during the XID sample) ends the run with exit 3, not a report of skips', async () => {
      const run = cli(['check', '--sample', '1500ms', url()]);
      await waitFor(async () => {
        // Once it has run a query: a session terminated while still connecting is another failure ("cannot connect").
        const { rows } = await cluster.sql(`SELECT pg_terminate_backend(pid) AS gone FROM pg_stat_activity WHERE application_name = 'mvcc-doctor' AND query <> ''`);
        return rows.length > 0;
      }, 'the doctor session to appear');
      expectFailure(await run, 'unreachable', /lost the connection to 127\.0\.0\.1:\d+ \(database "\w+"\): (terminating connection due to administrator command|Connection terminated unexpectedly)/);
    });

    it('a successful run with the password in the URL never prints it (JSON, Markdown, terminal)', async () => {
      for (const format of ['--json', '--markdown', '--no-color']) {
        const { code, stdout, stderr } = await cli(['check', format, '--sample', '0', url()]);
        expect(code, stderr).toBeLessThan(3);
        expect(stdout.length).toBeGreaterThan(100);
        expect(stdout + stderr).not.toContain(PASSWORD);
      }
    });

    it('PGPASSFILE is read (a 0600 file), and ignored like libpq when others may read it', async () => {
      const passfile = join(home, 'pgpass');
      writeFileSync(passfile, `# comment\n127.0.0.1:${cluster.port}:*:postgres:${PASSWORD}\n`, { mode: 0o600 });
      const ok = await cli(['check', '--json', '--sample', '0', url({ password: null })], { PGPASSFILE: passfile });
      expect(ok.code, ok.stderr).toBeLessThan(3);
      expect(ok.stdout).not.toContain(PASSWORD);
      chmodSync(passfile, 0o644);
      expectFailure(await cli(['check', url({ password: null })], { PGPASSFILE: passfile }), 'authentication failed', /none was given/);
    });

    it('unknown flags and commands, malformed URLs and conninfo strings are usage errors that echo no secret', async () => {
      expectFailure(await cli(['check', '--bogus', url()]), 'usage error', /unknown option --bogus/);
      expectFailure(await cli(['check', `--password=${PASSWORD}`]), 'usage error', /unknown option --password/);
      expectFailure(await cli(['frobnicate']), 'usage error', /unknown command "frobnicate"/);
      expectFailure(await cli(['check', `postgresql://postgres:${PASSWORD}@[bad/x`]), 'usage error', /invalid connection URL/);
      expectFailure(await cli(['check', `postgresql://postgres:${PASSWORD}%zz@127.0.0.1/x`]), 'usage error', /bad %-escape in the password/);
      expectFailure(await cli(['check', `mysql://root:${PASSWORD}@127.0.0.1/x`]), 'usage error', /must start with postgresql:\/\//);
      expectFailure(await cli(['check', `host=127.0.0.1 password=${PASSWORD} =oops`]), 'usage error', /invalid connection string/);
      expectFailure(await cli(['check', `hots=127.0.0.1 password=${PASSWORD}`]), 'usage error', /invalid connection option "hots"/);
      expectFailure(await cli(['check', url(), url()]), 'usage error', /one connection argument, got 2/);
      expectFailure(await cli(['check', '--port', 'abc']), 'usage error', /invalid port "abc"/);
      expectFailure(await cli(['check', `${url()}?sslmode=sometimes`]), 'usage error', /invalid sslmode "sometimes"/);
      expectFailure(await cli(['check', '--json', '--markdown', url()]), 'usage error', /choose one of --json, --markdown and --nagios/);
      expectFailure(await cli(['check', '--threshold', 'idleInTransactionSeconds=', url()]), 'usage error', /--threshold takes NAME=NUMBER/);
    });

    it('bad --sample and timeout values are usage errors, found before any connection is tried', async () => {
      const dead = url({ port: closedPort }); // a usage error must win over "unreachable"
      expectFailure(await cli(['check', dead, '--sample', 'xx']), 'usage error', /--sample takes a duration such as 10s/);
      expectFailure(await cli(['check', dead, '--sample', '10x']), 'usage error', /--sample takes a duration/);
      expectFailure(await cli(['check', dead, '--sample=']), 'usage error', /--sample takes a duration/);
      expectFailure(await cli(['check', dead, '--sample', '-1s']), 'usage error', /--sample' argument is ambiguous/);
      expectFailure(await cli(['check', dead, '--sample']), 'usage error', /--sample <value>' argument missing/);
      expectFailure(await cli(['check', dead, '--sample', '25h']), 'usage error', /--sample must be at most 24h/);
      expectFailure(await cli(['check', dead, '--lock-timeout', '0']), 'usage error', /--lock-timeout must be at least 1ms/);
      expectFailure(await cli(['check', dead, '--statement-timeout', '0s']), 'usage error', /--statement-timeout must be at least 1ms/);
    });
  });

  describe('the built bin as a child process', () => {
    it('unreachable, wrong password, not PostgreSQL, unknown flag: real exit code 3, one line, no stack, no password', async () => {
      const cases: Array<[string[], string, RegExp, Record<string, string>?]> = [
        [['check', url({ port: closedPort })], 'unreachable', /connection refused/],
        [['check', '--json', url({ password: WRONG })], 'authentication failed', /password authentication failed/],
        [['check', url({ password: null })], 'authentication failed', /password authentication failed/, { PGPASSWORD: WRONG }],
        [['check', url({ port: sshPort })], 'not PostgreSQL', /starts no PostgreSQL message/],
        [['check', url({ user: 'cannot_login', password: ROLE_PASSWORD })], 'insufficient privilege', /not permitted to log in/],
        [['check', '--bogus', url()], 'usage error', /unknown option --bogus/],
        [['check', url(), '--sample', 'soon'], 'usage error', /--sample takes a duration/],
      ];
      const outcomes = await Promise.all(cases.map(([args, , , env]) => runBin(args, env)));
      cases.forEach(([, kind, detail], i) => expectFailure(outcomes[i]!, kind, detail));
    });

    it('a successful run exits with the report code, and its JSON has no password', async () => {
      const outcome = await runBin(['check', '--json', '--sample', '0', url()]);
      expect(outcome.code, outcome.stderr).toBeLessThan(3);
      expect((JSON.parse(outcome.stdout) as Report).exit_code).toBe(outcome.code);
      expect(outcome.stdout + outcome.stderr).not.toContain(PASSWORD);
    });
  });
});
