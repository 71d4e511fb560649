// The main view (SPEC section 6): every profile with provider, state in words and colour, a live
// countdown and lifetime bar, last/next refresh, upstream requests, the last error with its hint,
// and the actions. State changes arrive as events and re-render that one card; between events only
// the small leaves that show seconds (Countdown, RelativeTime) follow the clock, writing their own
// text, and the lifetime bar moves on the compositor (issue 16).
import { memo, useEffect, useId, useLayoutEffect, useRef, useState, type ReactNode } from 'react';
import { createPortal } from 'react-dom';
import type { ErrorInfo, ProfileStatus } from '../../../common/contract.js';
import { PROVIDERS } from '../../../common/providers.js';
import type { CopyKind } from '../api/index.js';
import { useReached, useTick, writeText } from '../clock.js';
import { useDashboard } from '../context.js';
import { displayState, formatDuration, formatLocalTime, lifetimeLeft, wholeSecond } from '../format.js';
import { routeHref, type Route } from '../router.js';
import { useDashboardSlice, type DashboardState } from '../store.js';
import { ErrorNote, LoadError, Loading, ProviderMark, StateBadge } from './bits.js';
import { ConfirmDialog } from './confirm-dialog.js';
import { RelativeTime } from './relative-time.js';

export function ProfilesView(props: { focus?: string; navigate: (route: Route) => void }): ReactNode {
  const { store } = useDashboard();
  const profiles = useDashboardSlice(store, selectProfiles);
  const { focus } = props;
  const ready = profiles.state === 'ready';
  const all = ready ? profiles.value : NONE;
  // The card a link asks for is always among the first rendered, so it can take focus at once.
  const focusIndex = focus ? all.findIndex((status) => status.id === focus) : -1;
  const count = useProgressiveCount(all.length, focusIndex + 1);
  const shown = count < all.length ? all.slice(0, count) : all;

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
        <ul className="profile-list" aria-label="Profiles" aria-busy={count < all.length} data-testid="profile-list">
          {shown.map((status) => (
            <ProfileCard key={status.id} status={status} navigate={props.navigate} />
          ))}
        </ul>
      ) : null}
    </section>
  );
}

const NONE: ProfileStatus[] = [];

/** Cards rendered with the list itself: a tall screen's worth, so the first paint is complete. */
export const FIRST_CARDS = 12;
/** Script time one later chunk of cards aims at, well under a 50 ms long task (issue 16). */
const CHUNK_BUDGET_MS = 25;
/** The script time above leaves out style and layout of the new cards: never more than this at once. */
const MAX_CHUNK = 100;

/** Runs `work` in a task of its own, after the browser had its chance to paint; returns the cancel. */
function postTask(work: () => void): () => void {
  const scheduler = (globalThis as { scheduler?: { postTask?: (cb: () => void, o: object) => Promise<unknown> } }).scheduler;
  if (typeof scheduler?.postTask === 'function') {
    const controller = new AbortController();
    scheduler.postTask(work, { priority: 'user-visible', signal: controller.signal }).catch(() => {});
    return () => controller.abort();
  }
  const timer = setTimeout(work, 0);
  return () => clearTimeout(timer);
}

/**
 * How many of `total` cards to render: the first screenful (and at least `atLeast`) with the list,
 * the rest in chunks, one task each, sized from the time the chunk before took, so a thousand
 * profiles never block the page for long (issue 16: one render of 1,000 cards was a 1.3 s task).
 * The list stays one list and fills within a second; once it is complete, later profiles render at
 * once.
 */
function useProgressiveCount(total: number, atLeast: number): number {
  const [limit, setLimit] = useState(FIRST_CARDS);
  const complete = useRef(false);
  const chunk = useRef({ size: FIRST_CARDS * 2, from: 0, startedAt: 0 });
  const count = complete.current ? total : Math.min(total, Math.max(limit, atLeast));
  useLayoutEffect(() => {
    const c = chunk.current;
    if (c.startedAt > 0 && count > c.from) {
      // Committed just now, in the task that asked for it: size the next chunk from its pace.
      const perCard = Math.max(0.01, (performance.now() - c.startedAt) / (count - c.from));
      c.size = Math.min(MAX_CHUNK, Math.max(4, Math.floor(CHUNK_BUDGET_MS / perCard)));
    }
    c.startedAt = 0;
    if (count >= total) {
      complete.current = total > 0;
      return;
    }
    return postTask(() => {
      c.from = count;
      c.startedAt = performance.now();
      setLimit(count + c.size);
    });
  }, [count, total]);
  return count;
}
const selectProfiles = (state: DashboardState): DashboardState['profiles'] => state.profiles;

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
  const [busy, setBusy] = useState<string | null>(null);
  const [actionError, setActionError] = useState<{ action: string; error: ErrorInfo } | null>(null);
  const [confirming, setConfirming] = useState(false);
  // The one moment the local clock changes this card's state: its token expiring.
  const live = (status.state === 'fresh' || status.state === 'expiring') && status.expiresAt ? Date.parse(status.expiresAt) : null;
  useReached(live);
  const state = displayState(status, Date.now());
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

        <Lifetime status={status} />

        <dl className="facts">
          <div>
            <dt>Last refresh</dt>
            <dd title={formatLocalTime(status.lastRefreshAt)}>
              <RelativeTime iso={status.lastRefreshAt} />
            </dd>
          </div>
          <div>
            <dt>Next refresh</dt>
            <dd title={formatLocalTime(status.nextRefreshAt)}>
              {paused ? 'paused' : <RelativeTime iso={status.nextRefreshAt} />}
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
            {status.lastError.at ? (
              <p className="muted small">
                <RelativeTime iso={status.lastError.at} />
              </p>
            ) : null}
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
            <a className="button" href={routeHref({ view: 'relay', id: status.id })}>
              Use from an OAuth client
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
      {confirming
        ? createPortal(
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
        </ConfirmDialog>,
            // Out of the card: cards are rendered only when on screen (content-visibility), which
            // makes each one the containing block of anything fixed inside it.
            document.body,
          )
        : null}
    </li>
  );
});

