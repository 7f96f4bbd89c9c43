import type { Sample } from '../sample.js';
import type { DatabaseForecast } from './forecast-databases.js';

/**
 * `mvcc_database_xid_eta_seconds{database,limit}` for every limit still ahead with a finite ETA. A limit already
 * passed, no fitted rate, or a rate of zero (never reached) gives no sample rather than a made-up number: the
 * series pauses, and the age series beside it says why.
 */
export function forecastSamples(forecasts: readonly DatabaseForecast[]): Sample[] {
  return forecasts.flatMap((f) =>
    f.etas
      .filter((eta) => eta.seconds !== undefined && Number.isFinite(eta.seconds))
      .map((eta) => ({ metric: 'mvcc_database_xid_eta_seconds', labels: { database: f.database, limit: eta.limit }, value: eta.seconds! })),
  );
}
