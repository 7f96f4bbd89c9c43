import { createServer } from 'node:net';
import { expect, it } from 'vitest';
import { runCli } from '../../src/cli/run-cli.js';
import { freePort } from '@mvcc-doctor/lab';

async function run(argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, { out: (t) => (stdout += t), err: (t) => (stderr += t), env: {}, color: false, interactive: false });
  return { code, stdout, stderr };
}

it('with --json, a failed diagnosis is a JSON error on stdout too, never with the password', async () => {
  const port = await freePort(); // nothing listens there
  const { code, stdout, stderr } = await run(['check', `postgresql://ops:hunter2@127.0.0.1:${port}/postgres`, '--json']);
  expect(code).toBe(3);
  const doc = JSON.parse(stdout) as { error: { code: string; message: string }; exit_code: number };
  expect(doc).toMatchObject({ tool: 'mvcc-doctor', schema_version: 1, exit_code: 3, error: { code: 'unreachable' } });
  expect(stderr.trim()).toBe(`mvcc-doctor: ${doc.error.message}`);
  expect(stdout + stderr).not.toContain('hunter2');
});

it('with --json, a non-PostgreSQL port and a bad flag are JSON errors with their codes', async () => {
  const server = createServer((socket) => socket.end('HTTP/1.1 400 Bad Request\r\n\r\n')).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  try {
    const address = server.address() as { port: number };
    expect(JSON.parse((await run(['check', `postgresql://x@127.0.0.1:${address.port}/y`, '--json'])).stdout).error.code).toBe('not-postgres');
  } finally {
    server.close();
  }
  expect(JSON.parse((await run(['check', '--json', '--bogus'])).stdout).error.code).toBe('usage');
  // Without --json, stdout stays empty: the one line is on stderr.
  expect((await run(['check', '--bogus'])).stdout).toBe('');
});
