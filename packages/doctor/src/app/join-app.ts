import type { Finding } from '../engine/finding.js';
import type { AppRegistry } from './app-registry.js';

/**
 * Give each finding about a backend pid the code that holds it, from the apps' registries: the opening
 * stack, route and app process. The registry knows more than the tags (the whole stack), so it wins.
 */
export function joinAppRegistries(findings: Finding[], registries: AppRegistry[]): Finding[] {
  const byPid = new Map(registries.flatMap((r) => r.transactions.filter((t) => t.backendPid).map((t) => [t.backendPid!, { registry: r, lease: t }] as const)));
  return findings.map((finding) => {
    const match = finding.subject.pid === undefined ? undefined : byPid.get(finding.subject.pid);
    if (!match) return finding;
    const { lease, registry } = match;
    return {
      ...finding,
      origin: {
        ...finding.origin,
        app: lease.app,
        origin: lease.origin,
        route: lease.route ?? lease.job ?? finding.origin?.route,
        traceparent: lease.traceparent ?? finding.origin?.traceparent,
        stack: lease.stack,
        process: `pid ${registry.pid} (${registry.url})`,
      },
    };
  });
}
