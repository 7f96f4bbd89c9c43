import { parseArgs } from 'node:util';
import { describeTarget } from '../connect/conn-options.js';
import { DEFAULT_LISTEN, resolveServeConfig } from '../monitor/serve-config.js';
import { startServe } from '../monitor/serve.js';
import type { CommandIO } from './io.js';

export const SERVE_HELP = `Usage: mvcc-doctor serve --target NAME=postgresql://… [--target …] [options]

Watch clusters continuously: every interval the same checks as \`mvcc-doctor check\`, kept as history, with
forecasts, alerts, Prometheus /metrics, an HTTP API and a web dashboard.

Options:
      --target NAME=URL       a cluster to watch (repeatable); NAME labels it everywhere, the URL never shows
      --config FILE           a JSON file with any of these settings by flag name (flags win)
      --data DIR              history directory of the embedded store (default ./mvcc-doctor-data)
      --store URL             keep history in this PostgreSQL database instead (shared by several daemons)
      --retention DAYS        history kept (default 14)
      --listen HOST:PORT      HTTP address (default ${DEFAULT_LISTEN}; port 0 picks one)
      --auth-token TOKEN      required by every request; needed to listen beyond loopback (or MVCC_DOCTOR_AUTH_TOKEN)
      --interval D            time between observations of a cluster (default 15s)
      --threshold NAME=VALUE  as for check (repeatable)
      --webhook URL           send alerts to this Alertmanager-compatible webhook (repeatable)
      --external-url URL      the daemon's address as alert receivers reach it (default: the listen address)
      --alert-for D           a finding alerts once open this long (default 2m)
      --repeat-interval D     re-send a firing alert this often (default 4h)
      --app [CLUSTER=]URL     an @mvcc-doctor/pg registry: the app joins the timeline (repeatable)
      --log [CLUSTER=]SOURCE  the server log's events on the timeline: "server" (default: read through the
                              connection; needs superuser or pg_read_server_files, logging_collector on),
                              a log file or log directory the daemon can read, or "off" (repeatable)
      --statement-timeout D   per-query limit (default 30s)
      --lock-timeout D        never wait longer for a lock (default 1s)
Stops cleanly on SIGTERM or Ctrl-C. Exit code 3: could not start (one line says why).`;

export async function serveCommand(argv: string[], io: CommandIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      target: { type: 'string', multiple: true },
      config: { type: 'string' },
      data: { type: 'string' },
      store: { type: 'string' },
      retention: { type: 'string' },
      listen: { type: 'string' },
      'auth-token': { type: 'string' },
      interval: { type: 'string' },
      threshold: { type: 'string', multiple: true },
      webhook: { type: 'string', multiple: true },
      'external-url': { type: 'string' },
      'alert-for': { type: 'string' },
      'repeat-interval': { type: 'string' },
      app: { type: 'string', multiple: true },
      log: { type: 'string', multiple: true },
      'statement-timeout': { type: 'string' },
      'lock-timeout': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    io.out(`${SERVE_HELP}\n`);
    return 0;
  }
  const { help: _help, ...flags } = values;
  if (positionals.length > 0) flags.target = [...(flags.target ?? []), ...positionals];
  const config = resolveServeConfig(flags, io.env);
  const log = (line: string) => io.err(`${new Date().toISOString()} ${line}\n`);
  const daemon = await startServe(config, log);
  const where = config.store ? `history in PostgreSQL ${describeTarget(config.store)}` : `history in ${config.dataDir}`;
  io.out(`mvcc-doctor serve: watching ${config.targets.map((t) => t.name).join(', ')} every ${config.intervalMs / 1000}s; ${where}\ndashboard: ${daemon.url}\n`);
  await stopSignal();
  log('stopping');
  await daemon.stop();
  return 0;
}

function stopSignal(): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      process.off('SIGTERM', done);
      process.off('SIGINT', done);
      resolve();
    };
    process.once('SIGTERM', done);
    process.once('SIGINT', done);
  });
}
