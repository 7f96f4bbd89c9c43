import { Cluster } from '@mvcc-doctor/lab';
import { expect } from 'vitest';
import bloat from '../../src/checks/bloat.js';
import type { Finding } from '../../src/engine/finding.js';
import { suite, testCheck } from './check-tester.js';
import { bloatRow, snapshot } from './row-fixtures.js';
import { check, findingsOf, statsShow, vacuumCounted } from './run-check.js';

const MB = 1024 ** 2;
/** Every relation of the cluster cases is ~2–10 MB: the byte thresholds come down to 1 MB, the percents stay. */
const SMALL = { bloatWarningBytes: MB, bloatCriticalBytes: 100 * MB };
/**
 * How far the estimate may be from the truth (pgstattuple's free + dead for a table; for an index after VACUUM, the
 * leaf space pgstatindex finds below the fillfactor), in points of the relation's size: docs/bloat.md (measured by
 * bench/bloat-accuracy.ts: +1 to +6 points for tables, 0 to +1 for vacuumed indexes).
 */
const ESTIMATE_TOLERANCE_POINTS = 10;
/** pgstattuple_approx against pgstattuple: the same pages, counted the cheap way (measured: under 0.5 points). */
const EXACT_TOLERANCE_POINTS = 2;

testCheck(bloat, {
  evaluate: {
    faulty: [
      {
        name: 'half of a 2 GB table wasted: critical, by bytes and by percent',
        // The rows need 637 pages; the file has 262,144 (2 GB).
        snapshot: snapshot({ bloat: { app: [bloatRow('orders', { bytes: 2 * 1024 ** 3, dead_tuples: 5_000_000 })] } }),
        findings: [
          {
            severity: 'critical',
            subject: { database: 'app', schema: 'public', table: 'orders' },
            summary: expect.stringMatching(/^Table public\.orders in "app" wastes 2\.0 GB of its 2\.0 GB \(100%\), estimated from the statistics\.$/),
            evidence: [expect.objectContaining({ relation: 'public.orders', kind: 'table', method: 'estimate', dead_tuples: 5_000_000, fillfactor: 100 })],
            remediation: [expect.stringMatching(/^VACUUM \(VERBOSE\) "public"\."orders";/), expect.stringContaining('pg_repack'), expect.stringMatching(/^VACUUM \(FULL, VERBOSE\)/)],
          },
        ],
      },
      {
        name: 'an index measured with pgstatindex: the measurement wins over the estimate',
        snapshot: snapshot({
          bloat: {
            app: [bloatRow('orders_pkey', { kind: 'index', table: 'orders', bytes: 400 * MB, columns: [[8, 'd', 8, 0]], exact: { source: 'pgstatindex', wasted_bytes: 150 * MB, avg_leaf_density: 55 } })],
          },
        }),
        findings: [
          {
            severity: 'warning',
            subject: { database: 'app', schema: 'public', table: 'orders', index: 'orders_pkey' },
            summary: 'Index public.orders_pkey (on orders) in "app" wastes 150 MB of its 400 MB (38%), measured with pgstatindex.',
            evidence: [expect.objectContaining({ method: 'pgstatindex', wasted_bytes: 150 * MB, avg_leaf_density: 55, estimated_wasted_bytes: expect.any(Number) })],
            remediation: ['REINDEX INDEX CONCURRENTLY "public"."orders_pkey";  -- builds a packed copy, then swaps it in; no long lock'],
          },
        ],
      },
    ],
    healthy: [
      // 1,000 pages hold 100,000 rows needing 637: 36 % but only 2.8 MB, far under 100 MB.
      { name: 'a high percent of a small table', snapshot: snapshot({ bloat: { app: [bloatRow('small')] } }) },
      // 30 % of 10 GB is 3 GB, but 29 % is not 30 %.
      { name: 'many bytes, a low percent', snapshot: snapshot({ bloat: { app: [bloatRow('big', { bytes: 10 * 1024 ** 3, tuples: 0, exact: { source: 'pgstattuple_approx', wasted_bytes: 0.29 * 10 * 1024 ** 3 } })] } }) },
      { name: 'no statistics (never analyzed): nothing said', snapshot: snapshot({ bloat: { app: [bloatRow('new', { tuples: 0, columns: [[-1, 'i', null, null]] })] } }) },
    ],
  },
  cluster: [18, 14].map((major) =>
    suite({
      name: `PostgreSQL ${major}`,
      start: () => Cluster.create({ major, label: `bloat${major}`, autovacuum: false }),
      healthy: {
        'freshly loaded tables and indexes, keys in random order too: silent at 1 MB': async (cluster) => {
          await load(cluster, 'healthy', { randomOrder: true });
          // Not silent for want of looking: with every threshold at 0 each relation shows, with little waste.
          const all = await check(cluster, { thresholds: { bloatWarningBytes: 0, bloatWarningPercent: 0 } });
          for (const name of ['public.healthy', 'public.healthy_pkey', 'public.healthy_code']) {
            expect(relation(all, name).evidence[0]!.wasted_percent).toBeLessThan(name === 'public.healthy' ? 10 : 30);
          }
          return check(cluster, { thresholds: SMALL });
        },
      },
      faulty: {
        'a table after a mass UPDATE (autovacuum off): its waste estimated close to pgstattuple, then measured': async (cluster) => {
          await load(cluster, 'updated');
          await cluster.sql('UPDATE updated SET amount = amount + 1');
          await statsShow(cluster, 'updated', { dead: 100_000 });
          const truth = await tableTruth(cluster, 'updated');
          const estimated = relation(await check(cluster, { thresholds: SMALL }), 'public.updated');
          expect(estimated.evidence[0]).toMatchObject({ method: 'estimate', dead_tuples: 100_000 });
          expect(estimated.severity).toBe('warning');
          expectClose(estimated, truth, ESTIMATE_TOLERANCE_POINTS);

          await cluster.sql('CREATE EXTENSION pgstattuple');
          try {
            const report = await check(cluster, { thresholds: SMALL });
            const measured = relation(report, 'public.updated');
            expect(measured.evidence[0]).toMatchObject({ method: 'pgstattuple_approx', estimated_wasted_bytes: estimated.evidence[0]!.wasted_bytes });
            expect(measured.summary).toMatch(/measured with pgstattuple_approx\.$/);
            expectClose(measured, truth, EXACT_TOLERANCE_POINTS);
            return report;
          } finally {
            await cluster.sql('DROP EXTENSION pgstattuple');
            await cluster.sql('DROP TABLE updated');
          }
        },
        'an index after 70 % of its rows were deleted and vacuumed: estimated close to pgstatindex': async (cluster) => {
          await load(cluster, 'deleted');
          await cluster.sql('DELETE FROM deleted WHERE id % 10 < 7');
          await vacuumCounted(cluster, 'deleted', 70_000);
          await cluster.sql('CREATE EXTENSION pgstattuple');
          const truth = await indexTruth(cluster, 'deleted_pkey');
          await cluster.sql('DROP EXTENSION pgstattuple');
          try {
            const report = await check(cluster, { thresholds: SMALL });
            const index = relation(report, 'public.deleted_pkey');
            expect(index).toMatchObject({ severity: 'warning', subject: { database: 'postgres', table: 'deleted', index: 'deleted_pkey' } });
            expect(index.evidence[0]).toMatchObject({ kind: 'index', method: 'estimate' });
            expectClose(index, truth, ESTIMATE_TOLERANCE_POINTS);
            // The table's free space is reported too: the rows of the 70 % are gone, the pages are not.
            expect(relation(report, 'public.deleted').evidence[0]!.wasted_percent).toBeGreaterThan(55);
            return report;
          } finally {
            await cluster.sql('DROP TABLE deleted');
          }
        },
      },
    }),
  ),
});

