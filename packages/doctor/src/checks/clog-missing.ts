import { analyzeAll } from '../clog/check-clog.js';
import { clogCommandLine } from '../clog/clog-command-line.js';
import { inventoryFromRow } from '../clog/segments-sql.js';
import { defineCheck } from '../engine/define-check.js';
import type { FindingDraft } from '../engine/finding.js';
import { formatCount } from '../report/format.js';

export default defineCheck({
  id: 'clog-missing',
  meta: {
    title: 'Missing commit log (pg_xact, pg_multixact) segments',
    area: 'integrity',
    why: 'A row whose inserting or deleting transaction carries no hint bit yet can only be judged by reading that transaction\'s two status bits in pg_xact (or its MultiXact in pg_multixact), so every read, VACUUM and freeze that meets it fails with "could not access status of transaction". No one can recompute a lost status: it must be copied back from another node or a backup, or invented per row or per segment.',
    description:
      'Lists the segment files of pg_xact, pg_multixact/offsets and pg_multixact/members (superuser) and reports those missing or short ' +
      'between the oldest ID in use (datfrozenxid, datminmxid) and the next one as of the last checkpoint, where IDs were certainly used: ' +
      'the oldest ID\'s page, the page of the next ID, or a range the IDs ran into from the segment before. A range no ID is known to have ' +
      'reached (the trace of a pg_resetwal -x jump) is left to `mvcc-doctor clog check`, which lists it as a gap.',
    severities: { critical: 'a segment the IDs in use need is missing or short' },
    remediation: 'Run the `mvcc-doctor clog check` and `clog plan` the finding names: copy the file from the primary, a standby or a backup first; pg_surgery per row; a fake segment only on a stopped copy.',
  },
  uses: ['clogSegments'],
  evaluate(snapshot) {
    const row = snapshot.clogSegments?.[0];
    if (!row) return [];
    const problems = analyzeAll(inventoryFromRow(row)).flatMap((s) => s.problems);
    if (problems.length === 0) return [];
    const source = { kind: 'pgdata' as const, dataDirectory: row.data_directory ?? '$PGDATA', running: true, state: '' };
    const files = problems.map((p) => `${p.file} (${p.kind})`).join(', ');
    const finding: FindingDraft = {
      severity: 'critical',
      subject: {},
      summary: `${problems.length} commit log segment(s) the IDs in use need ${problems.length === 1 ? 'is' : 'are'} missing or short: ${files}; rows written by those transactions cannot be read.`,
      evidence: problems.map((p) => ({
        file: p.file,
        kind: p.kind,
        size: p.size,
        needed_bytes: p.neededBytes,
        first_id: p.firstId,
        last_id: p.lastId,
        why: p.why,
      })),
      remediation: [
        `${clogCommandLine('check', source)}  -- on the database host (or with this check's connection instead of --pgdata): the failing XIDs mapped to file, byte and bits`,
        `${clogCommandLine('plan', source)}  -- the recovery, safest first: copy ${problems.map((p) => p.file).join(', ')} from the primary, a standby or a backup`,
        `-- ${formatCount(problems.length)} file(s); until then every statement that meets one of those rows fails, and VACUUM cannot freeze their tables`,
      ],
    };
    return [finding];
  },
});
