import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Cluster, findInstallation, labRoot, xidWraparound, type XidWraparoundFault, wraparoundTemplate } from '@mvcc-doctor/lab';

export interface WraparoundIncident {
  cluster: Cluster;
  fault: XidWraparoundFault;
  /** The server's own refusal of a write, as the application sees it. */
  refusal: string;
  /** Remove the cluster and the template built for it. */
  close(): Promise<void>;
}

/** Whether this machine can push a cluster to wraparound (PostgreSQL 15 with pg_resetwal). */
export function canReproduceWraparound(): boolean {
  try {
    findInstallation({ major: 15, needs: ['pg_resetwal'] });
    return true;
  } catch {
    return false;
  }
}

/** A PostgreSQL 15 cluster in the XID stop zone, held there by an orphaned prepared transaction. */
export async function reproduceWraparound(): Promise<WraparoundIncident> {
  const root = mkdtempSync(join(labRoot(), 'demo-wraparound-'));
  chmodSync(root, 0o755); // the server's OS user must reach its cluster dir inside
  let cluster: Cluster | undefined;
  try {
    const template = await wraparoundTemplate({ kind: 'xid', root });
    cluster = await Cluster.copyOf(template.dataDir, { root, label: 'stop-zone' });
    const fault = await xidWraparound(cluster, { zone: 'stop' });
    const refusal = await cluster
      .sql(`CREATE TABLE orders_${Date.now()} (id int)`, [], fault.database)
      .then(() => 'the write succeeded (unexpected)')
      .catch((error: Error) => error.message);
    const running = cluster;
    return {
      cluster: running,
      fault,
      refusal,
      close: async () => {
        await running.destroy();
        rmSync(root, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await cluster?.destroy();
    rmSync(root, { recursive: true, force: true });
    throw error;
  }
}
