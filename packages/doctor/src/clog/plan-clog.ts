import type { SegmentProblem } from './analyze-slru.js';
import { checkClog, type ClogCheckOptions, type ClogReport } from './check-clog.js';
import { clogCommandLine, shellWord } from './clog-command-line.js';
import type { ClogServer } from './clog-source.js';
import { surgeryStep } from './plan-surgery.js';
import { formatCount } from '../report/format.js';

/** One way out, with what it costs. Nothing in a plan is run by mvcc-doctor. */
export interface ClogPlanStep {
  title: string;
  /** safe: restores the real status; per-row: a decision per row; last-resort: invents a status for a whole segment. */
  safety: 'safe' | 'per-row' | 'last-resort';
  /** When it applies, or why it does not here. */
  when: string;
  /** Shell and SQL lines in order; lines starting with # or -- explain the next ones. */
  commands: string[];
  consequences: string[];
}

export interface ClogPlan {
  tool: 'mvcc-doctor';
  schema_version: 1;
  command: 'clog plan';
  check: ClogReport;
  /** The segments to recover: the certain problems of every SLRU. */
  segments: SegmentProblem[];
  steps: ClogPlanStep[];
  /** As clog check: 2 something to recover, 0 nothing, 3 could not diagnose. */
  exit_code: 0 | 2 | 3;
}

/** clog check, then the recovery plan for what it found. Read-only, like the check. */
export async function planClog(options: ClogCheckOptions): Promise<ClogPlan> {
  return buildClogPlan(await checkClog(options));
}

/** The recovery, safest first: copy the file; per-row pg_surgery; a fake segment on a stopped copy. */
export function buildClogPlan(check: ClogReport): ClogPlan {
  const segments = check.slrus.flatMap((s) => s.problems);
  const steps = segments.length === 0 ? [] : [copyStep(check, segments), surgeryStep(check, segments), fakeSegmentStep(check, segments)];
  return { tool: 'mvcc-doctor', schema_version: 1, command: 'clog plan', check, segments, steps, exit_code: check.exit_code };
}

/**
 * A path in the data directory (or in its rescue copy) as a shell word: the real path when the source shows
 * it, else relative to $PGDATA.
 */
export function pathIn(server: ClogServer, file = '', suffix = ''): string {
  const tail = `${suffix}${file ? `/${file}` : ''}`;
  return server.dataDirectory ? shellWord(`${server.dataDirectory}${tail}`) : `"$PGDATA${tail}"`;
}

const RESCUE = '.clog-rescue';

function copyStep(check: ClogReport, segments: SegmentProblem[]): ClogPlanStep {
  const { server } = check;
  const data = pathIn(server);
  const sources: string[] = [];
  if (server.inRecovery) sources.push(server.upstream ? `the primary this standby streams from (${server.upstream.host}:${server.upstream.port})` : 'the primary of this standby');
  for (const d of server.downstreams ?? []) sources.push(`the standby "${d.name}"${d.address ? ` (${d.address})` : ''}`);
  if (!server.inRecovery && (server.downstreams ?? []).length === 0) sources.push('a standby of this cluster');
  sources.push('a file-level backup (pg_basebackup, pgBackRest, Barman …) taken after the newest of these IDs was assigned: an older one lacks their status');
  const lost = check.xids.filter((x) => x.lost).map((x) => x.xid);
  const commands = [
    `# Sources, best first: ${sources.join('; ')}.`,
    '# 1. On the source, in its data directory: each file must be there, at least as long as shown.',
    ...segments.map((s) => `ls -l ${s.file}    # ${sizeNote(s)}`),
    `sha256sum ${segments.map((s) => s.file).join(' ')}`,
    `# 2. Here, with the server stopped (a running server may cache the failed page):`,
    `pg_ctl stop -D ${data} -m fast`,
    ...segments.flatMap((s) => {
      const target = pathIn(server, s.file);
      return [
        `cp /path/to/source/${s.file} ${target}    # or: scp source-host:<its data directory>/${s.file} ${target}`,
        `chown --reference=${pathIn(server, 'PG_VERSION')} ${target} && chmod 600 ${target}`,
      ];
    }),
    `sha256sum ${segments.map((s) => pathIn(server, s.file)).join(' ')}    # must print the source's hashes`,
    `pg_ctl start -D ${data}`,
    `${clogCommandLine('check', check.source, lost)}    # exit 0 once every segment is back`,
  ];
  return {
    title: 'Copy the segment files from a node or backup that has them',
    safety: 'safe',
    when: 'Always first: the copy holds the real commit status. A standby\'s files, the primary\'s, and a backup\'s agree on every transaction that had ended when they were written.',
    commands,
    consequences: [
      'Nothing is lost: every row reads as it was committed.',
      'A file newer than this node (the primary\'s, for a standby) only adds the status of transactions this node has not replayed yet; it never changes one.',
    ],
  };
}

