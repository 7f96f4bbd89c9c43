// The demo's application: a small order service on @mvcc-doctor/pg that serves its registry (open transactions with
// their origin, heap, pool) and has one classic leak: a handler that opens a transaction and never finishes it.
// Run as its own process, so its memory and event loop are its own: `node demo-app.js <postgresql-url>`.
import { createServer } from 'node:http';
import pg from 'pg';
import { configure, registryHandler, withContext, withTransaction } from '@mvcc-doctor/pg';

const [connectionString] = process.argv.slice(2);
const pool = new pg.Pool({ connectionString, max: 4 });
configure({ app: 'orders-api' });

/** The leak: a promise nobody resolves (a lost callback, an awaited queue) inside a transaction. */
async function reserveStock(): Promise<void> {
  await withContext({ route: 'POST /orders/reserve' }, () =>
    withTransaction(pool, async (tx) => {
      await tx.query(`UPDATE demo_orders SET status = 'reserved' WHERE id = 1`);
      await new Promise(() => {});
    }),
  );
}

/** Healthy traffic: each order updates a row (a dead tuple the leaked transaction keeps from removal). */
async function placeOrder(): Promise<void> {
  await withContext({ route: 'POST /orders' }, () =>
    withTransaction(pool, (tx) => tx.query(`UPDATE demo_orders SET status = 'paid', paid_at = now() WHERE id = 2 + (random() * 998)::int`)),
  );
}

await pool.query(`CREATE TABLE IF NOT EXISTS demo_orders (id int PRIMARY KEY, status text, paid_at timestamptz);
  INSERT INTO demo_orders SELECT g, 'new', NULL FROM generate_series(1, 1000) g ON CONFLICT DO NOTHING`);
const server = createServer(registryHandler());
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  void reserveStock();
  setInterval(() => void placeOrder().catch(() => undefined), 100);
  process.stdout.write(`${JSON.stringify({ registry: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/` })}\n`);
});
