import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Cluster, deadlocks, freePort, waitFor } from '@mvcc-doctor/lab';
import { configure, registryHandler, withContext, withTransaction } from '@mvcc-doctor/pg';
import pg from 'pg';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveServeConfig, type ServeInputs } from '../../src/monitor/serve-config.js';
import { startServe, type Daemon } from '../../src/monitor/serve.js';
import { until } from './until.js';

// The dashboard in a real browser (Debian's Chromium), against a real daemon watching a real cluster whose
// idle-in-transaction session was opened by a real app on @mvcc-doctor/pg: this file.

const CHROMIUM = '/usr/bin/chromium';
// Without the background-networking flags Chromium phones home at start, which a closed network refuses.
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const SCREENSHOTS = fileURLToPath(new URL('../../test-output/screenshots/', import.meta.url));
const THIS_FILE = fileURLToPath(import.meta.url);
/** The line of this file that opens the leaked transaction: the origin the dashboard must show. */
const LEAK_LINE = readFileSync(THIS_FILE, 'utf8').split('\n').findIndex((line) => line.trimStart().startsWith(['withTransaction', '(pool'].join(''))) + 1;
const TOKEN = 'dash-token-7f3a';


async function api<T>(daemon: Daemon, path: string): Promise<T> {
  const response = await fetch(new URL(path, daemon.url));
  expect(response.status, path).toBe(200);
  return (await response.json()) as T;
}

interface Series {
  labels: Record<string, string>;
  points: [number, number][];
}