function fakeSegmentStep(check: ClogReport, segments: SegmentProblem[]): ClogPlanStep {
  const { server } = check;
  const data = pathIn(server);
  const copy = pathIn(server, '', RESCUE);
  const xact = segments.filter((s) => s.dir === 'pg_xact');
  const multi = segments.filter((s) => s.dir !== 'pg_xact');
  if (xact.length === 0) {
    return {
      title: 'Last resort: write a fake segment, on a stopped copy, then dump and restore',
      safety: 'last-resort',
      when: 'Not for MultiXact segments: no fill gives lost MultiXactIds a meaning. Copy them (step 1), or free their rows with heap_force_freeze (step 2).',
      commands: [],
      consequences: [],
    };
  }
  const commands = [
    '# Only on a STOPPED COPY: the original data directory stays as it is, for the steps above and for later.',
    `pg_ctl stop -D ${data} -m fast`,
    `cp -a ${data} ${copy}`,
  ];
  for (const s of xact) {
    const target = pathIn(server, s.file, RESCUE);
    const B = s.segmentBytes / 32;
    commands.push(`# ${s.file}: choose ONE of the two fills (transactions ${s.firstId} … ${s.lastId})`);
    if (s.kind === 'missing') {
      commands.push(`dd if=/dev/zero bs=${s.segmentBytes / 1024}k count=1 of=${target}    # zeros: all aborted`);
      commands.push(`head -c ${s.segmentBytes} /dev/zero | tr '\\0' '\\125' > ${target}    # 0x55: all committed`);
    } else {
      const from = Math.floor(s.size / B);
      const pages = s.segmentBytes / B - from;
      commands.push(`dd if=/dev/zero bs=${B} seek=${from} count=${pages} conv=notrunc of=${target}    # zeros: the lost pages aborted`);
      commands.push(`head -c ${pages * B} /dev/zero | tr '\\0' '\\125' | dd bs=${B} seek=${from} conv=notrunc of=${target}    # 0x55: the lost pages committed`);
    }
    commands.push(`chown --reference=${pathIn(server, 'PG_VERSION', RESCUE)} ${target} && chmod 600 ${target}`);
  }
  if (multi.length > 0) {
    commands.push(`# ${multi.map((s) => s.file).join(', ')}: no fill gives lost MultiXactIds a meaning; copy them (step 1) or free their rows with heap_force_freeze (step 2).`);
  }
  commands.push(
    '# Start the copy where nothing can reach it and it archives nothing, dump everything, restore into a new cluster:',
    `pg_ctl start -D ${copy} -o "-p 5499 -c listen_addresses=localhost -c archive_mode=off" -l ${pathIn(server, '', `${RESCUE}.log`)}`,
    'pg_dumpall -h localhost -p 5499 -f clog-rescue.sql',
    'initdb -D /path/to/new/data && pg_ctl start -D /path/to/new/data -o "-p 5498"',
    'psql -h localhost -p 5498 -d postgres -v ON_ERROR_STOP=0 -f clog-rescue.sql    # a unique index that fails to build names a duplicate',
    `pg_ctl stop -D ${copy} -m fast    # never put the copy back in service`,
  );
  return {
    title: 'Last resort: write a fake segment, on a stopped copy, then dump and restore',
    safety: 'last-resort',
    when: 'Only when no copy of the file exists anywhere and pg_surgery cannot be used; the status of every transaction in the segment is invented.',
    commands,
    consequences: [
      'Zeros ("in progress", read as aborted once nothing runs them): rows those transactions inserted vanish, and rows they deleted or updated come back in their old version.',
      '0x55 (every transaction committed): rows of transactions that really rolled back appear — duplicates of the retried rows and of unique keys — and deletes that rolled back take effect.',
      'Either way the first reader sets hint bits and VACUUM freezes the result: the invented status becomes permanent in the copy. Dump it at once; do not keep using it.',
      'The restore into a fresh cluster is the step that makes the data trustworthy again: check what it reports (duplicate keys, foreign keys), then switch the application over.',
    ],
  };
}

function sizeNote(s: SegmentProblem): string {
  const whole = formatCount(s.segmentBytes);
  if (s.neededBytes === s.segmentBytes) return `${whole} bytes (32 pages)`;
  return `at least ${formatCount(s.neededBytes)} bytes; ${whole} once its transactions ran through it (a file grows a page at a time)`;
}
