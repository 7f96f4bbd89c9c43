import type { IncomingMessage, ServerResponse } from 'node:http';
import { config } from './config.js';
import type { LeaseInfo } from './events.js';
import { openTransactions } from './registry.js';
import { readTelemetry, type Telemetry } from './telemetry.js';
import { isBoolean, validateOptions } from './validate-options.js';

/** What the registry endpoint shows. */
export interface RegistryHandlerOptions {
  /** Include opening stacks (file paths of the app). Default true. */
  stacks?: boolean;
}

/** The JSON the registry endpoint serves (read by `mvcc-doctor serve` and `check --app`). */
export interface RegistryBody {
  /** This process's OS pid. */
  pid: number;
  /** ISO time of the read, the clock the lease times are relative to. */
  now: string;
  /** The app name given to configure({ app }); absent when none was given. */
  app?: string;
  /** Open transactions and checked-out clients, oldest first; join them to pg_stat_activity by backendPid. No stack with `stacks: false`. */
  transactions: Array<Omit<LeaseInfo, 'stack'> & { stack?: string }>;
  /** Memory, event-loop delay, pool clients and transaction outcomes. */
  telemetry: Telemetry;
}

/**
 * A ready `(req, res)` handler (node:http, Express, Fastify's raw) serving this process's open transactions and
 * telemetry as JSON, so the doctor can join them to pg_stat_activity by backend pid and chart the app beside the
 * database. Mount it on an internal port only.
 */
export function registryHandler(options: RegistryHandlerOptions = {}): (req: IncomingMessage, res: ServerResponse) => void {
  validateOptions('registryHandler()', options, { stacks: isBoolean });
  const stacks = options.stacks ?? true;
  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.statusCode = 405;
      res.setHeader('allow', 'GET, HEAD');
      res.end();
      return;
    }
    res.statusCode = 200;
    res.setHeader('content-type', 'application/json; charset=utf-8');
    res.setHeader('cache-control', 'no-store');
    // A HEAD (a liveness probe) must not end the event-loop delay window a GET is measuring.
    res.end(req.method === 'HEAD' ? undefined : JSON.stringify(registryBody(stacks)));
  };
}

function registryBody(stacks: boolean): RegistryBody {
  const transactions = openTransactions().map((t) => (stacks ? t : { ...t, stack: undefined }));
  const app = config().configuredApp;
  return { pid: process.pid, now: new Date().toISOString(), ...(app === undefined ? {} : { app }), transactions, telemetry: readTelemetry() };
}
