/**
 * Part 2 of `npm run bench:freeze` — the decoy layout (issue 8): two databases in the XID stop zone with the
 * same tables and ages. "testdb" can leave it; "incident", the decoy, is held there by an orphaned prepared
 * transaction that locks its tables (it stays in place). Whole processes, node start-up included, timed from
 * spawn until "testdb" is out of the stop zone:
 *   node packages/doctor/bin/mvcc-doctor.js freeze run URL --jobs 2          against
 *   vacuumdb -d testdb --freeze --min-xid-age 200000000 --jobs 2 --no-truncate
 * The same poll notes when the first session of the process appeared and when its first VACUUM ran in
 * "testdb": where the time goes.
 */
import { spawnSync } from 'node:child_process';
import { Cluster } from '@mvcc-doctor/lab';
import { benchTemplate, CLI, quietAutovacuum, runProcess, STOP_AGE, VACUUMDB, watch, type BenchLayout, type Seen } from './freeze-lab.js';
import { median, table } from './timing.js';

const GOAL = 0.3;

export interface DecoyOptions {
  layout: Omit<BenchLayout, 'decoy'>;
  jobs: number;
  runs: number;
  pollMs: number;
  log: (text: string) => void;
}

const POLL_SQL = (app: string) => `SELECT
  EXISTS (SELECT FROM pg_stat_activity WHERE application_name = '${app}') AS connected,
  EXISTS (SELECT FROM pg_stat_activity WHERE application_name = '${app}' AND datname = 'testdb' AND query ILIKE '%VACUUM%' AND state = 'active') AS vacuuming,
  (SELECT age(datfrozenxid) < ${STOP_AGE} FROM pg_database WHERE datname = 'testdb') AS testdb_out`;

/** Runs the decoy layout and prints its table; resolves whether the goal (≤ 0.3x vacuumdb) was met. */
export async function benchDecoy(options: DecoyOptions): Promise<boolean> {
  const { dataDir } = await benchTemplate({ ...options.layout, decoy: true }, options.log);
  const contenders = [
    {
      name: `mvcc-doctor freeze run --jobs ${options.jobs} (whole process)`,
      app: 'mvcc-doctor',
      run: (c: Cluster) => runProcess('node', [...CLI, 'freeze', 'run', c.connectionString('postgres'), '--jobs', String(options.jobs)]),
    },
    {
      name: `vacuumdb -d testdb --freeze --min-xid-age 200000000 --jobs ${options.jobs} --no-truncate`,
      app: 'vacuumdb',
      run: (c: Cluster) =>
        runProcess(VACUUMDB, ['-h', c.host, '-p', String(c.port), '-U', c.user, '-d', 'testdb', '--freeze', '--min-xid-age', '200000000', '--jobs', String(options.jobs), '--no-truncate']),
    },
  ];
  const results = new Map<string, Seen[]>(contenders.map((c) => [c.name, []]));
  for (let round = 0; round < options.runs; round++) {
    // Alternate who goes first, so neither always runs on a warmer machine.
    for (const contender of round % 2 ? [...contenders].reverse() : contenders) {
      const cluster = await Cluster.copyOf(dataDir, { label: 'bench-freeze-decoy' });
      try {
        await quietAutovacuum(cluster);
        let note = '';
        const seen = await watch(cluster, POLL_SQL(contender.app), options.pollMs, async () => void (note = (await contender.run(cluster)).note));
        options.log(`decoy round ${round + 1}/${options.runs}: ${contender.name}: testdb out ${fmt(seen.testdb_out)}, first session ${fmt(seen.connected)}, first VACUUM in testdb ${fmt(seen.vacuuming)}, ended ${fmt(seen.finished)} (${note})`);
        results.get(contender.name)!.push(seen);
      } finally {
        await cluster.destroy();
      }
    }
  }
  const mid = (list: Seen[], key: string) => median(list.map((s) => s[key] ?? s.finished!));
  const ours = mid(results.get(contenders[0]!.name)!, 'testdb_out');
  const theirs = mid(results.get(contenders[1]!.name)!, 'testdb_out');
  const rows = contenders.map((c) => {
    const list = results.get(c.name)!;
    return [c.name, mid(list, 'connected').toFixed(3), mid(list, 'vacuuming').toFixed(3), mid(list, 'testdb_out').toFixed(3), mid(list, 'finished').toFixed(3)];
  });
  console.log(`\nfreeze, the decoy layout: "testdb" can leave the stop zone, "incident" is held there; ${options.layout.tables} tables ~${options.layout.mb} MB per database; median of ${options.runs} run(s), seconds from spawn, polled every ${options.pollMs} ms`);
  console.log(table(['contender', 'first session', 'first VACUUM in testdb', 'testdb out of stop zone', 'process ended'], rows));
  console.log(`bare node start-up here (node -e 0, median of 5): ${nodeStartup().toFixed(3)} s`);
  const met = ours <= GOAL * theirs;
  console.log(`goal (testdb out of the stop zone in ≤ ${GOAL}x vacuumdb's time): ${(ours / theirs).toFixed(2)}x, ${met ? 'met' : 'NOT met'}`);
  return met;
}

function fmt(seconds: number | undefined): string {
  return seconds === undefined ? 'never' : `${seconds.toFixed(3)} s`;
}

function nodeStartup(): number {
  const times = Array.from({ length: 5 }, () => {
    const t = performance.now();
    spawnSync('node', ['-e', '0']);
    return (performance.now() - t) / 1000;
  });
  return median(times);
}
