// The page's first answers: main.tsx asks for the vault's state and the profiles before
// anything renders and renders once they are in, so a fast answer never shows "Loading the vault" and
// the gate does not ask a second time; a slow one gets the loading screen and is used when it comes.
import './setup-dom.js';
import assert from 'node:assert/strict';
import { afterEach, describe, it, mock } from 'node:test';
import type { ReactNode } from 'react';
import { act, cleanup, screen } from './testing.js';
import type { Result, VaultInfo } from '../../common/contract.js';
import { VaultGate, VaultSettings } from '../../renderer/src/components/vault-gate.js';
import { settledOrAfter, settling, type Settling } from '../../renderer/src/settling.js';
import { DashboardStore } from '../../renderer/src/store.js';
import { createFakeBridge, ok, type FakeBridge } from './fake-bridge.js';
import { renderWithBridge } from './render.js';

afterEach(() => cleanup());

const unlocked: VaultInfo = { backend: 'file', state: 'unlocked', location: '/tmp/vault.json', entries: 3 };
const locked: VaultInfo = { ...unlocked, state: 'locked', entries: null };
const flush = async (): Promise<void> => {
  for (let i = 0; i < 3; i += 1) await act(async () => {});
};

describe('settling', () => {
  it('shows a promise\'s value once it is in, and nothing before', async () => {
    let resolve: (value: number) => void = () => {};
    const tracked = settling(new Promise<number>((r) => (resolve = r)));
    assert.equal(tracked.settled, null);
    resolve(7);
    await tracked.promise;
    assert.deepEqual(tracked.settled, { value: 7 });
    const failed = settling(Promise.reject(new Error('no')));
    await assert.rejects(failed.promise, /no/);
    assert.equal(failed.settled, null, 'a rejection is not a value');
  });

  it('settledOrAfter waits for the promise or the time, whichever comes first, and never rejects', async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      let done = false;
      void settledOrAfter(new Promise(() => {}), 150).then(() => (done = true));
      mock.timers.tick(149);
      await Promise.resolve();
      assert.equal(done, false);
      mock.timers.tick(1);
      await Promise.resolve();
      assert.equal(done, true, 'the time ran out');
    } finally {
      mock.timers.reset();
    }
    await settledOrAfter(Promise.reject(new Error('down')), 10_000);
    await settledOrAfter(Promise.resolve(1), 10_000);
  });
});

describe('the store\'s first list', () => {
  it('profilesLoaded settles once the list asked by start() is in, and after a failure too', async () => {
    let answer: (value: unknown) => void = () => {};
    const bridge = createFakeBridge({
      'profiles:list': () => new Promise((r) => (answer = r)) as never,
      'activity:list': () => ok([]),
      'settings:get': () => ok({ port: 1, leadTimeSec: 300, clipboardClearSec: 60, startAtLogin: false, notifications: true }),
    });
    const store = new DashboardStore(bridge);
    store.start();
    let loaded = false;
    void store.profilesLoaded().then(() => (loaded = true));
    await flush();
    assert.equal(loaded, false);
    assert.equal(store.getState().profiles.state, 'loading');
    answer({ ok: false, error: { kind: 'app_unavailable', message: 'Tokentray did not answer.' } });
    await store.profilesLoaded();
    assert.equal(store.getState().profiles.state, 'error');
    store.stop();
  });
});

/** The gate around `children`, with the page's first answer `first` (none: the gate asks itself). */
function renderGate(bridge: FakeBridge, first: Settling<Result<VaultInfo>> | null, children: ReactNode = <h1>The views</h1>) {
  return renderWithBridge(first ? <VaultGate first={first}>{children}</VaultGate> : <VaultGate>{children}</VaultGate>, bridge);
}

/** A first answer that is already in. */
async function answered(info: VaultInfo): Promise<Settling<Result<VaultInfo>>> {
  const first = settling(Promise.resolve(ok(info) as Result<VaultInfo>));
  await first.promise;
  return first;
}

describe('the vault gate with the page\'s first answer', () => {
  it('an answer already in: the views on the first render, and no second question', async () => {
    const bridge = createFakeBridge({ 'vault:state': () => ok(unlocked) });
    renderGate(bridge, await answered(unlocked));
    assert.ok(screen.getByRole('heading', { name: 'The views' }), 'rendered at once');
    assert.equal(screen.queryByText(/Loading the vault/), null);
    await flush();
    assert.equal(bridge.callsTo('vault:state').length, 0);
  });

  it('a locked vault already known: the lock screen at once', async () => {
    const bridge = createFakeBridge({});
    renderGate(bridge, await answered(locked));
    assert.ok(screen.getByRole('heading', { name: 'Unlock the vault' }));
    assert.equal(screen.queryByRole('heading', { name: 'The views' }), null);
  });

  it('an answer still on its way: the loading screen, then that answer, still without a second question', async () => {
    const bridge = createFakeBridge({ 'vault:state': () => ok(locked) });
    let answer: (result: Result<VaultInfo>) => void = () => {};
    const first = settling(new Promise<Result<VaultInfo>>((r) => (answer = r)));
    renderGate(bridge, first);
    assert.ok(screen.getByText(/Loading the vault/));
    await act(async () => answer(ok(unlocked)));
    await flush();
    assert.ok(screen.getByRole('heading', { name: 'The views' }));
    assert.equal(bridge.callsTo('vault:state').length, 0);
  });

  it('the settings view asks for the vault\'s state once when it opens, not on every render', async () => {
    const bridge = createFakeBridge({ 'vault:state': () => ok(unlocked) });
    renderGate(bridge, await answered(unlocked), <VaultSettings />);
    for (let i = 0; i < 10; i += 1) await act(async () => {});
    assert.equal(bridge.callsTo('vault:state').length, 1, 'one refresh for the entry count');
  });

  it('without a first answer the gate asks itself, as before', async () => {
    const bridge = createFakeBridge({ 'vault:state': () => ok(unlocked) });
    renderGate(bridge, null);
    assert.ok(screen.getByText(/Loading the vault/));
    await screen.findByRole('heading', { name: 'The views' });
    assert.equal(bridge.callsTo('vault:state').length, 1);
  });
});
