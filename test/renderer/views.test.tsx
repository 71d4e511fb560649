// The views with the real store and a fake bridge: the list follows engine events live (no polling),
// delete asks first, the inspector decodes a JWT only after reveal and calls opaque tokens opaque,
// and the activity log is newest first and filterable.
import './setup-dom.js';
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { useState } from 'react';
import { act, cleanup, fireEvent, render, screen, waitFor, within } from './testing.js';
import type { ActivityEntry, ProfileStatus, VaultBackend } from '../../common/contract.js';
import { ActivityView } from '../../renderer/src/components/activity-log.js';
import { ErrorNote, ProviderMark, StateBadge } from '../../renderer/src/components/bits.js';
import { errorNote } from '../../renderer/src/components/profile-card.js';
import { ProfilesView } from '../../renderer/src/components/profile-list.js';
import { TokenInspector } from '../../renderer/src/components/token-inspector.js';
import { VaultGate, VaultSettings } from '../../renderer/src/components/vault-gate.js';
import { createFakeBridge, ok } from './fake-bridge.js';
import { renderWithBridge } from './render.js';
import { statusFixture } from '../support/status-fixture.js';

afterEach(() => cleanup());

const now = Date.now();
const fresh: ProfileStatus = statusFixture({
  id: 'prod',
  name: 'Prod',
  provider: 'redpanda',
  state: 'fresh',
  obtainedAt: new Date(now - 60_000).toISOString(),
  expiresAt: new Date(now + 3_540_000).toISOString(),
  validUntil: new Date(now + 3_535_000).toISOString(),
  lastRefreshAt: new Date(now - 60_000).toISOString(),
  nextRefreshAt: new Date(now + 2_640_000).toISOString(),
  requestsLastHour: 1,
  requestsLastDay: 4,
});
const noop = (): void => {};
const settings = ok({ port: 47210, leadTimeSec: 300, clipboardClearSec: 60, startAtLogin: false, notifications: true });

describe('the words about where secrets go follow the vault the server uses', () => {
  // Through the real gate: the backend comes from its vault:state answer, as on the page.
  const renderList = (backend: VaultBackend, profiles: ProfileStatus[]) =>
    renderWithBridge(
      <VaultGate>
        <ProfilesView navigate={noop} />
        <VaultSettings />
      </VaultGate>,
      createFakeBridge({
        'vault:state': () => ok({ backend, state: 'unlocked', location: backend === 'file' ? '/cfg/vault.enc' : 'tokentray', entries: 2 }),
        'profiles:list': () => ok(profiles),
        'activity:list': () => ok([]),
        'settings:get': () => settings,
      }),
      { start: true },
    );

  for (const [backend, place, label] of [
    ['file', 'the encrypted vault file', 'Encrypted file'],
    ['keychain', 'the OS keychain', 'OS keychain'],
  ] as const) {
    it(`${backend}: the empty list, the Delete dialog and the settings name ${place}`, async () => {
      renderList(backend, []);
      const empty = (await screen.findByRole('heading', { name: 'No profiles yet' })).closest('div') as HTMLElement;
      assert.match(empty.textContent ?? '', new RegExp(`The client secret goes to ${place} and nowhere else\\.`));
      assert.ok(within(screen.getByRole('region', { name: 'Vault' })).getByText(label));
      cleanup();

      renderList(backend, [fresh]);
      await screen.findByRole('heading', { name: 'Prod' });
      fireEvent.click(screen.getByRole('button', { name: 'Delete' }));
      const dialog = screen.getByRole('alertdialog', { name: 'Delete Prod?' });
      assert.match(dialog.textContent ?? '', new RegExp(`its secrets and cached token from ${place}\\.`));
      const other = backend === 'file' ? /keychain/i : /vault file/;
      assert.doesNotMatch(dialog.textContent ?? '', other);
    });
  }
});

