import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, wraparoundTemplate, xidWraparound, type XidWraparoundFault } from '@mvcc-doctor/lab';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const example = readFileSync(`${root}docs/examples/rescue.mjs`, 'utf8');

it('docs/api.md shows the example exactly as docs/examples/rescue.mjs has it', () => {
  const code = example.split('\n').filter((line, i) => i > 1 || !line.startsWith('//')).join('\n').trim();
  expect(readFileSync(`${root}docs/api.md`, 'utf8')).toContain(`\`\`\`js\n${code}\n\`\`\``);
});

describe.skipIf(!existsSync('/usr/lib/postgresql/15/bin/pg_resetwal'))('the library example, run as a user runs it (PostgreSQL 15 in the XID stop zone)', () => {
  let cluster: Cluster;
  let fault: XidWraparoundFault;

  beforeAll(async () => {
    const template = await wraparoundTemplate({ kind: 'xid' });
    cluster = await Cluster.copyOf(template.dataDir, { needs: ['pg_resetwal'], label: 'api-example' });
    fault = await xidWraparound(cluster, { zone: 'stop' });
  });
  afterAll(async () => {
    await cluster?.destroy();
  });

  it('diagnoses the stop zone, plans, releases the orphaned prepared transaction and rescues it, with events', async () => {
    const { stdout } = await promisify(execFile)('node', [`${root}docs/examples/rescue.mjs`, '--release-blockers'], {
      env: { PATH: process.env.PATH, DATABASE_URL: cluster.connectionString('postgres') },
    });
    expect(stdout).toMatch(/^critical xid-wraparound: /m);
    expect(stdout).toMatch(/^\d+ relation\(s\) over 200000000 XIDs; 1 blocker\(s\)$/m);
    expect(stdout).toContain(`releasing prepared transaction '${fault.gid}' in database "${fault.database}"`);
    // Once released, autovacuum's waiting anti-wraparound workers go on too: some relations (or all) are theirs.
    expect(stdout).toMatch(/^(frozen "\w+"\."\w+" in \w+|skipped "\w+"\."\w+": already under the target .*)$/m);
    expect(stdout).toMatch(new RegExp(`^${fault.database} left the stop zone after \\d+\\.\\d\\ds$`, 'm'));
    expect(stdout.trimEnd().split('\n').at(-1)).toBe('every database is under the target');
  });
});