/** The token's lifetime: what changes only with a new token, around the ticking Countdown. */
function Lifetime(props: { status: ProfileStatus }): ReactNode {
  const { status } = props;
  return (
    <div className="lifetime">
      <Countdown status={status} localExpiry={status.expiresAt ? formatLocalTime(status.expiresAt) : null} />
    </div>
  );
}

/**
 * The countdown text, the bar and its value for screen readers follow the clock by writing to
 * their own elements each second, without a render. The bar moves by `transform` on its own
 * compositor layer, which costs no layout and no paint (issue 16: a width transition re-laid out
 * every bar on every frame).
 */
function Countdown(props: { status: ProfileStatus; localExpiry: string | null }): ReactNode {
  const { status, localExpiry } = props;
  const labelId = useId();
  const textRef = useRef<HTMLSpanElement>(null);
  const barRef = useRef<HTMLDivElement>(null);
  const fillRef = useRef<HTMLDivElement>(null);
  // What was last put on the page: a tick compares with it instead of reading the DOM (an inline
  // style read serializes the value), and writes only what changed.
  const shown = useRef<LifetimeReading | null>(null);
  useTick((now) => {
    const reading = readLifetime(status, now);
    const last = shown.current;
    shown.current = reading;
    if (reading.text !== last?.text) writeText(textRef.current, reading.text);
    const bar = barRef.current;
    if (bar && reading.percent !== last?.percent) {
      bar.setAttribute('aria-valuenow', String(reading.percent));
      bar.setAttribute('aria-valuetext', reading.valueText);
    }
    const fill = fillRef.current;
    if (fill) {
      if (reading.transform !== last?.transform) fill.style.transform = reading.transform;
      if (reading.fillClass !== last?.fillClass) fill.className = reading.fillClass;
    }
  });
  const reading = readLifetime(status, Date.now());
  shown.current = reading;
  return (
    <>
      <div className="lifetime-text">
        <span id={labelId} className="countdown" data-testid="countdown" ref={textRef}>
          {reading.text}
        </span>
        {localExpiry !== null ? <span className="muted small">{localExpiry}</span> : null}
      </div>
      <div
        className="bar"
        role="progressbar"
        ref={barRef}
        aria-labelledby={labelId}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={reading.percent}
        aria-valuetext={reading.valueText}
      >
        <div className={reading.fillClass} ref={fillRef} style={{ transform: reading.transform }} />
      </div>
    </>
  );
}

interface LifetimeReading {
  text: string;
  percent: number;
  valueText: string;
  /** The full-width fill slides left under the bar's rounded clip, so its rounded end keeps its shape. */
  transform: string;
  fillClass: string;
}

function readLifetime(status: ProfileStatus, now: number): LifetimeReading {
  const left = lifetimeLeft(status, now);
  const expiresAt = status.expiresAt ? Date.parse(status.expiresAt) : null;
  let text: string;
  if (expiresAt === null) text = status.state === 'refreshing' ? 'Requesting a token…' : 'No token yet';
  else if (expiresAt <= now) text = `Expired ${formatDuration(wholeSecond(now) - wholeSecond(expiresAt))} ago`;
  else text = `Expires in ${formatDuration(wholeSecond(expiresAt) - wholeSecond(now))}`;
  const percent = left === null ? 0 : Math.round(left * 100);
  const level = left === null ? 'none' : left > 0.25 ? 'ok' : left > 0 ? 'low' : 'none';
  return {
    text,
    percent,
    valueText: `${percent}% of the token lifetime left`,
    transform: `translateX(-${((1 - (left ?? 0)) * 100).toFixed(2)}%)`,
    fillClass: `bar-fill level-${level}`,
  };
}