describe('profile list', () => {
  it('explains the first step when there are no profiles', async () => {
    const bridge = createFakeBridge({ 'profiles:list': () => ok([]), 'activity:list': () => ok([]), 'settings:get': () => settings });
    renderWithBridge(<ProfilesView navigate={noop} />, bridge, { start: true });
    await screen.findByRole('heading', { name: 'No profiles yet' });
    assert.ok(screen.getByRole('link', { name: 'Add your first profile' }));
  });

  it('shows a load error with its hint and retries', async () => {
    let calls = 0;
    const bridge = createFakeBridge({
      'profiles:list': () => {
        calls += 1;
        return calls === 1 ? { ok: false, error: { kind: 'app_unavailable', message: 'Tokentray did not answer.', hint: 'Start it.' } } : ok([fresh]);
      },
      'activity:list': () => ok([]),
      'settings:get': () => settings,
    });
    renderWithBridge(<ProfilesView navigate={noop} />, bridge, { start: true });
    const alert = await screen.findByRole('alert');
    assert.match(alert.textContent ?? '', /Tokentray did not answer\..*Start it\./);
    fireEvent.click(screen.getByRole('button', { name: 'Try again' }));
    await screen.findByRole('heading', { name: 'Prod' });
  });

  it('follows engine events: state in words, last error with hint, removal', async () => {
    const bridge = createFakeBridge({ 'profiles:list': () => ok([fresh]), 'activity:list': () => ok([]), 'settings:get': () => settings });
    renderWithBridge(<ProfilesView navigate={noop} />, bridge, { start: true });
    const card = (await screen.findByRole('heading', { name: 'Prod' })).closest('li') as HTMLElement;
    assert.equal(within(card).getByText('Fresh').className.includes('state-fresh'), true);
    assert.match(within(card).getByTestId('countdown').textContent ?? '', /^Expires in (58|59) min/);
    assert.equal(within(card).getByRole('progressbar').getAttribute('aria-valuenow'), '98');

    act(() =>
      bridge.emit({
        type: 'profile',
        previous: 'fresh',
        recovered: false,
        status: {
          ...fresh,
          state: 'error',
          lastError: { kind: 'invalid_client', message: 'The client id or secret was rejected.', hint: 'Check the secret.' },
        },
      }),
    );
    // The tray's word for it too (common/states.ts): one word per state everywhere.
    assert.ok(within(card).getByText('Failing'));
    assert.match(within(card).getByTestId('last-error').textContent ?? '', /rejected\..*What to do: Check the secret\./);

    act(() => bridge.emit({ type: 'profile-removed', id: 'prod' }));
    await screen.findByRole('heading', { name: 'No profiles yet' });
    // Only the first load asked for the list: everything after came from events.
    assert.equal(bridge.callsTo('profiles:list').length, 1);
  });

  it('deletes only after confirmation, and Cancel keeps the profile', async () => {
    const bridge = createFakeBridge({
      'profiles:list': () => ok([fresh]),
      'activity:list': () => ok([]),
      'settings:get': () => settings,
      'profiles:remove': () => ok({ removed: true }),
    });
    renderWithBridge(<ProfilesView navigate={noop} />, bridge, { start: true });
    await screen.findByRole('heading', { name: 'Prod' });
    fireEvent.click(screen.getByRole('button', { name: 'Delete' }));
    let dialog = screen.getByRole('alertdialog', { name: 'Delete Prod?' });
    assert.equal(document.activeElement, within(dialog).getByRole('button', { name: 'Cancel' }));
    fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    assert.equal(bridge.callsTo('profiles:remove').length, 0);
    fireEvent.click(screen.getByRole('button', { name: 'Delete' }));
    dialog = screen.getByRole('alertdialog');
    await act(async () => fireEvent.click(within(dialog).getByRole('button', { name: 'Delete profile' })));
    assert.deepEqual(bridge.callsTo('profiles:remove'), [['prod']]);
    await screen.findByRole('heading', { name: 'No profiles yet' });
  });

  it('an action waits with the card\'s buttons disabled, and its failure shows in the card and is said', async () => {
    let answer: (value: unknown) => void = () => {};
    const bridge = createFakeBridge({
      'profiles:list': () => ok([fresh, { ...fresh, id: 'dev', name: 'Dev' }]),
      'activity:list': () => ok([]),
      'settings:get': () => settings,
      'profiles:refresh': () =>
        new Promise((resolve) => {
          answer = resolve;
        }) as never,
    });
    renderWithBridge(<ProfilesView navigate={noop} />, bridge, { start: true });
    const card = (await screen.findByRole('heading', { name: 'Prod' })).closest('li') as HTMLElement;
    const other = screen.getByRole('heading', { name: 'Dev' }).closest('li') as HTMLElement;
    fireEvent.click(within(card).getByRole('button', { name: 'Refresh now' }));
    assert.deepEqual(bridge.callsTo('profiles:refresh'), [['prod']]);
    const buttons = within(card).getAllByRole('button');
    assert.ok(within(card).getByRole('button', { name: 'Refreshing…' }));
    assert.deepEqual(buttons.filter((b) => !(b as HTMLButtonElement).disabled), [], 'every button of the card waits');
    assert.equal(within(other).getAllByRole('button').filter((b) => (b as HTMLButtonElement).disabled).length, 0, 'other cards do not');
    await act(async () => answer({ ok: false, error: { kind: 'network', message: 'The token endpoint did not answer.', hint: 'Check the network.' } }));
    const alert = await within(card).findByRole('alert');
    assert.match(alert.textContent ?? '', /^Refresh failed: The token endpoint did not answer\.What to do: Check the network\.$/);
    assert.equal(screen.getByTestId('announcer').textContent, 'Refresh failed for Prod: The token endpoint did not answer.');
    assert.ok(within(card).getByRole('button', { name: 'Refresh now' }));
    assert.equal(buttons.filter((b) => (b as HTMLButtonElement).disabled).length, 0, 'the buttons are back');
    assert.equal(within(other).queryByRole('alert'), null);
  });

  it('pause sends profiles:pause and shows the answer at once', async () => {
    const bridge = createFakeBridge({
      'profiles:list': () => ok([fresh]),
      'activity:list': () => ok([]),
      'settings:get': () => settings,
      'profiles:pause': () => ok({ ...fresh, state: 'paused' as const }),
    });
    renderWithBridge(<ProfilesView navigate={noop} />, bridge, { start: true });
    await screen.findByRole('heading', { name: 'Prod' });
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Pause' })));
    assert.deepEqual(bridge.callsTo('profiles:pause'), [['prod', true]]);
    await screen.findByRole('button', { name: 'Resume' });
    assert.ok(screen.getByText('Paused'));
  });
});

