// The daemon's JSON API. Paths are relative to the page, so a dashboard behind a reverse proxy's sub-path works;
// credentials 'same-origin' sends the token cookie the daemon set when the page was opened with ?token=.

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function get(path, params = {}) {
  const url = new URL(path, document.baseURI);
  for (const [key, value] of Object.entries(params)) {
    // Times go as whole epoch milliseconds, the form the daemon parses.
    if (value !== undefined && value !== null) url.searchParams.set(key, typeof value === 'number' ? String(Math.round(value)) : String(value));
  }
  let response;
  try {
    response = await fetch(url, { credentials: 'same-origin', headers: { accept: 'application/json' } });
  } catch {
    throw new ApiError(0, 'The daemon does not answer: is mvcc-doctor serve still running?');
  }
  const body = await response.json().catch(() => ({}));
  if (response.status === 401) throw new ApiError(401, 'This daemon needs its token: open the dashboard once as …/?token=YOUR_TOKEN.');
  if (!response.ok) throw new ApiError(response.status, body.error ?? `HTTP ${response.status}`);
  return body;
}

export const api = {
  clusters: () => get('api/clusters'),
  series: (cluster, metric, from, to, labels = {}) => get('api/series', { cluster, metric, from, to, ...labels }),
  findings: (cluster) => get('api/findings', { cluster }),
  events: (cluster, from, to) => get('api/events', { cluster, from, to }),
  logEvents: (cluster, from, to) => get('api/log-events', { cluster, from, to }),
  alerts: () => get('api/alerts'),
};
