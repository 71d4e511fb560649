// The dashboard at idle: a tick of the clock writes the countdowns, bars and relative
// times and renders no component; an engine event rewrites the one card it is about (cards are plain
// DOM, so what a card "renders" is what it writes: MutationObserver records show it); a hidden page
// holds no timer and catches up the moment it is shown again. Time is node's mock clock.
import './setup-dom.js';
import './render-counter.js';
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { act, cleanup, within } from './testing.js';
import type { ProfileStatus } from '../../common/contract.js';
import { pendingTicks } from '../../renderer/src/clock.js';
import { ProfilesView } from '../../renderer/src/components/profile-list.js';
import { createFakeBridge, ok } from './fake-bridge.js';
import { renderWithBridge } from './render.js';
import { renders, resetRenders } from './render-counter.js';
import { statusFixture } from '../support/status-fixture.js';

const START = Date.parse('2026-03-02T10:00:00.000Z');
const status = (id: string, lifetimeSec: number): ProfileStatus =>
  statusFixture({
    id,
    name: id.toUpperCase(),
    provider: 'redpanda',
    state: 'fresh',
    obtainedAt: new Date(START - 60_000).toISOString(),
    expiresAt: new Date(START - 60_000 + lifetimeSec * 1000).toISOString(),
    lastRefreshAt: new Date(START - 60_000).toISOString(),
    nextRefreshAt: new Date(START + 120_000).toISOString(),
    requestsLastDay: 1,
  });
const settings = ok({ port: 47210, leadTimeSec: 300, clipboardClearSec: 60, startAtLogin: false, notifications: true });

function setVisibility(state: 'visible' | 'hidden'): void {
  Object.defineProperty(document, 'visibilityState', { value: state, configurable: true });
  document.dispatchEvent(new window.Event('visibilitychange'));
}

async function renderList(profiles: ProfileStatus[]) {
  const bridge = createFakeBridge({ 'profiles:list': () => ok(profiles), 'activity:list': () => ok([]), 'settings:get': () => settings });
  const result = renderWithBridge(<ProfilesView navigate={() => {}} />, bridge, { start: true });
  // The fake bridge answers at once: let its promises and the deferred list render settle.
  for (let i = 0; i < 5; i += 1) await act(async () => {});
  const card = (id: string) => result.container.querySelector(`[data-profile-id="${id}"]`) as HTMLElement;
  return { ...result, bridge, card };
}

const countdown = (card: HTMLElement) => within(card).getByTestId('countdown').textContent;

/** Counts the mutations under `element` until the returned function is called, which returns them. */
function recordMutations(element: HTMLElement, options: MutationObserverInit = { subtree: true, childList: true, characterData: true, attributes: true }) {
  const records: MutationRecord[] = [];
  const observer = new window.MutationObserver((list) => records.push(...list));
  observer.observe(element, options);
  return (): MutationRecord[] => {
    records.push(...observer.takeRecords());
    observer.disconnect();
    return records;
  };
}

