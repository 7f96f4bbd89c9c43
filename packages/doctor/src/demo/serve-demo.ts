import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Cluster, type Fault } from '@mvcc-doctor/lab';
import { resolveServeConfig } from '../monitor/serve-config.js';
import { startServe } from '../monitor/serve.js';
import { reproduceIncidentFaults } from './incident-faults.js';

export interface ServeDemoOptions {
  major?: number;
  /** HOST:PORT for the dashboard. */
  listen: string;
  say: (text: string) => void;
  /** Resolves when the user wants it to stop (Ctrl-C). */
  stopped: Promise<void>;
}

const DEMO_THRESHOLDS = ['idleInTransactionSeconds=0', 'longTransactionSeconds=0', 'preparedTransactionSeconds=0', 'lockWaitSeconds=0', 'deadTuples=1000'];

/** The incident's faulty cluster and a leaking app, watched by `serve` until Ctrl-C; then everything is removed. */
export async function runServeDemo(options: ServeDemoOptions): Promise<void> {
  const { say } = options;
  say('① Starting a throwaway PostgreSQL …');
  // The logging collector on (csvlog): the daemon reads the server log through its connection, onto the timeline.
  const cluster = await Cluster.create({ major: options.major, label: 'serve-demo', log: { linePrefix: '%m [%p] %q%u@%d app=%a ', csv: true } });
  const faults: Fault[] = [];
  let app: ChildProcess | undefined;
  try {
    say(`   PostgreSQL ${cluster.version} on ${cluster.host}:${cluster.port}, pid ${cluster.pid}`);
    say('② Reproducing the faults of the incident:');
    faults.push(...(await reproduceIncidentFaults(cluster, (line) => say(`   · ${line}`))));
    const started = await startDemoApp(cluster.connectionString());
    app = started.app;
    say(`   · an app (orders-api, pid ${app.pid}) on @mvcc-doctor/pg with a leaked transaction; its registry: ${started.registry}`);
    const config = resolveServeConfig(
      {
        target: [`incident=${cluster.connectionString()}`],
        app: [started.registry],
        data: join(cluster.dir, 'history'),
        listen: options.listen,
        interval: '5s',
        'alert-for': '30s',
        threshold: DEMO_THRESHOLDS,
      },
      {},
    );
    const daemon = await startServe(config, (line) => say(`   [serve] ${line}`));
    say(`③ mvcc-doctor serve --target incident=${cluster.connectionString()} --app ${started.registry} --interval 5s\n`);
    say(`   dashboard: ${daemon.url}`);
    say(`   metrics:   ${daemon.url}metrics`);
    say('   Press Ctrl-C to stop and remove everything.');
    await options.stopped;
    await daemon.stop();
  } finally {
    say('■ Cleaning up …');
    app?.kill('SIGKILL');
    for (const fault of faults.reverse()) await fault.release().catch(() => {});
    await cluster.destroy();
    say(`   stopped PostgreSQL and the app, removed ${cluster.dir}`);
  }
}

/** The app runs as its own process, so the heap and event loop the dashboard plots are the app's, not the daemon's. */
async function startDemoApp(url: string): Promise<{ app: ChildProcess; registry: string }> {
  const script = fileURLToPath(new URL('./demo-app.js', import.meta.url));
  const app = spawn(process.execPath, [script, url], { stdio: ['ignore', 'pipe', 'inherit'] });
  const registry = await new Promise<string>((resolve, reject) => {
    app.stdout!.once('data', (chunk: Buffer) => resolve((JSON.parse(String(chunk)) as { registry: string }).registry));
    app.once('exit', (code) => reject(new Error(`the demo app exited with code ${code}`)));
  });
  return { app, registry };
}
