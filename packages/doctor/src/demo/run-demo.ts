import type { Thresholds } from '../checks/thresholds.js';
import { resolveConnOptions } from '../connect/conn-options.js';
import { diagnose } from '../diagnose.js';
import { Cluster } from '../lab/cluster.js';
import type { Fault } from '../lab/scenarios/fault.js';
import { renderTerminal } from '../report/terminal.js';
import { reproduceIncidentFaults } from './incident-faults.js';

export interface DemoOptions {
  /** PostgreSQL major for the main cluster (embedded 18 by default). */
  major?: number;
  color: boolean;
  say: (text: string) => void;
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
  } finally {
    say('④ Cleaning up …');
    for (const fault of faults.reverse()) await fault.release().catch(() => {});
    const pid = cluster.pid;
    await cluster.destroy();
    say(`   stopped PostgreSQL pid ${pid}, removed ${cluster.dir} (${((Date.now() - started) / 1000).toFixed(1)}s in all)`);
  }
}
