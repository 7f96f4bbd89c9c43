// The dashboard's entry: routes to a page and marks the current navigation link.
import { h, replace } from './dom.js';
import { renderAlerts } from './pages/alerts.js';
import { renderCluster } from './pages/cluster.js';
import { renderFleet } from './pages/fleet.js';
import { startRouter } from './router.js';

// The daemon set its cookie when the page was opened with ?token=…: take the token out of the address bar so it
// is not bookmarked, shared in a screenshot or kept in the history.
if (new URLSearchParams(location.search).has('token')) history.replaceState(null, '', location.pathname + location.hash);

const main = /** @type {HTMLElement} */ (document.getElementById('main'));

// The skip link must not change the hash: that is the router's.
document.querySelector('a.skip')?.addEventListener('click', (event) => {
  event.preventDefault();
  main.focus();
});

startRouter((route, signal) => {
  for (const link of /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll('nav.site a'))) {
    const here = link.dataset.page === (route.page === 'cluster' ? 'fleet' : route.page);
    if (here) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  document.title = `${route.page === 'cluster' ? route.name : route.page === 'alerts' ? 'Alerts' : 'Fleet'} · mvcc-doctor`;
  if (route.page === 'fleet') renderFleet(main, signal);
  else if (route.page === 'cluster') renderCluster(main, route, signal);
  else if (route.page === 'alerts') renderAlerts(main, signal);
  else replace(main, h('h1', {}, 'Not found'), h('p', {}, 'No such page. ', h('a', { href: '#/' }, 'Go to the fleet')));
  main.focus({ preventScroll: true });
});
