// The dashboard shell: navigation, the live-connection banner and one view at a time. Moving between
// views puts focus on the new view's heading so keyboard and screen-reader users know where they are.
import { useEffect, useRef, useState, type ReactNode } from 'react';
import type { Result, VaultInfo } from '../../common/contract.js';
import { ActivityView } from './components/activity-log.js';
import { ProfilesView } from './components/profile-list.js';
import { LoggedOut, LogoutButton } from './components/session-end.js';
import { TokenInspector } from './components/token-inspector.js';
import { VaultGate } from './components/vault-gate.js';
import { useDashboard } from './context.js';
import { lazyView } from './lazy-view.js';
import type { Settling } from './settling.js';
import { routeHref, useRoute, type Route } from './router.js';
import { useDashboardState } from './store.js';

const ProfileFormView = lazyView('the form', () => import('./components/profile-form.js').then((m) => m.ProfileFormView));
const RelayPanel = lazyView('the relay view', () => import('./components/relay-panel.js').then((m) => m.RelayPanel));
const SettingsView = lazyView('settings', () => import('./components/settings-view.js').then((m) => m.SettingsView));

const NAV: Array<{ label: string; route: Route; views: Route['view'][] }> = [
  { label: 'Profiles', route: { view: 'profiles' }, views: ['profiles', 'add', 'edit', 'inspect', 'relay'] },
  { label: 'Activity', route: { view: 'activity' }, views: ['activity'] },
  { label: 'Settings', route: { view: 'settings' }, views: ['settings'] },
];

/** `firstVault`: the vault's state, asked before the first render (main.tsx). */
export function App(props: { firstVault?: Settling<Result<VaultInfo>> } = {}): ReactNode {
  const [route, navigate] = useRoute();
  const key = routeHref(route);
  const first = useRef(true);
  const [loggedOut, setLoggedOut] = useState(false);

  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    if (route.view === 'profiles' && route.focus) return; // the list focuses that profile itself
    document.querySelector<HTMLElement>('main h1')?.focus();
    // Keyed on the href: `route` is a new object on every render.
  }, [key]);

  useEffect(() => {
    if (loggedOut) document.querySelector<HTMLElement>('main h1')?.focus();
  }, [loggedOut]);

  if (loggedOut) return <LoggedOut />;
  // The lock screen stands in for everything while the file vault waits for its passphrase.
  return (
    <VaultGate {...(props.firstVault ? { first: props.firstVault } : {})}>
      <div className="shell">
        <a className="skip-link" href="#main">
          Skip to content
        </a>
        <header className="topbar">
          <div className="brand">
            <span className="brand-mark" aria-hidden="true" />
            <span>Tokentray</span>
          </div>
          <nav aria-label="Main">
            <ul>
              {NAV.map((item) => (
                <li key={item.label}>
                  <a
                    href={routeHref(item.route)}
                    className="nav-link"
                    aria-current={item.views.includes(route.view) ? 'page' : undefined}
                  >
                    {item.label}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
          <LogoutButton onLoggedOut={() => setLoggedOut(true)} />
        </header>
        <ConnectionBanner />
        <main id="main" tabIndex={-1}>
          <View route={route} navigate={navigate} />
        </main>
      </div>
    </VaultGate>
  );
}

function View(props: { route: Route; navigate: (route: Route) => void }): ReactNode {
  const { route, navigate } = props;
  switch (route.view) {
    case 'profiles':
      return <ProfilesView navigate={navigate} {...(route.focus ? { focus: route.focus } : {})} />;
    case 'add':
      return <ProfileFormView mode="add" />;
    case 'edit':
      return <ProfileFormView key={route.id} mode="edit" id={route.id} />;
    case 'inspect':
      return <TokenInspector key={route.id} id={route.id} />;
    case 'relay':
      return <RelayPanel key={route.id} id={route.id} />;
    case 'activity':
      return <ActivityView navigate={navigate} {...(route.profile ? { profile: route.profile } : {})} />;
    case 'settings':
      return <SettingsView />;
  }
}

function ConnectionBanner(): ReactNode {
  const { store } = useDashboard();
  const { connection, everOpen } = useDashboardState(store);
  if (connection === 'closed') {
    return (
      <div className="banner" role="alert">
        Live updates stopped: this dashboard session has ended, or belongs to another tab (each tab needs its own
        login link). Run <code>tokentray dashboard</code> for a fresh login link.
      </div>
    );
  }
  if (connection === 'connecting' && everOpen) {
    return (
      <div className="banner" role="status">
        Live updates interrupted. Reconnecting…
      </div>
    );
  }
  return null;
}
