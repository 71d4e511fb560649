import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ProfileState, ProfileStatus } from '../../common/contract.js';
import {
  TrayPresenter,
  buildTrayModel,
  findMenuItem,
  iconStateFor,
  tooltipFor,
  type TrayAction,
  type TrayMenuItem,
  type TrayView,
} from '../../main/core/desktop/tray-model.js';
import { STATE_LABELS } from '../../renderer/src/format.js';
import { statusFixture } from '../support/status-fixture.js';

function status(id: string, state: ProfileState, name = id.toUpperCase()): ProfileStatus {
  return statusFixture({
    id,
    name,
    provider: 'acquia',
    state,
    expiresAt: '2030-01-01T00:05:00.000Z',
    validUntil: '2030-01-01T00:04:55.000Z',
    obtainedAt: '2030-01-01T00:00:00.000Z',
    lastRefreshAt: '2030-01-01T00:00:00.000Z',
    nextRefreshAt: '2030-01-01T00:03:45.000Z',
    requestsLastHour: 1,
    requestsLastDay: 1,
  });
}

const settings = { startAtLogin: false };

describe('tray icon state', () => {
  it('is fresh with no profiles, only fresh ones, or only paused ones', () => {
    assert.equal(iconStateFor([]), 'fresh');
    assert.equal(iconStateFor([status('a', 'fresh'), status('b', 'fresh')]), 'fresh');
    assert.equal(iconStateFor([status('a', 'paused')]), 'fresh');
  });

  it('is warning when something is expiring or refreshing', () => {
    assert.equal(iconStateFor([status('a', 'fresh'), status('b', 'expiring')]), 'warning');
    assert.equal(iconStateFor([status('a', 'refreshing'), status('b', 'paused')]), 'warning');
  });

  it('is error when something failed or expired, whatever else is going on', () => {
    assert.equal(iconStateFor([status('a', 'expiring'), status('b', 'error')]), 'error');
    assert.equal(iconStateFor([status('a', 'fresh'), status('b', 'expired')]), 'error');
  });
});

describe('tray tooltip', () => {
  it('summarises counts per state, worst first, naming failing profiles', () => {
    const text = tooltipFor([status('a', 'fresh'), status('b', 'fresh'), status('c', 'error'), status('d', 'paused')]);
    assert.equal(text, 'Tokentray: 1 failing, 2 fresh, 1 paused (c)');
  });

  it("uses the dashboard's word for every state, in the tooltip and the menu", () => {
    for (const state of ['fresh', 'expiring', 'expired', 'refreshing', 'error', 'paused'] as const) {
      const word = STATE_LABELS[state].toLowerCase();
      assert.match(tooltipFor([status('a', state)]), new RegExp(`^Tokentray: 1 ${word}( \\(a\\))?$`), state);
      const menu = buildTrayModel([status('a', state, 'Alpha')], { startAtLogin: false }).menu;
      assert.ok(menu.some((item) => 'label' in item && item.label === `Alpha (${word})`), `${state}: ${JSON.stringify(menu.map((item) => ('label' in item ? item.label : '-')))}`);
    }
  });

  it('says when there are no profiles', () => {
    assert.equal(tooltipFor([]), 'Tokentray: no profiles yet');
  });

  it('stays within the 127 characters Windows shows', () => {
    const many = Array.from({ length: 40 }, (_, i) => status(`failing-profile-${i}`, 'error'));
    assert.ok(tooltipFor(many).length <= 127);
  });
});

