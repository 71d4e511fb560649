// The main view (SPEC section 6): every profile with provider, state in words and colour, a live
// countdown and lifetime bar, last/next refresh, upstream requests, the last error with its hint,
// and the actions. Times tick on the local clock; state changes arrive as events.
import { memo, useEffect, useId, useState, type ReactNode } from 'react';
import type { ErrorInfo, ProfileStatus } from '../../../common/contract.js';
import { PROVIDERS } from '../../../common/providers.js';
import type { CopyKind } from '../api/index.js';
import { useNow } from '../clock.js';
import { useDashboard } from '../context.js';
import { displayState, formatDuration, formatLocalTime, formatRelative, lifetimeLeft } from '../format.js';
import { routeHref, type Route } from '../router.js';
import { useDashboardState } from '../store.js';
import { ErrorNote, LoadError, Loading, ProviderMark, StateBadge } from './bits.js';
import { ConfirmDialog } from './confirm-dialog.js';

export function ProfilesView(props: { focus?: string; navigate: (route: Route) => void }): ReactNode {
  const { store } = useDashboard();
  const { profiles } = useDashboardState(store);
  const { focus } = props;
  const ready = profiles.state === 'ready';

  useEffect(() => {
    if (!focus || !ready) return;
    const heading = document.getElementById(`profile-title-${focus}`);
    heading?.scrollIntoView({ block: 'center' });
    heading?.focus();
  }, [focus, ready]);

  return (
    <section aria-labelledby="profiles-title" className="view">
      <div className="view-head">
        <h1 id="profiles-title" tabIndex={-1}>
          Profiles
        </h1>
        {profiles.state === 'ready' && profiles.value.length > 0 ? (
          <a className="button primary" href={routeHref({ view: 'add' })}>
            Add profile
          </a>
        ) : null}
      </div>
      {profiles.state === 'loading' ? <Loading what="profiles" /> : null}
      {profiles.state === 'error' ? (
        <LoadError what="profiles" error={profiles.error} onRetry={() => void store.loadProfiles()} />
      ) : null}
      {profiles.state === 'ready' && profiles.value.length === 0 ? <EmptyState /> : null}
      {profiles.state === 'ready' && profiles.value.length > 0 ? (
        <ul className="profile-list" aria-label="Profiles" data-testid="profile-list">
          {profiles.value.map((status) => (
            <ProfileCard key={status.id} status={status} navigate={props.navigate} />
          ))}
        </ul>
      ) : null}
    </section>
  );
}

function EmptyState(): ReactNode {
  return (
    <div className="empty">
      <h2>No profiles yet</h2>
      <p>
        A profile is one set of API credentials for one provider, such as a Redpanda Cloud service account or an
        Acquia API key. Tokentray requests its access token, keeps it fresh before it expires, and hands it to you
        and your scripts.
      </p>
      <p>
        Start by adding your first profile. The client secret goes to your system keychain and nowhere else.
      </p>
      <a className="button primary" href={routeHref({ view: 'add' })}>
        Add your first profile
      </a>
      <p className="muted small">
        Prefer a terminal? <code>tokentray profile add ID --provider redpanda --client-id … --secret-stdin</code>
      </p>
    </div>
  );
}

const COPY_LABELS: Record<CopyKind, string> = {
  token: 'Token copied to the clipboard.',
  header: 'Authorization header copied to the clipboard.',
  curl: 'curl example copied to the clipboard.',
};