describe('the clock at idle', () => {
  beforeEach(() => {
    mock.timers.enable({ apis: ['setTimeout', 'Date'], now: START });
    setVisibility('visible');
  });
  afterEach(() => {
    cleanup();
    mock.timers.reset();
    setVisibility('visible');
  });

  it('a tick rewrites the countdowns and renders no component; an event re-renders only its card', async () => {
    const { card, bridge, container } = await renderList([status('a', 600), status('b', 3600)]);
    assert.equal(countdown(card('a')), 'Expires in 9 min 00 s');
    assert.equal(countdown(card('b')), 'Expires in 59 min 00 s');
    const bar = within(card('a')).getByRole('progressbar');
    assert.equal(bar.getAttribute('aria-valuenow'), '90');
    const fill = bar.firstElementChild as HTMLElement;
    assert.equal(fill.style.transform, 'translateX(-10.00%)');

    const touched = new Set<string>();
    const observer = new window.MutationObserver((records) => {
      for (const r of records) {
        const element = r.target.nodeType === 1 ? (r.target as Element) : r.target.parentElement;
        touched.add(element?.getAttribute('data-testid') || element?.className || element?.tagName || '?');
      }
    });
    observer.observe(container, { subtree: true, childList: true, characterData: true, attributes: true });
    resetRenders();
    await act(async () => mock.timers.tick(61_000));
    observer.disconnect();

    assert.equal(countdown(card('a')), 'Expires in 7 min 59 s');
    assert.equal(countdown(card('b')), 'Expires in 57 min 59 s');
    assert.equal(bar.getAttribute('aria-valuenow'), '80');
    assert.equal(fill.style.transform, 'translateX(-20.17%)');
    assert.match(within(card('a')).getByText(/ago$/).textContent ?? '', /^2 min 01 s ago$/);
    assert.deepEqual(renders(), {}, 'no component rendered for a tick');
    // Only the text that shows seconds, the bar's value and its position changed.
    assert.deepEqual([...touched].sort(), ['bar', 'bar-fill level-ok', 'countdown', 'relative-time'].sort());

    resetRenders();
    const stopA = recordMutations(card('a'));
    const stopB = recordMutations(card('b'));
    act(() => bridge.emit({ type: 'profile', previous: 'fresh', recovered: false, status: { ...status('a', 600), requestsLastHour: 5 } }));
    for (let i = 0; i < 3; i += 1) await act(async () => {});
    assert.ok(stopA().length > 0, 'the card whose status changed was written');
    assert.deepEqual(stopB(), [], 'only the card whose status changed rendered');
    assert.equal(renders().ProfileCard, undefined, 'cards are no components');
    assert.match(within(card('a')).getByText(/in the last hour/).textContent ?? '', /^5 in the last hour/);
  });

  it('the card turns expired when its token does, with one render and no per-second renders', async () => {
    const { card } = await renderList([status('a', 70)]);
    assert.equal(card('a').getAttribute('data-state'), 'fresh');
    resetRenders();
    // The card's state and its name: written once for the expiry, never by the ticks before it.
    const stopState = recordMutations(card('a'), { attributes: true, attributeFilter: ['data-state'] });
    const stopName = recordMutations(card('a').querySelector('h2') as HTMLElement, { subtree: true, childList: true, characterData: true });
    await act(async () => mock.timers.tick(9_000));
    assert.equal(card('a').getAttribute('data-state'), 'fresh');
    assert.equal(countdown(card('a')), 'Expires in 1 s');
    await act(async () => mock.timers.tick(1_100));
    assert.equal(card('a').getAttribute('data-state'), 'expired');
    assert.match(countdown(card('a')) ?? '', /^Expired (0|1) s ago$/);
    assert.equal(stopState().length, 1, 'one write of the state');
    assert.deepEqual(stopName(), [], 'the rest of the card is not rewritten each second');
    assert.deepEqual(renders(), {}, 'no component rendered');
  });

  it('a countdown turns over with the clock\'s second, in step with the expiry time shown beside it', async () => {
    // The token expires at 10:09:00.700: the card shows that time to the second.
    const { card } = await renderList([{ ...status('a', 600), expiresAt: new Date(START + 540_700).toISOString() }]);
    assert.equal(countdown(card('a')), 'Expires in 9 min 00 s');
    await act(async () => mock.timers.tick(990));
    assert.equal(countdown(card('a')), 'Expires in 9 min 00 s', 'still 10:00:00 on the clock');
    await act(async () => mock.timers.tick(20));
    assert.equal(countdown(card('a')), 'Expires in 8 min 59 s', 'the clock turned 10:00:01');
  });

  it('the card turns expired at validUntil, when the engine stops handing the token out, and copying stops with it', async () => {
    const { card } = await renderList([{ ...status('a', 70), validUntil: new Date(START + 5_000).toISOString() }]);
    const copy = () => within(card('a')).getByRole('button', { name: 'Copy token' }) as HTMLButtonElement;
    assert.equal(card('a').getAttribute('data-state'), 'fresh');
    assert.equal(copy().disabled, false);
    await act(async () => mock.timers.tick(5_100));
    assert.equal(card('a').getAttribute('data-state'), 'expired', 'not "fresh" while the engine refuses the token');
    assert.match(countdown(card('a')) ?? '', /^No longer handed out \(expires in [45] s\)$/);
    assert.equal(copy().disabled, true, 'nothing to copy');
    for (const name of ['Copy header', 'Copy curl']) assert.equal((within(card('a')).getByRole('button', { name }) as HTMLButtonElement).disabled, true);
    assert.equal((within(card('a')).getByRole('button', { name: 'Refresh now' }) as HTMLButtonElement).disabled, false);
  });

  it('a profile without a token offers no copy, and a refresh event brings copying and the next refresh back', async () => {
    const none: ProfileStatus = { ...status('a', 600), state: 'error', obtainedAt: null, expiresAt: null, validUntil: null, nextRefreshAt: null };
    const { card, bridge } = await renderList([none]);
    const copy = () => within(card('a')).getByRole('button', { name: 'Copy token' }) as HTMLButtonElement;
    assert.equal(copy().disabled, true);
    const next = () => (card('a').querySelectorAll('dl.facts dd')[1] as HTMLElement).textContent;
    assert.equal(next(), '—');
    act(() => bridge.emit({ type: 'profile', previous: 'error', recovered: true, status: status('a', 600) }));
    assert.equal(copy().disabled, false);
    assert.equal(next(), 'in 2 min 00 s');
  });

  it('a hidden page holds no timer and catches up at once when shown', async () => {
    const { card } = await renderList([status('a', 600)]);
    assert.equal(pendingTicks(), 1);
    act(() => setVisibility('hidden'));
    assert.equal(pendingTicks(), 0, 'nothing ticks while hidden');
    await act(async () => mock.timers.tick(30_000));
    assert.equal(countdown(card('a')), 'Expires in 9 min 00 s', 'untouched while hidden');
    act(() => setVisibility('visible'));
    assert.equal(countdown(card('a')), 'Expires in 8 min 30 s', 'right again the moment it is shown');
    assert.equal(pendingTicks(), 1);
  });
});
