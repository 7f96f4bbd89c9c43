import type { Cluster } from '@mvcc-doctor/lab';
import { runCli } from '../../src/cli/run-cli.js';
import type { CommandIO } from '../../src/cli/io.js';

/** Run the CLI in-process, off a terminal, with no environment: what a script in CI would see. */
export async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CommandIO = { out: (t) => void (out += t), err: (t) => void (err += t), env: {}, color: false, interactive: false };
  const code = await runCli(argv, io);
  return { code, out, err };
}

/** The next XID the server would assign, read without assigning one. */
export async function nextXid(cluster: Cluster, database = 'postgres'): Promise<string> {
  const { rows } = await cluster.sql<{ x: string }>('SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS x', [], database);
  return rows[0]!.x;
}

/** age(relfrozenxid) of a table (its TOAST table included), by schema-qualified quoted name. */
export async function tableAge(cluster: Cluster, table: string, database = 'postgres'): Promise<number> {
  const { rows } = await cluster.sql<{ age: number }>(
    `SELECT greatest(age(c.relfrozenxid), coalesce(age(t.relfrozenxid), 0))::int AS age
       FROM pg_class c LEFT JOIN pg_class t ON t.oid = c.reltoastrelid WHERE c.oid = $1::regclass`,
    [table],
    database,
  );
  return rows[0]!.age;
}

/** A write in a new session: undefined when it worked, the error when the server refused it. */
export async function tryWrite(cluster: Cluster, database: string, sql: string): Promise<{ code?: string; message: string } | undefined> {
  const client = await cluster.connect(database, 'freeze-test-write');
  try {
    await client.query(sql);
    return undefined;
  } catch (error) {
    return error as { code?: string; message: string };
  } finally {
    await client.end();
  }
}
