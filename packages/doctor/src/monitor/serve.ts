import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DoctorError } from '../connect/doctor-error.js';
import { createHttpApp } from '../server/http-app.js';
import type { HistoryStore } from './history-store.js';
import { createAlerter, type Alerter } from './alerts/alerter.js';
import { Monitor } from './monitor.js';
import type { ServeConfig } from './serve-config.js';
import { openEmbeddedStore } from './store/embedded-store.js';
import { openPostgresStore } from './store/postgres-store.js';

/** A running daemon. */
export interface Daemon {
  /** The dashboard's address (http://host:port/). */
  url: string;
  monitor: Monitor;
  store: HistoryStore;
  /** Stop watching, close the HTTP server and the store. */
  stop(): Promise<void>;
}

/** Start `serve`: the store, one watch loop per target, and the HTTP server (dashboard, API, /metrics). */
export async function startServe(config: ServeConfig, log: (line: string) => void): Promise<Daemon> {
  const store = await openStore(config, log);
  // Created once the address is known (the alerts link back to it); observations start only after that.
  let alerter: Alerter | undefined;
  const monitor = new Monitor({
    targets: config.targets,
    intervalMs: config.intervalMs,
    thresholds: config.thresholds,
    limits: config.limits,
    store,
    retentionMs: config.retentionDays * 86_400_000,
    onFindings: (cluster, open, at) => alerter?.update(cluster, open, at),
    log,
  });
  let server: Server | undefined;
  try {
    server = createServer(createHttpApp({ monitor, store, token: config.authToken, activeAlerts: () => alerter?.active() ?? [], log }));
    await listen(server, config.listen.host, config.listen.port);
    alerter = createAlerter({
      webhooks: config.webhooks,
      alertForMs: config.alertForMs,
      repeatIntervalMs: config.repeatIntervalMs,
      externalUrl: config.externalUrl ?? urlOf(server),
      record: (alert) => store.saveAlert(alert),
      log,
    });
    await monitor.start();
  } catch (error) {
    server?.close();
    await store.close();
    throw error;
  }
  return {
    url: urlOf(server),
    monitor,
    store,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await monitor.stop();
      // Resolutions and records already decided are delivered (each POST is time-limited), then nothing more.
      await alerter!.flush();
      await alerter!.stop();
      await store.close();
    },
  };
}

function urlOf(server: Server): string {
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}/`;
}

async function openStore(config: ServeConfig, log: (line: string) => void): Promise<HistoryStore> {
  if (config.store) return openPostgresStore(config.store, { log });
  return openEmbeddedStore(config.dataDir);
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      const reason = error.code === 'EADDRINUSE' ? 'the port is in use' : error.code === 'EADDRNOTAVAIL' ? 'no such local address' : error.message;
      reject(new DoctorError('usage', `cannot listen on ${host}:${port}: ${reason}`));
    });
    server.listen(port, host, () => resolve());
  });
}