describe('tray menu model', () => {
  it('has one submenu per profile with the docs/desktop.md items, then dashboard, start at login and quit', () => {
    const model = buildTrayModel([status('b', 'fresh', 'Beta'), status('a', 'error', 'Alpha')], settings);
    const labels = model.menu.map((item) => (item.type === 'separator' ? '---' : item.label));
    assert.deepEqual(labels, ['Alpha (failing)', 'Beta (fresh)', '---', 'Open dashboard', 'Start at login', '---', 'Quit Tokentray']);
    const alpha = model.menu[0] as Extract<TrayMenuItem, { type: 'submenu' }>;
    assert.equal(alpha.type, 'submenu');
    assert.deepEqual(
      alpha.items.map((item) => (item.type === 'separator' ? '---' : item.label)),
      ['Copy token', 'Copy Authorization header', 'Copy curl example', '---', 'Refresh now', 'Pause', 'Show in dashboard'],
    );
    assert.deepEqual(findMenuItem(model.menu, 'profile:a:copy-token'), {
      type: 'action',
      id: 'profile:a:copy-token',
      label: 'Copy token',
      enabled: true,
      action: { kind: 'copy', profileId: 'a', format: 'token' },
    });
    assert.deepEqual((findMenuItem(model.menu, 'profile:a:copy-curl') as { action: unknown }).action, {
      kind: 'copy',
      profileId: 'a',
      format: 'curl',
    });
    assert.deepEqual((findMenuItem(model.menu, 'profile:b:pause') as { action: unknown }).action, {
      kind: 'pause',
      profileId: 'b',
      paused: true,
    });
    assert.equal(model.icon, 'error');
  });

  it('offers Resume for a paused profile and greys out copying and refreshing', () => {
    const model = buildTrayModel([status('a', 'paused')], settings);
    const pause = findMenuItem(model.menu, 'profile:a:pause');
    assert.equal(pause?.type === 'action' && pause.label, 'Resume');
    assert.deepEqual(pause?.type === 'action' && pause.action, { kind: 'pause', profileId: 'a', paused: false });
    for (const id of ['profile:a:copy-token', 'profile:a:copy-header', 'profile:a:copy-curl', 'profile:a:refresh']) {
      const item = findMenuItem(model.menu, id);
      assert.equal(item?.type === 'action' && item.enabled, false, id);
    }
  });

  it('reflects and toggles the start-at-login setting as a checkbox', () => {
    const off = findMenuItem(buildTrayModel([], { startAtLogin: false }).menu, 'start-at-login');
    const on = findMenuItem(buildTrayModel([], { startAtLogin: true }).menu, 'start-at-login');
    assert.deepEqual(off, { type: 'checkbox', id: 'start-at-login', label: 'Start at login', checked: false, action: { kind: 'start-at-login', enabled: true } });
    assert.equal(on?.type === 'checkbox' && on.checked, true);
    assert.deepEqual(on?.type === 'checkbox' && on.action, { kind: 'start-at-login', enabled: false });
  });

  it('shows a disabled hint when there are no profiles', () => {
    const item = findMenuItem(buildTrayModel([], settings).menu, 'no-profiles');
    assert.equal(item?.type === 'action' && item.enabled, false);
  });

  it('keeps the menu key when only times or counters change, so the native menu is not rebuilt', () => {
    const before = buildTrayModel([status('a', 'fresh')], settings);
    const later = { ...status('a', 'fresh'), expiresAt: '2030-01-01T00:10:00.000Z', requestsLastHour: 7, lastRefreshAt: '2030-01-01T00:05:00.000Z' };
    assert.equal(buildTrayModel([later], settings).menuKey, before.menuKey);
  });

  it('changes the menu key when a state, a name, the profile list or a setting changes', () => {
    const base = buildTrayModel([status('a', 'fresh')], settings).menuKey;
    const keys = [
      buildTrayModel([status('a', 'error')], settings).menuKey,
      buildTrayModel([status('a', 'fresh', 'Renamed')], settings).menuKey,
      buildTrayModel([status('a', 'fresh'), status('b', 'fresh')], settings).menuKey,
      buildTrayModel([status('a', 'fresh')], { startAtLogin: true }).menuKey,
    ];
    for (const key of keys) assert.notEqual(key, base);
    assert.equal(new Set(keys).size, keys.length);
  });
});

describe('tray presenter', () => {
  function recordingView() {
    const calls: string[] = [];
    const view: TrayView = {
      setIcon: (state) => calls.push(`icon:${state}`),
      setTooltip: (text) => calls.push(`tooltip:${text}`),
      setMenu: (menu) => calls.push(`menu:${menu.length}`),
    };
    return { calls, view };
  }

  it('sets everything once, then only what changed', () => {
    const { calls, view } = recordingView();
    const presenter = new TrayPresenter(view, () => undefined);
    presenter.update([status('a', 'fresh')], settings);
    assert.deepEqual(calls, ['icon:fresh', 'tooltip:Tokentray: 1 fresh', 'menu:6']);
    calls.length = 0;
    presenter.update([{ ...status('a', 'fresh'), expiresAt: '2031-01-01T00:00:00.000Z' }], settings);
    assert.deepEqual(calls, []);
    presenter.update([status('a', 'error')], settings);
    assert.deepEqual(calls, ['icon:error', 'tooltip:Tokentray: 1 failing (a)', 'menu:6']);
    calls.length = 0;
    presenter.update([status('a', 'error')], { startAtLogin: true });
    assert.deepEqual(calls, ['menu:6']);
  });

  it('runs the action of an enabled item and ignores disabled, unknown and structural ones', async () => {
    const actions: TrayAction[] = [];
    const presenter = new TrayPresenter(recordingView().view, async (action) => {
      actions.push(action);
    });
    assert.equal(await presenter.trigger('quit'), false); // no model yet
    presenter.update([status('a', 'fresh'), status('p', 'paused')], settings);
    assert.equal(await presenter.trigger('profile:a:copy-header'), true);
    assert.equal(await presenter.trigger('profile:p:copy-token'), false);
    assert.equal(await presenter.trigger('profile:a'), false);
    assert.equal(await presenter.trigger('sep-app'), false);
    assert.equal(await presenter.trigger('nope'), false);
    assert.equal(await presenter.trigger('start-at-login'), true);
    assert.deepEqual(actions, [
      { kind: 'copy', profileId: 'a', format: 'header' },
      { kind: 'start-at-login', enabled: true },
    ]);
  });
});

describe('tray while the file vault is locked', () => {
  it('says "locked" in the tooltip and the menu, offers the dashboard, and shows no profile', () => {
    const model = buildTrayModel([status('a', 'fresh')], settings, true);
    assert.match(model.tooltip, /locked/);
    assert.equal(model.icon, 'warning');
    const first = model.menu[0];
    assert.ok(first && first.type === 'action');
    assert.match(first.label, /^Locked/);
    assert.deepEqual(first.action, { kind: 'open-dashboard' });
    assert.equal(findMenuItem(model.menu, 'profile:a'), undefined);
    assert.ok(findMenuItem(model.menu, 'quit'));
    const unlocked = buildTrayModel([status('a', 'fresh')], settings);
    assert.doesNotMatch(unlocked.tooltip, /locked/);
  });
});
