import type { IncomingMessage, ServerResponse } from 'node:http';
import { openTransactions } from './registry.js';

/** What the registry endpoint shows. */
export interface RegistryHandlerOptions {
  /** Include opening stacks (file paths of the app). Default true. */
  stacks?: boolean;
}

/**
 * A ready `(req, res)` handler (node:http, Express, Fastify's raw) serving this process's open transactions as JSON,
 * so the doctor can join them to pg_stat_activity by backend pid. Mount it on an internal port only.
 */
export function registryHandler(options: RegistryHandlerOptions = {}): (req: IncomingMessage, res: ServerResponse) => void {
  const stacks = options.stacks ?? true;
  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.statusCode = 405;
      res.setHeader('allow', 'GET, HEAD');
      res.end();
      return;
    }
    const transactions = openTransactions().map((t) => (stacks ? t : { ...t, stack: undefined }));
    const body = JSON.stringify({ pid: process.pid, now: new Date().toISOString(), transactions });
    res.statusCode = 200;
    res.setHeader('content-type', 'application/json; charset=utf-8');
    res.setHeader('cache-control', 'no-store');
    res.end(req.method === 'HEAD' ? undefined : body);
  };
}