/** An element as tag, sorted attributes and children, adjacent text merged: markup, whatever wrote it. */
function canonical(element: Element): string {
  const copy = element.cloneNode(true) as Element;
  copy.normalize();
  const walk = (node: Node): string => {
    if (node.nodeType === 3) return JSON.stringify(node.nodeValue);
    const el = node as Element;
    const attributes = [...el.attributes].map((a) => `${a.name}=${JSON.stringify(a.value)}`).sort();
    return `<${el.tagName.toLowerCase()} ${attributes.join(' ')}>${[...el.childNodes].map(walk).join('')}</>`;
  };
  return walk(copy);
}

describe('the plain-DOM card and the shared components', () => {
  it('write the same mark, state badge and error note', async () => {
    const error = { kind: 'invalid_client' as const, message: 'Rejected.', hint: 'Check the secret.' };
    const bridge = createFakeBridge({
      'profiles:list': () => ok([{ ...fresh, provider: 'acquia' as const, state: 'error' as const, lastError: error }]),
      'activity:list': () => ok([]),
      'settings:get': () => settings,
    });
    renderWithBridge(<ProfilesView navigate={noop} />, bridge, { start: true });
    const card = (await screen.findByRole('heading', { name: 'Prod' })).closest('li') as HTMLElement;
    const shared = render(
      <div>
        <ProviderMark provider="acquia" />
        <StateBadge state="error" />
        <ErrorNote error={error} title="Last error:" />
        <ErrorNote error={{ kind: 'network', message: 'No answer.' }} title="Copy failed:" />
      </div>,
    ).container.firstElementChild as HTMLElement;
    const [mark, badge, note, noHint] = [...shared.children] as [Element, Element, Element, Element];
    assert.equal(canonical(card.querySelector('.mark') as Element), canonical(mark));
    assert.equal(canonical(card.querySelector('.badge') as Element), canonical(badge));
    assert.equal(canonical(within(card).getByTestId('last-error').querySelector('.error-note') as Element), canonical(note));
    assert.equal(canonical(errorNote({ kind: 'network', message: 'No answer.' }, 'Copy failed:')), canonical(noHint));
  });
});

