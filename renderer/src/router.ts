// Views live in the location hash so Back works, a notification can open the dashboard at one
// profile (#/profiles/ID), and a reload keeps the place.
import { useCallback, useSyncExternalStore } from 'react';

export type Route =
  | { view: 'profiles'; focus?: string }
  | { view: 'add' }
  | { view: 'edit'; id: string }
  | { view: 'inspect'; id: string }
  | { view: 'relay'; id: string }
  | { view: 'activity'; profile?: string }
  | { view: 'settings' };

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  const [head, arg] = parts;
  switch (head) {
    case 'add':
      return { view: 'add' };
    case 'edit':
      return arg ? { view: 'edit', id: arg } : { view: 'profiles' };
    case 'inspect':
      return arg ? { view: 'inspect', id: arg } : { view: 'profiles' };
    case 'relay':
      return arg ? { view: 'relay', id: arg } : { view: 'profiles' };
    case 'activity':
      return arg ? { view: 'activity', profile: arg } : { view: 'activity' };
    case 'settings':
      return { view: 'settings' };
    case 'profiles':
      return arg ? { view: 'profiles', focus: arg } : { view: 'profiles' };
    default:
      return { view: 'profiles' };
  }
}

export function routeHref(route: Route): string {
  switch (route.view) {
    case 'profiles':
      return route.focus ? `#/profiles/${encodeURIComponent(route.focus)}` : '#/profiles';
    case 'add':
      return '#/add';
    case 'edit':
      return `#/edit/${encodeURIComponent(route.id)}`;
    case 'inspect':
      return `#/inspect/${encodeURIComponent(route.id)}`;
    case 'relay':
      return `#/relay/${encodeURIComponent(route.id)}`;
    case 'activity':
      return route.profile ? `#/activity/${encodeURIComponent(route.profile)}` : '#/activity';
    case 'settings':
      return '#/settings';
  }
}

function subscribe(listener: () => void): () => void {
  window.addEventListener('hashchange', listener);
  return () => window.removeEventListener('hashchange', listener);
}

export function useRoute(): [Route, (route: Route) => void] {
  const hash = useSyncExternalStore(subscribe, () => window.location.hash);
  const navigate = useCallback((route: Route) => {
    window.location.hash = routeHref(route);
  }, []);
  return [parseRoute(hash), navigate];
}