/** 100,000 rows (~10 MB, a primary key of ~2.2 MB and a text index of ~7.5 MB), analyzed. */
async function load(cluster: Cluster, name: string, options: { randomOrder?: boolean } = {}): Promise<void> {
  await cluster.sql(`CREATE TABLE ${name} (id bigint PRIMARY KEY, created timestamptz NOT NULL, label text, amount numeric, flag bool, code text)`);
  await cluster.sql(`CREATE INDEX ${name}_code ON ${name} (code)`);
  await cluster.sql(
    `INSERT INTO ${name} SELECT g, now() - g * interval '1 second', 'customer ' || g, (g % 1000) / 10.0, CASE WHEN g % 3 = 0 THEN NULL ELSE g % 2 = 0 END, md5(g::text)
     FROM generate_series(1, 100000) g ${options.randomOrder ? 'ORDER BY random()' : ''}`,
  );
  // The INSERT's backend counts its rows when it exits, which can be after the next connection's ANALYZE has set
  // n_live_tup: live rows then read twice (seen in CI on PostgreSQL 18), and the estimate finds no waste.
  await statsShow(cluster, name, { inserted: 100_000 });
  await cluster.sql(`ANALYZE ${name}`);
  await statsShow(cluster, name, {});
}

interface Truth {
  size: number;
  wasted: number;
}

async function tableTruth(cluster: Cluster, table: string): Promise<Truth> {
  await cluster.sql('CREATE EXTENSION pgstattuple');
  try {
    const { rows } = await cluster.sql<Truth>(`SELECT table_len::float8 AS size, (free_space + dead_tuple_len)::float8 AS wasted FROM pgstattuple('${table}')`);
    return rows[0]!;
  } finally {
    await cluster.sql('DROP EXTENSION pgstattuple');
  }
}

async function indexTruth(cluster: Cluster, index: string): Promise<Truth> {
  const { rows } = await cluster.sql<Truth>(
    `SELECT index_size::float8 AS size, (leaf_pages * greatest(0, 1 - avg_leaf_density / 90) + empty_pages + deleted_pages) * 8192 AS wasted FROM pgstatindex('${index}')`,
  );
  return rows[0]!;
}

function relation(report: { findings: Finding[]; skipped?: unknown[] }, name: string): Finding {
  const found = findingsOf(report as never, 'bloat').find((f) => f.evidence[0]!.relation === name);
  if (!found) throw new Error(`no bloat finding for ${name}: ${JSON.stringify(findingsOf(report as never, 'bloat').map((f) => f.summary))}; skipped: ${JSON.stringify(report.skipped ?? [])}`);
  return found;
}

function expectClose(finding: Finding, truth: Truth, points: number): void {
  const wasted = Number(finding.evidence[0]!.wasted_bytes);
  expect(finding.evidence[0]!.size_bytes).toBe(truth.size);
  expect(Math.abs(wasted - truth.wasted) / truth.size, `${wasted} bytes reported, ${truth.wasted} real, of ${truth.size}`).toBeLessThanOrEqual(points / 100);
}
