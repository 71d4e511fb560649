// The tray re-renders on state changes only, counted at the presenter seam under plain
// Node with the real engine: 10,000 tokens handed out cause no render; a pause, a new profile and
// a settings change each cause one, and the model then shows them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ProfileStatus, Settings } from '../../common/contract.js';
import { TrayPresenter, findMenuItem, type TrayView } from '../../main/core/desktop/tray-model.js';
import { changesTray, setupTrayUpdates } from '../../main/core/desktop/tray-updates.js';
import { acquiaProfile, createHarness } from '../support/engine-harness.js';

function countingTray(): { presenter: TrayPresenter; renders: () => number; update: TrayPresenter['update'] } {
  const view: TrayView = { setIcon: () => undefined, setTooltip: () => undefined, setMenu: () => undefined };
  const presenter = new TrayPresenter(view, () => undefined);
  let renders = 0;
  return {
    presenter,
    renders: () => renders,
    update: (statuses: readonly ProfileStatus[], settings: Pick<Settings, 'startAtLogin'>) => {
      renders += 1;
      presenter.update(statuses, settings);
    },
  };
}

describe('tray updates', () => {
  it('10,000 tokens handed out cause no tray render; a state change causes one', async () => {
    const { clock, engine, store, vault } = await createHarness();
    await engine.start();
    await clock.advance(0);
    await engine.getToken('aq');
    const tray = countingTray();
    const updates = setupTrayUpdates({ engine, store, presenter: { update: tray.update } });
    updates.render();
    assert.equal(tray.renders(), 1);

    for (let i = 0; i < 10_000; i += 1) {
      await engine.getToken('aq', { client: 'api' });
      // The loopback API and the copiers record each token they hand out (docs/http-api.md).
      engine.record({ kind: 'token-issued', profileId: 'aq', client: 'api' });
    }
    assert.ok(engine.activity().filter((e) => e.kind === 'token-issued').length > 0);
    assert.equal(tray.renders(), 1, 'no render for tokens handed out');

    await engine.setPaused('aq', true);
    assert.ok(tray.renders() > 1, 'a pause renders');
    assert.equal(findMenuItem(tray.presenter.model?.menu ?? [], 'profile:aq:pause')?.type, 'action');
    const pause = findMenuItem(tray.presenter.model?.menu ?? [], 'profile:aq:pause');
    assert.equal(pause?.type === 'action' ? pause.label : undefined, 'Resume');

    let before = tray.renders();
    await vault.setSecret('second', 'clientSecret', 'not a real secret');
    store.putProfile(acquiaProfile('second'));
    await clock.advance(0);
    assert.ok(tray.renders() > before, 'a new profile renders');
    assert.ok(findMenuItem(tray.presenter.model?.menu ?? [], 'profile:second') !== undefined);

    before = tray.renders();
    store.updateSettings({ startAtLogin: true });
    assert.ok(tray.renders() > before, 'a settings change renders');
    const startAtLogin = findMenuItem(tray.presenter.model?.menu ?? [], 'start-at-login');
    assert.equal(startAtLogin?.type === 'checkbox' ? startAtLogin.checked : undefined, true);

    updates.dispose();
    before = tray.renders();
    await engine.setPaused('aq', false);
    assert.equal(tray.renders(), before, 'nothing renders after dispose');
    await engine.stop();
  });

  it('only the activity that changes the tray counts', () => {
    const activity = (kind: 'token-issued' | 'refreshed' | 'client-added' | 'profile-added' | 'paused') =>
      changesTray({ type: 'activity', entry: { seq: 1, at: '2030-01-01T00:00:00.000Z', kind, profileId: 'aq' } });
    assert.equal(activity('token-issued'), false);
    assert.equal(activity('refreshed'), false);
    assert.equal(activity('client-added'), false);
    assert.equal(activity('profile-added'), true);
    assert.equal(activity('paused'), true);
    assert.equal(changesTray({ type: 'profile-removed', id: 'aq' }), true);
  });
});