describe('the dashboard in a real browser', () => {
  let cluster: Cluster;
  let pool: pg.Pool;
  let registry: Server;
  let finishLeak: () => void;
  let leak: Promise<void>;
  let leakPid: number;
  let dataDir: string;
  let daemon: Daemon;
  let browser: Browser;
  let context: BrowserContext;
  const problems: string[] = [];
  const requested: string[] = [];

  const inputs = (extra: ServeInputs = {}): ServeInputs => ({
    target: [`shop=${cluster.connectionString()}`, `billing=postgresql://postgres@127.0.0.1:${deadPort}/postgres?connect_timeout=2`],
    app: [`shop=http://127.0.0.1:${(registry.address() as AddressInfo).port}/`],
    data: dataDir,
    listen: '127.0.0.1:0',
    interval: '1s',
    threshold: ['idleInTransactionSeconds=0'],
    ...extra,
  });
  let deadPort: number;

  /** A page that records console errors, uncaught exceptions and every URL it requests. */
  async function open(hash: string): Promise<Page> {
    const page = await context.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('request', (request) => requested.push(request.url()));
    await page.goto(new URL(hash, daemon.url).href);
    return page;
  }

  /**
   * The leaked transaction's row of the finding timeline (the deadlock test's victim, idle in its aborted
   * transaction until released, may have a row of its own).
   */
  const leakRow = (page: Page) => page.getByRole('region', { name: 'Finding timeline' }).locator('.timeline-row', { hasText: 'idle-in-transaction' }).filter({ hasText: `pid ${leakPid}` });

  const screenshot = (page: Page, name: string) => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install --no-install-recommends chromium (.ci/run does)`);
    mkdirSync(SCREENSHOTS, { recursive: true });
    // The logging collector on (csvlog): the daemon reads the server log through its connection.
    cluster = await Cluster.create({ label: 'dashboard', log: { csv: true } });
    await cluster.sql('CREATE TABLE orders (id int PRIMARY KEY, payload text); INSERT INTO orders VALUES (1, NULL), (2, NULL)');
    await cluster.sql("CREATE TABLE events (id int PRIMARY KEY, payload text) WITH (autovacuum_enabled = off); INSERT INTO events SELECT g, repeat('x', 80) FROM generate_series(1, 4000) g");

    // The app: a request handler that opens a transaction, writes, and awaits something that does not settle.
    configure({ app: 'shop-api' });
    pool = new pg.Pool({ connectionString: cluster.connectionString(), max: 2 });
    const held = new Promise<void>((resolve) => (finishLeak = resolve));
    leak = withContext({ route: 'POST /orders' }, () =>
      withTransaction(pool, async (tx) => {
        await tx.query(`UPDATE orders SET payload = 'reserved' WHERE id = 1`);
        await held;
      }),
    );
    registry = createServer(registryHandler());
    await new Promise<void>((resolve) => registry.listen(0, '127.0.0.1', resolve));
    leakPid = await waitFor(async () => {
      const { rows } = await cluster.sql<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE state = 'idle in transaction' AND query LIKE '/*app=''shop-api''%'`);
      return rows[0]?.pid;
    }, 'the leaked transaction');
    // Dead tuples the held horizon keeps VACUUM from removing.
    await cluster.sql('DELETE FROM events WHERE id <= 1500');

    deadPort = await freePort();
    dataDir = mkdtempSync(join(tmpdir(), 'mvcc-dashboard-'));
    daemon = await startServe(resolveServeConfig(inputs(), {}), () => undefined);
    await until('three observations with dead tuples and the finding', async () => {
      const ages = await api<{ series: Series[] }>(daemon, '/api/series?cluster=shop&metric=mvcc_database_xid_age_xids&database=postgres');
      const dead = await api<{ series: Series[] }>(daemon, '/api/series?cluster=shop&metric=mvcc_table_dead_tuples&table=public.events');
      const findings = await api<{ open: { check: string; finding: { origin?: { stack?: string } } }[] }>(daemon, '/api/findings?cluster=shop');
      const origin = findings.open.some((e) => e.check === 'idle-in-transaction' && e.finding.origin?.stack);
      return (ages.series[0]?.points.length ?? 0) >= 3 && (dead.series[0]?.points.length ?? 0) >= 2 && origin;
    });

    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    context = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: 'light' });
  });

  afterAll(async () => {
    await browser?.close();
    await daemon?.stop();
    finishLeak?.();
    await leak?.catch(() => undefined);
    await pool?.end();
    registry?.close();
    await cluster?.destroy();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('the fleet page lists the cluster with its worst finding, and the unreachable one with its error', async () => {
    const { clusters } = await api<{ clusters: { name: string; worst_finding: { check: string; severity: string } | null }[] }>(daemon, '/api/clusters');
    const worst = clusters.find((c) => c.name === 'shop')!.worst_finding!;
    expect(worst.severity).toBe('warning');

    const page = await open('#/');
    const shop = page.locator('tr[data-cluster="shop"]');
    await expect.poll(() => shop.locator('td.worst').textContent()).toContain(worst.check);
    expect(await shop.locator('td.worst .badge').textContent()).toBe('warning');
    expect(await shop.locator('[role="meter"]').getAttribute('aria-label')).toMatch(/^XID age of postgres: /);
    expect(await shop.locator('a.cluster-link').getAttribute('href')).toBe('#/cluster/shop');
    const billing = page.locator('tr[data-cluster="billing"]');
    await expect.poll(() => billing.textContent()).toContain('connection refused');
    expect(await billing.locator('.badge').first().textContent()).toBe('unreachable');
    // The unreachable cluster comes first: it is the most urgent.
    expect(await page.locator('tbody tr').first().getAttribute('data-cluster')).toBe('billing');
    await screenshot(page, 'fleet');
    await page.close();
  });

  it('the cluster page draws real data: XID age with its limits, horizon by holder, dead tuples, locks, the app', async () => {
    const page = await open('#/cluster/shop');
    const chart = (id: string) => page.locator(`[data-testid="chart-${id}"]`);
    await page.locator('[data-testid="chart-xid-age"] path.series-line').first().waitFor({ state: 'attached' });
    for (const id of ['xid-age', 'horizon-xids', 'horizon-seconds', 'dead-tuples', 'lock-waiters', 'lock-wait', 'app-transactions']) {
      const paths = await chart(id).locator('path.series-line').evaluateAll((els) => els.map((el) => el.getAttribute('d') ?? ''));
      expect(paths.length, id).toBeGreaterThan(0);
      // Each series starts at a point, and the chart has one drawn through two or more (a holder seen in only the
      // last observation, a passing session, has a single point so far).
      for (const d of paths) expect(d, id).toMatch(/^M[\d.]+,[\d.]+/);
      expect(paths.some((d) => /^M[\d.]+,[\d.]+(L[\d.]+,[\d.]+)+/.test(d)), id).toBe(true);
    }
    expect(await chart('xid-age').locator('.legend-name').allTextContents()).toContain('postgres');
    expect(await chart('xid-age').locator('.limit-autovacuum_freeze_max_age text').textContent()).toBe('autovacuum_freeze_max_age 200M');
    expect(await chart('xid-age').locator('.chart-offscale').textContent()).toMatch(/Off the scale: failsafe 1\.6B, warning 2\.1\dB, stop 2\.1\dB\./);
    expect(await chart('horizon-xids').locator('.legend-name').allTextContents()).toContain(`idle-in-transaction: pid ${leakPid} (postgres)`);
    expect(await chart('dead-tuples').locator('.legend-name').allTextContents()).toContain('postgres: public.events');
    expect(await chart('app-heap').textContent()).not.toContain('no app attached');

    // The forecast: the daemon's ETA series (recorded here into its real store, as the forecaster will) becomes a
    // dashed line towards the limit and a sentence under the chart.
    const now = Date.now();
    const eta = (days: number) => ({ metric: 'mvcc_database_xid_eta_seconds', labels: { database: 'postgres', limit: 'autovacuum_freeze_max_age' }, value: days * 86_400 });
    await daemon.store.append({ cluster: 'shop', at: now - 1500, samples: [eta(3)] });
    await daemon.store.append({ cluster: 'shop', at: now - 500, samples: [eta(3)] });
    await page.reload();
    await expect.poll(() => chart('xid-age').locator('.chart-note').last().textContent()).toBe('Forecast at the fitted XID rate: postgres reaches autovacuum_freeze_max_age in 3 d.');
    expect(await chart('xid-age').locator('path.forecast').getAttribute('d')).toMatch(/^M[\d.]+,[\d.]+L[\d.]+,[\d.]+$/);
    await chart('xid-age').screenshot({ path: join(SCREENSHOTS, 'xid-age-forecast.png') });

    // Hovering the XID chart shows every database's value at that time.
    const box = (await chart('xid-age').locator('svg').boundingBox())!;
    await page.mouse.move(box.x + box.width - 20, box.y + box.height / 2);
    await expect.poll(() => chart('xid-age').locator('.tooltip').isVisible()).toBe(true);
    expect(await chart('xid-age').locator('.tooltip th').allTextContents()).toContain('postgres');
    // "to data" zooms the scale: autovacuum_freeze_max_age is then far above it.
    await chart('xid-age').getByRole('button', { name: 'to data' }).click();
    expect(await chart('xid-age').locator('.limit').count()).toBe(0);
    await chart('xid-age').getByRole('button', { name: 'to limits' }).click();

    // Another range: the address says so and the charts are drawn again over it.
    await page.getByRole('radio', { name: '6h' }).check();
    await expect.poll(() => page.url()).toMatch(/#\/cluster\/shop\?range=6h$/);
    await expect.poll(() => chart('xid-age').locator('path.series-line').count()).toBeGreaterThan(0);
    await page.getByRole('radio', { name: '1h' }).check();
    await screenshot(page, 'cluster');
    await page.close();
  });

  it('the idle-in-transaction finding names the line of this file that opened it, with the evidence and the fix', async () => {
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(daemon.url).origin });
    const page = await open('#/cluster/shop');
    const finding = page.locator('article.finding[data-check="idle-in-transaction"]');
    const origin = finding.locator('[data-testid="finding-origin"]');
    await origin.waitFor({ state: 'visible' });
    expect(LEAK_LINE).toBeGreaterThan(0);
    const text = await origin.textContent();
    expect(text).toContain(`packages/doctor/test/serve/dashboard.test.ts:${LEAK_LINE}`);
    expect(text).toContain('POST /orders');
    expect(await finding.locator('.evidence td').allTextContents()).toContain('idle in transaction');
    // The fix is copied exactly as the report has it.
    const first = await finding.locator('.fix pre').first().textContent();
    expect(first).toContain(`pg_terminate_backend(${leakPid})`);
    await finding.locator('.fix button.copy').first().click();
    await expect.poll(() => page.evaluate<string>('navigator.clipboard.readText()')).toBe(first);
    // The timeline has it, still open.
    await expect.poll(() => leakRow(page).textContent()).toContain('still open');
    await page.close();
  });

  it('the server log section shows a deadlock on the timeline, with the code that sent each side', async () => {
    const fault = await deadlocks(cluster, { comments: { a: "/*app='shop-api',origin='src%2Fpay.ts%3A12'*/", b: "/*app='shop-api',origin='src%2Frefund.ts%3A40'*/" } });
    try {
      const page = await open('#/cluster/shop');
      const section = page.getByTestId('server-log');
      await expect.poll(() => section.getByTestId('log-state').textContent()).toMatch(/^Reading the server log, read through the connection/);
      const event = section.locator('li.log-event[data-class="deadlock"]').first();
      await event.waitFor({ state: 'visible', timeout: 60_000 });
      expect(await event.textContent()).toContain('deadlock');
      expect(await event.getByTestId('log-origin').textContent()).toMatch(/src\/(pay|refund)\.ts:\d+/);
      // Its mark on the class's row of the strip, on the charts' time axis.
      expect(await section.locator('.timeline-row[data-class="deadlock"] .log-mark').count()).toBe(1);
      await section.screenshot({ path: join(SCREENSHOTS, 'server-log.png') });
      await page.close();
    } finally {
      await fault.release();
    }
  });

  it('the alerts page shows the history, with every string as text (an alert cannot inject markup)', async () => {
    const hostile = '<img src=x onerror="document.title=\'pwned\'"> idle transaction';
    const now = Date.now();
    await daemon.store.saveAlert({ fingerprint: 'f1', cluster: 'shop', name: 'MvccIdleInTransaction', status: 'firing', labels: { severity: 'warning', cluster: 'shop' }, annotations: { summary: hostile }, startsAt: now - 60_000, at: now });
    const page = await open('#/alerts');
    const row = page.locator('table.alerts-table tbody tr').first();
    await expect.poll(() => row.textContent()).toContain('MvccIdleInTransaction');
    expect(await row.locator('td.long').textContent()).toBe(hostile);
    expect(await page.locator('main img').count()).toBe(0);
    expect(await page.title()).not.toBe('pwned');
    await screenshot(page, 'alerts');
    await page.close();
  });

  it('once the app commits, the finding closes: the page shows it closed, and no open idle-in-transaction', async () => {
    finishLeak();
    await leak;
    await until('the finding closed', async () => {
      const { open } = await api<{ open: { check: string }[] }>(daemon, '/api/findings?cluster=shop');
      return !open.some((e) => e.check === 'idle-in-transaction');
    });
    const page = await open('#/cluster/shop');
    await expect.poll(() => leakRow(page).textContent()).toMatch(/closed \S+/);
    await page.locator('.findings').waitFor();
    await expect.poll(() => page.locator('.findings').textContent()).not.toContain('Loading');
    expect(await page.locator('article.finding[data-check="idle-in-transaction"]').count()).toBe(0);
    const dark = await browser.newPage({ viewport: { width: 1280, height: 900 }, colorScheme: 'dark' });
    await dark.goto(new URL('#/cluster/shop', daemon.url).href);
    await dark.locator('[data-testid="chart-xid-age"] path.series-line').first().waitFor({ state: 'attached' });
    await dark.screenshot({ path: join(SCREENSHOTS, 'cluster-dark.png'), fullPage: true });
    await dark.close();
    await page.close();
  });

  it('loaded without a console error, and asked nothing of any host but the daemon', () => {
    expect(problems).toEqual([]);
    const origin = new URL(daemon.url).origin;
    expect(requested.length).toBeGreaterThan(10);
    expect(requested.filter((url) => new URL(url).origin !== origin)).toEqual([]);
  });

  describe('with --auth-token', () => {
    let guarded: Daemon;
    let guardedDir: string;

    beforeAll(async () => {
      guardedDir = mkdtempSync(join(tmpdir(), 'mvcc-dashboard-token-'));
      guarded = await startServe(resolveServeConfig({ ...inputs({ data: guardedDir }), 'auth-token': TOKEN }, {}), () => undefined);
    });
    afterAll(async () => {
      await guarded?.stop();
      if (guardedDir) rmSync(guardedDir, { recursive: true, force: true });
    });

    it('refuses the page and the API without the token (401), and serves them once opened with ?token=', async () => {
      for (const path of ['/', '/js/app.js', '/api/clusters']) expect((await fetch(new URL(path, guarded.url))).status, path).toBe(401);
      const isolated = await browser.newContext();
      const page = await isolated.newPage();
      const refused = await page.goto(guarded.url);
      expect(refused?.status()).toBe(401);
      expect(await page.locator('header.site').count()).toBe(0);

      const served = await page.goto(`${guarded.url}?token=${TOKEN}#/`);
      expect(served?.status()).toBe(200);
      // The API calls carry the cookie: the fleet table fills in.
      await page.locator('tr[data-cluster="shop"]').waitFor();
      // The token leaves the address bar (history, bookmarks, screenshots); the cookie keeps the session.
      expect(page.url()).not.toContain(TOKEN);
      await page.reload();
      await page.locator('tr[data-cluster="shop"]').waitFor();
      await isolated.close();
    });
  });
});
