import type { PlannedRelation } from '../rescue/freeze-plan.js';
import type { RescueEvent } from '../rescue/rescue.js';
import { renderRelease } from '../rescue/run-text.js';
import { formatCount } from '../report/format.js';

/**
 * The rescue as the demo tells it: the blockers released, each user table frozen, the system catalogs summed
 * up in one line per database (the demo's audience came for the tables), and the moment each database leaves
 * the stop zone.
 */
export function demoRescueView(say: (text: string) => void, color: boolean): (event: RescueEvent) => void {
  const green = (text: string) => (color ? `\x1b[32m${text}\x1b[0m` : text);
  return (event) => {
    switch (event.type) {
      case 'blockers-released':
        return say(`   · blocker release:\n${renderRelease(event.results, color).trimEnd()}`);
      case 'relation-frozen': {
        const { relation: r, xidAgeAfter, seconds } = event.result;
        if (isCatalog(r)) return;
        return say(`   · ${green('frozen')} ${r.relation} in "${r.database}": ${formatCount(r.xidAge)} → ${formatCount(xidAgeAfter)} XIDs (${seconds.toFixed(2)}s)`);
      }
      case 'relation-failed':
        return say(`   · FAILED ${event.result.relation.relation} in "${event.result.relation.database}": ${event.result.message}${event.willRetry ? ' (retried at the end)' : ''}`);
      case 'left-stop-zone':
        return say(`   · ${green(`"${event.database}" is out of the stop zone after ${event.seconds.toFixed(2)}s`)}`);
    }
  };
}

export function isCatalog(r: PlannedRelation): boolean {
  return r.schema === 'pg_catalog' || r.schema === 'information_schema';
}
