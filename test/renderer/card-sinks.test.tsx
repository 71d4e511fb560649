// The profile card's token files (docs/sinks.md): each sink's path, format and mode, when it was last
// written, or why it is not there in the keeper's words; a status event rewrites them without a
// reload, and a profile without sinks shows no block at all.
import './setup-dom.js';
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { act, cleanup, screen, within } from './testing.js';
import type { ProfileStatus, SinkStatus } from '../../common/contract.js';
import { ProfilesView } from '../../renderer/src/components/profile-list.js';
import { createFakeBridge, ok } from './fake-bridge.js';
import { renderWithBridge } from './render.js';

afterEach(() => cleanup());

const now = Date.now();
const fresh: ProfileStatus = {
  id: 'prod',
  name: 'Prod',
  provider: 'redpanda',
  state: 'fresh',
  obtainedAt: new Date(now - 60_000).toISOString(),
  expiresAt: new Date(now + 3_540_000).toISOString(),
  validUntil: new Date(now + 3_535_000).toISOString(),
  lastRefreshAt: new Date(now - 60_000).toISOString(),
  nextRefreshAt: new Date(now + 2_640_000).toISOString(),
  lastError: null,
  requestsLastHour: 1,
  requestsLastDay: 4,
};
const written: SinkStatus = { path: '/run/app/token', format: 'raw', mode: '0600', writtenAt: new Date(now - 125_000).toISOString(), present: true, reason: null, hook: null };
const refused: SinkStatus = {
  path: '/tmp/open/token.env',
  format: 'env',
  mode: '0640',
  writtenAt: null,
  present: false,
  reason: 'the folder /tmp/open is writable by others',
  hook: null,
};
const noop = (): void => {};
const settings = ok({ port: 47210, leadTimeSec: 300, clipboardClearSec: 60, startAtLogin: false, notifications: true });

async function cardFor(statuses: ProfileStatus[]): Promise<{ card: HTMLElement; emit: (status: ProfileStatus) => void }> {
  const bridge = createFakeBridge({ 'profiles:list': () => ok(statuses), 'activity:list': () => ok([]), 'settings:get': () => settings });
  renderWithBridge(<ProfilesView navigate={noop} />, bridge, { start: true });
  const card = (await screen.findByRole('heading', { name: 'Prod' })).closest('li') as HTMLElement;
  return { card, emit: (status) => act(() => bridge.emit({ type: 'profile', previous: 'fresh', recovered: false, status })) };
}

const rows = (card: HTMLElement): string[] =>
  within(within(card).getByRole('list', { name: 'Token files' }))
    .getAllByRole('listitem')
    .map((li) => li.textContent ?? '');

describe('the profile card shows its token files', () => {
  it('path, format, mode and when written; a refused one with its reason', async () => {
    const { card } = await cardFor([{ ...fresh, sinks: [written, refused] }]);
    const [ok, no] = rows(card);
    // The seconds follow the clock: the test's own time moves on while the page loads.
    assert.match(ok ?? '', /^\/run\/app\/token raw, 0600 · written 2 min \d\d s ago$/);
    assert.equal(no, '/tmp/open/token.env env, 0640 · not written: the folder /tmp/open is writable by others');
    const items = within(card).getAllByRole('listitem');
    assert.equal(items[0]?.dataset.present, 'true');
    assert.equal(items[1]?.dataset.present, 'false');
    // The exact local time is one hover away, as for the card's other times.
    assert.notEqual(items[0]?.querySelector('.relative-time')?.getAttribute('title') ?? '', '');
  });

  it('follows events: removed at expiry with its last write, back on recovery, a hook outcome', async () => {
    const { card, emit } = await cardFor([{ ...fresh, sinks: [written] }]);
    const removed: SinkStatus = { ...written, present: false, reason: 'the token expired and refreshing keeps failing' };
    emit({ ...fresh, state: 'expired', sinks: [removed] });
    const [gone] = rows(card);
    assert.match(gone ?? '', /^\/run\/app\/token raw, 0600 · not written: the token expired and refreshing keeps failing; last written 2 min \d\d s ago$/);
    emit({ ...fresh, sinks: [{ ...written, writtenAt: new Date().toISOString(), hook: 'exited with 3' }] });
    assert.equal(rows(card).length, 1);
    assert.match(rows(card)[0] ?? '', /^\/run\/app\/token raw, 0600 · written (just now|\d s ago) · hook: exited with 3$/);
    assert.equal(card.querySelectorAll('[data-testid="sinks"]').length, 1, 'one block, rewritten in place');
    emit({ ...fresh, sinks: [] });
    assert.equal(within(card).queryByTestId('sinks'), null);
  });

  it('a profile without sinks has no block', async () => {
    const { card } = await cardFor([fresh]);
    assert.equal(within(card).queryByTestId('sinks'), null);
  });
});
