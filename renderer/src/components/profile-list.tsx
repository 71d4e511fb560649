// The main view (docs/desktop.md): every profile with provider, state in words and colour, a live
// countdown and lifetime bar, last/next refresh, upstream requests, the last error with its hint,
// and the actions. The cards are plain DOM kept by CardList (card-list.ts): a state change
// arrives as an event and rewrites that one card, and between events a tick of the clock writes only
// the text that shows seconds, while the lifetime bar moves on the compositor.
import { useEffect, useLayoutEffect, useRef, useState, type ReactNode } from 'react';
import { createPortal } from 'react-dom';
import type { ProfileStatus } from '../../../common/contract.js';
import { useDashboard } from '../context.js';
import { routeHref, type Route } from '../router.js';
import { useDashboardSlice, type DashboardState } from '../store.js';
import { LoadError, Loading } from './bits.js';
import { CardList } from './card-list.js';
import { ConfirmDialog } from './confirm-dialog.js';
import { useVault } from './vault-gate.js';
import { vaultPlace } from '../../../common/vault-place.js';

export function ProfilesView(props: { focus?: string; navigate: (route: Route) => void }): ReactNode {
  const dashboard = useDashboard();
  const { store } = dashboard;
  const profiles = useDashboardSlice(store, selectProfiles);
  const { focus } = props;
  const ready = profiles.state === 'ready';
  const all = ready ? profiles.value : NONE;
  const hasList = all.length > 0;
  const listRef = useRef<HTMLUListElement>(null);
  const cards = useRef<CardList | null>(null);
  const [confirming, setConfirming] = useState<ProfileStatus | null>(null);
  const [removing, setRemoving] = useState(false);
  // The words name the vault the server actually uses (its vault:state answer), never a guess.
  const place = vaultPlace(useVault()?.info.backend);

  // The list element is Preact's, its children are CardList's: Preact renders the <ul> empty.
  useLayoutEffect(() => {
    const list = listRef.current;
    if (!list) return;
    const controller = new CardList(list, { dashboard, confirmDelete: setConfirming });
    cards.current = controller;
    return () => {
      controller.dispose();
      cards.current = null;
    };
  }, [hasList, dashboard]);

  // The card a link asks for is always among the first made, so it can take focus at once.
  const focusIndex = focus ? all.findIndex((status) => status.id === focus) : -1;
  useLayoutEffect(() => {
    cards.current?.show(all, focusIndex + 1);
  }, [all, focusIndex, hasList]);

  useEffect(() => {
    if (!focus || !ready) return;
    const heading = document.getElementById(`profile-title-${focus}`);
    heading?.scrollIntoView({ block: 'center' });
    heading?.focus();
  }, [focus, ready]);

  const remove = async (status: ProfileStatus): Promise<void> => {
    setRemoving(true);
    try {
      await cards.current?.remove(status.id);
    } finally {
      setRemoving(false);
      setConfirming(null);
    }
  };

  return (
    <section aria-labelledby="profiles-title" className="view">
      <div className="view-head">
        <h1 id="profiles-title" tabIndex={-1}>
          Profiles
        </h1>
        {hasList ? (
          <a className="button primary" href={routeHref({ view: 'add' })}>
            Add profile
          </a>
        ) : null}
      </div>
      {profiles.state === 'loading' ? <Loading what="profiles" /> : null}
      {profiles.state === 'error' ? (
        <LoadError what="profiles" error={profiles.error} onRetry={() => void store.loadProfiles()} />
      ) : null}
      {ready && !hasList ? <EmptyState place={place} /> : null}
      {hasList ? <ul className="profile-list" aria-label="Profiles" data-testid="profile-list" ref={listRef} /> : null}
      {confirming
        ? createPortal(
            <ConfirmDialog
              title={`Delete ${confirming.name}?`}
              confirmLabel="Delete profile"
              busy={removing}
              onConfirm={() => void remove(confirming)}
              onCancel={() => setConfirming(null)}
            >
              <p>
                This removes the profile <code>{confirming.id}</code> and its secrets and cached token from {place}.
                Scripts that use it will stop getting tokens.
              </p>
            </ConfirmDialog>,
            // Out of the list: cards are rendered only when on screen (content-visibility), which
            // makes each one the containing block of anything fixed inside it.
            document.body,
          )
        : null}
    </section>
  );
}

const NONE: ProfileStatus[] = [];

const selectProfiles = (state: DashboardState): DashboardState['profiles'] => state.profiles;

function EmptyState(props: { place: string }): ReactNode {
  return (
    <div className="empty">
      <h2>No profiles yet</h2>
      <p>
        A profile is one set of API credentials for one provider, such as a Redpanda Cloud service account or an
        Acquia API key. Tokentray requests its access token, keeps it fresh before it expires, and hands it to you
        and your scripts.
      </p>
      <p>
        Start by adding your first profile. The client secret goes to {props.place} and nowhere else.
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

