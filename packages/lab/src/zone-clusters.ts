import { Cluster } from './cluster.js';
import { wraparoundTemplate, type WraparoundKind, type WraparoundTemplate } from './wraparound-template.js';

/** Running copies of the wraparound template, one per zone, and the faults that put them there. */
export interface ZoneClusters<Zone extends string, F> {
  template: WraparoundTemplate;
  clusters: Map<Zone, Cluster>;
  faults: Map<Zone, F>;
  /** Stop and remove every copy. */
  destroy(): Promise<void>;
}

/**
 * One copy of the (once-built) wraparound template per zone, each put in its zone by `enter`, all in parallel.
 * If one fails, the copies made so far are removed and its error is thrown.
 */
export async function clustersInZones<Zone extends string, F>(
  kind: WraparoundKind,
  zones: readonly Zone[],
  label: string,
  enter: (cluster: Cluster, zone: Zone) => Promise<F>,
): Promise<ZoneClusters<Zone, F>> {
  const template = await wraparoundTemplate({ kind });
  const clusters = new Map<Zone, Cluster>();
  const faults = new Map<Zone, F>();
  const destroy = async () => {
    await Promise.allSettled([...clusters.values()].map((c) => c.destroy()));
  };
  const made = await Promise.allSettled(
    zones.map(async (zone) => {
      const cluster = await Cluster.copyOf(template.dataDir, { needs: ['pg_resetwal'], label: `${label}-${zone}` });
      clusters.set(zone, cluster);
      faults.set(zone, await enter(cluster, zone));
    }),
  );
  const failed = made.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await destroy();
    throw failed.reason;
  }
  return { template, clusters, faults, destroy };
}
