import type { Cluster, CorruptedBlocksFault } from '@mvcc-doctor/lab';
import { expect } from 'vitest';
import { runCli } from '../../src/cli/run-cli.js';
import type { CommandIO } from '../../src/cli/io.js';
import type { CorruptionScan, RelationScan } from '../../src/corruption/scan-report.js';

/** Run the CLI in-process, off a terminal, with no environment: what a script in CI would see. */
export async function cli(argv: string[], confirm?: (question: string) => Promise<boolean>): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CommandIO = { out: (t) => void (out += t), err: (t) => void (err += t), env: {}, color: false, interactive: false };
  if (confirm) {
    const { corruptionCommand } = await import('../../src/cli/corruption-command.js');
    const code = await corruptionCommand(argv.slice(1), io, { confirm });
    return { code, out, err };
  }
  const code = await runCli(argv, io);
  return { code, out, err };
}

export async function scanJson(argv: string[]): Promise<{ code: number; scan: CorruptionScan; err: string }> {
  const { code, out, err } = await cli(['corruption', 'scan', ...argv, '--json']);
  return { code, scan: JSON.parse(out) as CorruptionScan, err };
}

/** The connection URL of a lab cluster as another role. */
export function urlAs(cluster: Cluster, user: string, database = 'postgres'): string {
  const url = new URL(cluster.connectionString(database));
  url.username = user;
  return url.toString();
}

/** The next XID the server would assign, read without assigning one. */
export async function nextXid(cluster: Cluster, database = 'postgres'): Promise<string> {
  const { rows } = await cluster.sql<{ x: string }>('SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS x', [], database);
  return rows[0]!.x;
}

export function relationOf(scan: CorruptionScan, name: string): RelationScan {
  const found = scan.relations.find((r) => r.relation === name);
  if (!found) throw new Error(`${name} is not in the scan (${scan.relations.map((r) => r.relation).join(', ')})`);
  return found;
}

/** "public.x" as the doctor prints it: "public"."x". */
export function quoted(table: string): string {
  return table
    .split('.')
    .map((part) => `"${part}"`)
    .join('.');
}

/** The ctid ranges that must read: everything between the damaged blocks, with the rows the table had there. */
export function expectedReadable(fault: CorruptedBlocksFault): { from: string; to: string; rows: number }[] {
  const ranges: { from: string; to: string; rows: number }[] = [];
  let start = 0;
  const rowsIn = (from: number, to: number) => {
    let n = 0;
    for (let b = from; b < to; b++) n += fault.rowsInBlock.get(b) ?? 0;
    return n;
  };
  for (const bad of [...fault.blocks, fault.pages]) {
    if (bad > start) ranges.push({ from: `(${start},0)`, to: `(${bad},0)`, rows: rowsIn(start, bad) });
    start = bad + 1;
  }
  return ranges;
}

/** The table's scan matches the fault exactly: its bad blocks, each with its error, and every range between them. */
export function expectFaultFound(table: RelationScan, fault: CorruptedBlocksFault): void {
  expect(table).toMatchObject({ kind: 'table', status: 'corrupt', pages: fault.pages, path: fault.relationPath });
  expect(table.blocks.map((b) => b.block)).toEqual(fault.blocks);
  for (const block of table.blocks) {
    expect(block.lost).toBe('page');
    expect(block.error.sqlstate).toBe('XX001');
    expect(block.error.message).toMatch(new RegExp(`^invalid page in block ${block.block} of relation "?${fault.relationPath}"?$`));
  }
  expect(table.readable).toEqual(expectedReadable(fault));
  expect(table.rows_readable).toBe(fault.rows - fault.rowsLost);
}