const b64 = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('token inspector', () => {
  it('reveals on request only and decodes a JWT locally', async () => {
    const exp = Math.floor(now / 1000) + 3600;
    // Issued a minute before `now`: the dashboard reads its clock in whole seconds, so an iat in the
    // same second as `now` would rightly read "just now" rather than "… ago".
    const jwt = `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64({ iss: 'https://issuer.test/', aud: ['api.a', 'api.b'], scope: 'read write', exp, iat: exp - 3660 })}.sig`;
    const bridge = createFakeBridge({
      'profiles:list': () => ok([fresh]),
      'activity:list': () => ok([]),
      'settings:get': () => settings,
      'tokens:get': () => ok({ access_token: jwt, token_type: 'Bearer', expires_at: new Date(exp * 1000).toISOString(), expires_in: 3600, scope: null }),
    });
    renderWithBridge(<TokenInspector id="prod" />, bridge, { start: true });
    assert.equal(bridge.callsTo('tokens:get').length, 0);
    assert.equal(screen.queryByTestId('token-details'), null);
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Reveal token' })));
    const claims = await screen.findByTestId('claims');
    const claim = (name: string): string => claims.querySelector(`[data-claim="${name}"] dd`)?.textContent ?? '';
    assert.equal(claim('aud'), 'api.a, api.b');
    assert.equal(claim('scope'), 'read write');
    assert.equal(claim('iss'), 'https://issuer.test/');
    assert.match(claim('exp'), /\(in (59 min \d+ s|1 h 00 min)\)/);
    assert.match(claim('iat'), /ago\)/);
    fireEvent.click(screen.getByRole('button', { name: 'Hide token' }));
    assert.equal(screen.queryByTestId('token-details'), null);
  });

  it('calls an opaque token opaque', async () => {
    const bridge = createFakeBridge({
      'profiles:list': () => ok([fresh]),
      'activity:list': () => ok([]),
      'settings:get': () => settings,
      'tokens:get': () => ok({ access_token: 'abc123opaque', token_type: 'Bearer', expires_at: null, expires_in: null, scope: null }),
    });
    renderWithBridge(<TokenInspector id="prod" />, bridge, { start: true });
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Reveal token' })));
    assert.match((await screen.findByTestId('opaque')).textContent ?? '', /opaque token, not a JWT/);
  });
});

describe('activity log', () => {
  const entry = (seq: number, profileId: string, kind: ActivityEntry['kind'], client?: string): ActivityEntry => ({
    seq,
    at: new Date(now - (10 - seq) * 1000).toISOString(),
    kind,
    profileId,
    ...(client ? { client } : {}),
  });

  it('is newest first, live, and filterable by profile', async () => {
    const bridge = createFakeBridge({
      'profiles:list': () => ok([fresh, { ...fresh, id: 'dev', name: 'Dev' }]),
      'activity:list': () => ok([entry(1, 'prod', 'refreshed'), entry(2, 'dev', 'refresh-failed')]),
      'settings:get': () => settings,
    });
    const navigated: unknown[] = [];
    function Harness() {
      const [profile, setProfile] = useState<string | undefined>(undefined);
      return (
        <ActivityView
          profile={profile}
          navigate={(route) => {
            navigated.push(route);
            setProfile(route.view === 'activity' ? route.profile : undefined);
          }}
        />
      );
    }
    renderWithBridge(<Harness />, bridge, { start: true });
    const list = await screen.findByTestId('activity-list');
    act(() => bridge.emit({ type: 'activity', entry: entry(3, 'prod', 'token-issued', 'deploy') }));
    const kinds = () => [...list.querySelectorAll('li')].map((li) => li.getAttribute('data-kind'));
    await waitFor(() => assert.deepEqual(kinds(), ['token-issued', 'refresh-failed', 'refreshed']));
    assert.match(list.querySelector('li')?.textContent ?? '', /to client key “deploy”/);

    fireEvent.change(screen.getByLabelText('Profile'), { target: { value: 'prod' } });
    assert.deepEqual(navigated, [{ view: 'activity', profile: 'prod' }]);
    await waitFor(() => assert.deepEqual(kinds(), ['token-issued', 'refreshed']));
  });
});
