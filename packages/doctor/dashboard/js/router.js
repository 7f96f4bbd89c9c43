// Hash routes: #/ (fleet), #/cluster/NAME?range=6h, #/alerts. The page never reloads; each route gets an
// AbortSignal that fires when the user leaves it, so its timers and late responses stop touching the DOM.

/** The current route: { page, name?, query }. */
export function currentRoute() {
  const hash = location.hash.replace(/^#/, '') || '/';
  const [path, search = ''] = hash.split('?');
  const query = new URLSearchParams(search);
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts.length === 0) return { page: 'fleet', query };
  if (parts[0] === 'cluster' && parts.length === 2) return { page: 'cluster', name: parts[1], query };
  if (parts[0] === 'alerts' && parts.length === 1) return { page: 'alerts', query };
  return { page: 'not-found', query };
}

export function clusterHref(name, query) {
  const q = query && [...query].length ? `?${query}` : '';
  return `#/cluster/${encodeURIComponent(name)}${q}`;
}

/** Call `render(route, signal)` now and on every hash change, aborting the previous route's signal first. */
export function startRouter(render) {
  let controller;
  const go = () => {
    controller?.abort();
    controller = new AbortController();
    render(currentRoute(), controller.signal);
  };
  window.addEventListener('hashchange', go);
  go();
}

/** Run `task` now and every `ms` until the signal aborts; a slow task never overlaps the next. */
export function every(ms, signal, task) {
  let timer;
  const run = async () => {
    if (signal.aborted) return;
    try {
      await task();
    } finally {
      if (!signal.aborted) timer = setTimeout(run, ms);
    }
  };
  signal.addEventListener('abort', () => clearTimeout(timer));
  void run();
}
