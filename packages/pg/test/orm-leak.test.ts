import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Cluster, waitFor } from '@mvcc-doctor/lab';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const viteNode = `${root}node_modules/vite-node/vite-node.mjs`;
const doctor = `${root}packages/doctor/bin/mvcc-doctor.js`;
const fixture = 'packages/pg/test/fixtures/orm-leak-app.ts';
const source = readFileSync(`${root}${fixture}`, 'utf8').split('\n');
/** The line of each ORM's own transaction call in the fixture: what check must name. */
const lineOf = (call: string) => source.findIndex((l) => l.includes(call)) + 1;
const LINES = { kysely: lineOf('db.transaction().execute('), drizzle: lineOf('db.transaction(async (tx)'), knex: lineOf('db.transaction(async (trx)') };

interface Finding {
  check: string;
  severity: string;
  subject: { pid?: number };
  summary: string;
  origin?: { app?: string; origin?: string; route?: string; stack?: string };
}

/** The real CLI, as an operator runs it. */
function check(cluster: Cluster, registry: string): Promise<{ code: number; findings: Finding[] }> {
  const args = [doctor, 'check', cluster.connectionString(), '--json', '--sample', '0', '--threshold', 'idleInTransactionSeconds=0', '--app', registry];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { cwd: root }, (error, stdout) => {
      try {
        const report = JSON.parse(stdout) as { findings: Finding[]; exit_code: number };
        resolve({ code: (error as { code?: number } | null)?.code ?? 0, findings: report.findings });
      } catch {
        reject(error ?? new Error(`not JSON: ${stdout}`));
      }
    });
  });
}

describe('a real app process leaking an ORM transaction: mvcc-doctor check names the ORM call’s file, line and route', () => {
  let cluster: Cluster;
  let app: ChildProcess | undefined;
  beforeAll(async () => {
    cluster = await Cluster.create({ label: 'pg-orm-leak' });
    await cluster.sql('CREATE TABLE accounts (id int PRIMARY KEY, balance int NOT NULL); INSERT INTO accounts VALUES (1, 100), (2, 0)');
  });
  afterEach(async () => {
    app?.kill('SIGKILL');
    app = undefined;
    // The killed app's sessions end (and roll back) before the next app runs.
    await waitFor(async () => {
      const { rows } = await cluster.sql(`SELECT 1 FROM pg_stat_activity WHERE query LIKE '/*app=''shop-%' OR state = 'idle in transaction'`);
      return rows.length === 0 ? true : undefined;
    }, 'the app’s sessions to end');
  });
  afterAll(async () => {
    app?.kill('SIGKILL');
    await cluster?.destroy();
  });

  /** Start the fixture; resolves with its registry URL and a promise of its "done" line. */
  function start(orm: string, mode: 'leak' | 'healthy'): Promise<{ registry: string; done: Promise<void> }> {
    const child = spawn(process.execPath, [viteNode, fixture, cluster.connectionString(), orm, mode], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    app = child;
    const lines = createInterface({ input: child.stdout! });
    let finished!: () => void;
    const done = new Promise<void>((resolve) => (finished = resolve));
    return new Promise((resolve, reject) => {
      lines.on('line', (line) => {
        const message = JSON.parse(line) as { registry?: string; done?: boolean };
        if (message.registry) resolve({ registry: message.registry, done });
        if (message.done) finished();
      });
      child.once('exit', (code) => reject(new Error(`the app exited with ${code}`)));
    });
  }

  for (const orm of ['kysely', 'drizzle', 'knex'] as const) {
    it(`${orm}, healthy: the same transfer, finished: check stays silent even at threshold 0`, async () => {
      const started = await start(orm, 'healthy');
      await started.done;
      const { code, findings } = await check(cluster, started.registry);
      expect(findings.filter((f) => f.check === 'idle-in-transaction' || f.check === 'xmin-horizon')).toEqual([]);
      expect(code).toBe(0);
    });

    it(`${orm}, leaking: check reports the session with app, the ORM call’s file:line, the route and the stack`, async () => {
      const started = await start(orm, 'leak');
      const pid = await waitFor(async () => {
        const { rows } = await cluster.sql<{ pid: number }>(
          `SELECT pid FROM pg_stat_activity WHERE state = 'idle in transaction' AND query LIKE $1`,
          [`/*app='shop-${orm}'%`],
        );
        return rows[0]?.pid;
      }, 'the leaked session');
      const { code, findings } = await check(cluster, started.registry);
      const finding = findings.find((f) => f.check === 'idle-in-transaction' && f.subject.pid === pid);
      expect(finding).toMatchObject({ origin: { app: `shop-${orm}`, origin: `${fixture}:${LINES[orm]}`, route: 'POST /transfer' } });
      expect(finding!.origin?.stack).toContain(`orm-leak-app.ts:${LINES[orm]}`);
      expect(code).toBeGreaterThan(0);
    });
  }
});
