import type { Thresholds } from '../engine/thresholds.js';
import { resolveConnOptions } from '../connect/conn-options.js';
import { diagnose } from '../diagnose.js';
import { Cluster, type Fault } from '@mvcc-doctor/lab';
import { renderTerminal } from '../report/terminal.js';
import { rescue } from '../rescue/rescue.js';
import { renderRunSummary } from '../rescue/run-text.js';
import { demoRescueView, isCatalog } from './rescue-view.js';
import { reproduceIncidentFaults } from './incident-faults.js';
import { canReproduceWraparound, reproduceWraparound } from './wraparound-incident.js';

export interface DemoOptions {
  /** PostgreSQL major for the main cluster (embedded 18 by default). */
  major?: number;
  color: boolean;
  say: (text: string) => void;
  /** Also reproduce the XID stop zone on PostgreSQL 15 when its binaries are here. Default true. */
  wraparound?: boolean;
}

/** The demo's faults are seconds old: report anything that pins or blocks at all. */
const DEMO_THRESHOLDS: Partial<Thresholds> = {
  idleInTransactionSeconds: 0,
  longTransactionSeconds: 0,
  preparedTransactionSeconds: 0,
  lockWaitSeconds: 0,
  deadTuples: 1_000,
};

/** Start a throwaway cluster, reproduce the incidents, diagnose them, and always clean up. */
export async function runDemo(options: DemoOptions): Promise<void> {
  const { say } = options;
  const started = Date.now();
  say('① Starting a throwaway PostgreSQL …');
  const cluster = await Cluster.create({ major: options.major, label: 'demo', log: { linePrefix: '%m [%p] %q%u@%d app=%a ' } });
  const faults: Fault[] = [];
  try {
    say(`   PostgreSQL ${cluster.version} (${cluster.installation.source}) on ${cluster.host}:${cluster.port}, pid ${cluster.pid}, data in ${cluster.dataDir}`);
    say('② Reproducing the faults of the incident:');
    faults.push(...(await reproduceIncidentFaults(cluster, (line) => say(`   · ${line}`))));
    const url = cluster.connectionString();
    say(`③ mvcc-doctor check ${url} --sample 1s\n`);
    const report = await diagnose(resolveConnOptions({ conninfo: url }), { sampleMs: 1000, thresholds: DEMO_THRESHOLDS });
    say(renderTerminal(report, { color: options.color, evidenceRows: 4 }));
    if (options.wraparound !== false) await wraparoundPart(options);
  } finally {
    say('■ Cleaning up …');
    for (const fault of faults.reverse()) await fault.release().catch(() => {});
    const pid = cluster.pid;
    await cluster.destroy();
    say(`   stopped PostgreSQL pid ${pid}, removed ${cluster.dir} (${((Date.now() - started) / 1000).toFixed(1)}s in all)`);
  }
}

/** The transaction ID wraparound incident, on PostgreSQL 15 (the binaries with pg_resetwal). */
async function wraparoundPart({ say, color }: DemoOptions): Promise<void> {
  if (!canReproduceWraparound()) {
    say('④ Skipping the wraparound incident: it needs PostgreSQL 15 with pg_resetwal (apt-get install postgresql-15).');
    return;
  }
  say('④ The wraparound incident: a PostgreSQL 15 cluster pushed to the XID stop limit with pg_resetwal …');
  const incident = await reproduceWraparound();
  try {
    const { fault, cluster } = incident;
    say(`   · database "${fault.database}": ${fault.tables.length} tables aged ${fault.tables.map((t) => `${Math.round(t.age / 1e6)}M`).join(', ')} XIDs`);
    say(`   · an orphaned prepared transaction '${fault.gid}' holds them, so anti-wraparound autovacuum waits`);
    say(`   · ${fault.xidsLeft.toLocaleString('en-US')} XIDs left before wraparound; an application write now fails:\n     ERROR:  ${incident.refusal}`);
    const url = cluster.connectionString();
    say(`⑤ mvcc-doctor check ${url}\n`);
    const report = await diagnose(resolveConnOptions({ conninfo: url }), { sampleMs: 0, thresholds: DEMO_THRESHOLDS });
    say(renderTerminal(report, { color, evidenceRows: 8 }));
    say(`⑥ mvcc-doctor freeze run ${url} --release-blockers --yes --jobs 2\n`);
    const { plan, result } = await rescue(resolveConnOptions({ conninfo: url }), { jobs: 2, emergency: false, lockTimeoutMs: 1000, releaseBlockers: true }, { onEvent: demoRescueView(say, color) });
    const catalogs = result.frozen.filter((f) => isCatalog(f.relation)).length;
    if (catalogs > 0) say(`   · (and ${catalogs} system catalogs frozen)`);
    say(renderRunSummary(plan, result, color));
    const write = await cluster
      .sql(`CREATE TABLE orders_after_rescue (id int); INSERT INTO orders_after_rescue VALUES (1)`, [], fault.database)
      .then(() => 'INSERT 0 1 — the database accepts writes again')
      .catch((error: Error) => `still refused: ${error.message}`);
    say(`\n   · an application write now: ${write}`);
  } finally {
    await incident.close();
  }
}
