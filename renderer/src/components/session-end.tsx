// Logging out of the headless dashboard: the http bridge's logout() ends this tab's session
// on the server, which closes its event stream at once, and forgets the secret here. The page then
// says how to come back: a new one-time link from `tokentray dashboard` (a reload cannot: the session
// is gone, and a link is only printed to someone with a shell as this user).
import { useState, type ReactNode } from 'react';
import { useDashboard } from '../context.js';

export function LogoutButton(props: { onLoggedOut: () => void }): ReactNode {
  const { bridge } = useDashboard();
  const [busy, setBusy] = useState(false);
  const logout = bridge.logout;
  if (logout === undefined) return null; // The app's window (IPC) has no session to end.
  return (
    <button
      type="button"
      className="button quiet logout"
      disabled={busy}
      onClick={() => {
        setBusy(true);
        // Whatever the server answered, the page has forgotten the session: it is logged out here.
        void logout.call(bridge).catch(() => undefined).finally(props.onLoggedOut);
      }}
    >
      {busy ? 'Logging out…' : 'Log out'}
    </button>
  );
}

export function LoggedOut(): ReactNode {
  return (
    <main id="main" className="lock-screen" tabIndex={-1}>
      <section className="view narrow card-plain" aria-labelledby="logged-out-title">
        <h1 id="logged-out-title" tabIndex={-1}>
          Logged out
        </h1>
        <p>This dashboard session has ended, and its live updates with it.</p>
        <p>
          To open the dashboard again, run <code>tokentray dashboard</code> and open the one-time link it prints.
        </p>
      </section>
    </main>
  );
}
