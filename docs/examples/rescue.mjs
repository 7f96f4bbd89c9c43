// The engine as a library: diagnose, plan a freeze, run the rescue with typed events.
// Run it: DATABASE_URL=postgresql://postgres@localhost/postgres node docs/examples/rescue.mjs [--release-blockers]
import { diagnose, planFreeze, rescue, resolveConnOptions } from 'mvcc-doctor';

const conn = resolveConnOptions({ env: process.env });

// 1. Diagnose: the same report `mvcc-doctor check --json` prints.
const report = await diagnose(conn, { sampleMs: 1000 });
for (const finding of report.findings) console.log(`${finding.severity} ${finding.check}: ${finding.summary}`);

// 2. Plan a freeze: reads the catalogs, changes nothing.
const options = { jobs: 2, emergency: false, lockTimeoutMs: 1000 };
const plan = await planFreeze(conn, options);
console.log(`${plan.order.length} relation(s) over ${plan.target.xidAge} XIDs; ${plan.blockers.length} blocker(s)`);

// 3. Run it. Blockers are released only with releaseBlockers, and only if confirm says yes.
const releaseBlockers = process.argv.includes('--release-blockers');
const { result } = await rescue(conn, { ...options, releaseBlockers }, {
  onEvent(event) {
    if (event.type === 'relation-frozen') console.log(`frozen ${event.result.relation.relation} in ${event.result.relation.database}`);
    if (event.type === 'relation-skipped') console.log(`skipped ${event.result.relation.relation}: ${event.result.reason}`);
    if (event.type === 'left-stop-zone') console.log(`${event.database} left the stop zone after ${event.seconds.toFixed(2)}s`);
  },
  async confirm(blockers) {
    console.log(`releasing ${blockers.map((b) => b.description).join('; ')}`);
    return true;
  },
});
console.log(result.targetReached ? 'every database is under the target' : `not yet: ${result.failed.length} failed`);