const ProfileCard = memo(function ProfileCard(props: { status: ProfileStatus; navigate: (route: Route) => void }): ReactNode {
  const { status } = props;
  const { bridge, clipboard, store, announce } = useDashboard();
  const now = useNow();
  const [busy, setBusy] = useState<string | null>(null);
  const [actionError, setActionError] = useState<{ action: string; error: ErrorInfo } | null>(null);
  const [confirming, setConfirming] = useState(false);
  const state = displayState(status, now);
  const titleId = `profile-title-${status.id}`;
  const paused = status.state === 'paused';

  const run = async (action: string, work: () => Promise<ErrorInfo | null>): Promise<void> => {
    setBusy(action);
    setActionError(null);
    try {
      const error = await work();
      if (error) {
        setActionError({ action, error });
        announce(`${action} failed for ${status.name}: ${error.message}`);
      }
    } finally {
      setBusy(null);
    }
  };

  const copy = (kind: CopyKind) =>
    run('Copy', async () => {
      const result = await clipboard.copyProfile(status.id, kind);
      if (!result.ok) return result.error;
      announce(COPY_LABELS[kind]);
      return null;
    });

  const refresh = () =>
    run('Refresh', async () => {
      const result = await bridge.invoke('profiles:refresh', status.id);
      if (!result.ok) return result.error;
      announce(`${status.name} refreshed.`);
      return null;
    });

  const togglePause = () =>
    run(paused ? 'Resume' : 'Pause', async () => {
      const result = await bridge.invoke('profiles:pause', status.id, !paused);
      if (!result.ok) return result.error;
      store.upsertProfile(result.value);
      announce(paused ? `${status.name} resumed.` : `${status.name} paused.`);
      return null;
    });

  const remove = () =>
    run('Delete', async () => {
      const result = await bridge.invoke('profiles:remove', status.id);
      if (!result.ok) {
        setConfirming(false);
        return result.error;
      }
      setConfirming(false);
      store.removeProfile(status.id);
      announce(`${status.name} deleted.`);
      return null;
    });

  return (
    <li className={`profile card state-edge-${state}`} data-profile-id={status.id} data-state={state}>
      <article aria-labelledby={titleId}>
        <header className="profile-head">
          <ProviderMark provider={status.provider} />
          <div className="profile-title">
            <h2 id={titleId} tabIndex={-1}>
              {status.name}
            </h2>
            <span className="muted small">
              {status.id} · {PROVIDERS[status.provider].label}
            </span>
          </div>
          <StateBadge state={state} />
        </header>

        <Lifetime status={status} now={now} />

        <dl className="facts">
          <div>
            <dt>Last refresh</dt>
            <dd title={formatLocalTime(status.lastRefreshAt)}>{formatRelative(status.lastRefreshAt, now)}</dd>
          </div>
          <div>
            <dt>Next refresh</dt>
            <dd title={formatLocalTime(status.nextRefreshAt)}>
              {paused ? 'paused' : formatRelative(status.nextRefreshAt, now)}
            </dd>
          </div>
          <div>
            <dt>Token requests</dt>
            <dd>
              {status.requestsLastHour} in the last hour, {status.requestsLastDay} today
            </dd>
          </div>
        </dl>

        {status.lastError ? (
          <div className="last-error" data-testid="last-error">
            <ErrorNote error={status.lastError} title="Last error:" />
            {status.lastError.at ? <p className="muted small">{formatRelative(status.lastError.at, now)}</p> : null}
          </div>
        ) : null}

        {actionError && actionError.error.message !== status.lastError?.message ? (
          <div role="alert">
            <ErrorNote error={actionError.error} title={`${actionError.action} failed:`} />
          </div>
        ) : null}

        <div className="actions" role="group" aria-label={`Actions for ${status.name}`}>
          <div className="action-group">
            <button type="button" className="button" disabled={busy !== null} onClick={() => void copy('token')}>
              Copy token
            </button>
            <button type="button" className="button" disabled={busy !== null} onClick={() => void copy('header')}>
              Copy header
            </button>
            <button type="button" className="button" disabled={busy !== null} onClick={() => void copy('curl')}>
              Copy curl
            </button>
          </div>
          <div className="action-group">
            <button type="button" className="button" disabled={busy !== null || paused} onClick={() => void refresh()}>
              {busy === 'Refresh' ? 'Refreshing…' : 'Refresh now'}
            </button>
            <button type="button" className="button" disabled={busy !== null} onClick={() => void togglePause()}>
              {paused ? 'Resume' : 'Pause'}
            </button>
            <a className="button" href={routeHref({ view: 'inspect', id: status.id })}>
              Inspect token
            </a>
            <a className="button" href={routeHref({ view: 'edit', id: status.id })}>
              Edit
            </a>
            <a className="button" href={routeHref({ view: 'activity', profile: status.id })}>
              Activity
            </a>
            <button type="button" className="button danger-quiet" disabled={busy !== null} onClick={() => setConfirming(true)}>
              Delete
            </button>
          </div>
        </div>
      </article>
      {confirming ? (
        <ConfirmDialog
          title={`Delete ${status.name}?`}
          confirmLabel="Delete profile"
          busy={busy === 'Delete'}
          onConfirm={() => void remove()}
          onCancel={() => setConfirming(false)}
        >
          <p>
            This removes the profile <code>{status.id}</code> and its secrets and cached token from the system
            keychain. Scripts that use it will stop getting tokens.
          </p>
        </ConfirmDialog>
      ) : null}
    </li>
  );
});

function Lifetime(props: { status: ProfileStatus; now: number }): ReactNode {
  const { status, now } = props;
  const labelId = useId();
  const left = lifetimeLeft(status, now);
  const expiresAt = status.expiresAt ? Date.parse(status.expiresAt) : null;
  let text: string;
  if (expiresAt === null) text = status.state === 'refreshing' ? 'Requesting a token…' : 'No token yet';
  else if (expiresAt <= now) text = `Expired ${formatDuration(now - expiresAt)} ago`;
  else text = `Expires in ${formatDuration(expiresAt - now)}`;
  const percent = left === null ? 0 : Math.round(left * 100);
  const level = left === null ? 'none' : left > 0.25 ? 'ok' : left > 0 ? 'low' : 'none';
  return (
    <div className="lifetime">
      <div className="lifetime-text">
        <span id={labelId} className="countdown" data-testid="countdown">
          {text}
        </span>
        {status.expiresAt ? <span className="muted small">{formatLocalTime(status.expiresAt)}</span> : null}
      </div>
      <div
        className="bar"
        role="progressbar"
        aria-labelledby={labelId}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent}
        aria-valuetext={`${percent}% of the token lifetime left`}
      >
        <div className={`bar-fill level-${level}`} style={{ width: `${percent}%` }} />
      </div>
    </div>
  );
}
