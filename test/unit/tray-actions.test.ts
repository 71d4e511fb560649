// The tray's action switch (main/core/desktop/tray-actions.ts) and the notices that are not about expiry
// (main/core/desktop/notices.ts): each action reaches its port, tokens are asked for under the name `tray`,
// a failed copy says so with its own kind, and a broken config file has a kind of its own.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Settings } from '../../common/contract.js';
import { TokentrayError } from '../../main/core/errors.js';
import { configMovedAsideNotice, copyFailedNotice } from '../../main/core/desktop/notices.js';
import type { NotificationModel } from '../../main/core/desktop/notification-policy.js';
import { createTrayActions, TRAY_CLIENT } from '../../main/core/desktop/tray-actions.js';

function recordingPorts(fail: { copy?: Error; refresh?: Error } = {}) {
  const calls: string[] = [];
  const notices: NotificationModel[] = [];
  const warnings: Record<string, unknown>[] = [];
  const actions = createTrayActions({
    copy: async (profileId, format, client) => {
      calls.push(`copy ${profileId} ${format} ${client}`);
      if (fail.copy) throw fail.copy;
      return true;
    },
    engine: {
      refresh: async (profileId, options) => {
        calls.push(`refresh ${profileId} ${options?.client}`);
        if (fail.refresh) throw fail.refresh;
        return { accessToken: 'x', tokenType: 'Bearer', expiresAt: null, obtainedAt: 0, headers: {} } as never;
      },
      setPaused: async (profileId, paused) => {
        calls.push(`pause ${profileId} ${paused}`);
        return {} as never;
      },
    },
    store: {
      updateSettings: (patch: Partial<Settings>) => {
        calls.push(`settings ${JSON.stringify(patch)}`);
        return {} as Settings;
      },
    },
    openDashboard: (profileId) => calls.push(`open ${profileId ?? '-'}`),
    quit: () => calls.push('quit'),
    notify: (notice) => notices.push(notice),
    logger: { debug: () => undefined, info: () => undefined, error: () => undefined, warn: (_m, fields) => warnings.push(fields ?? {}) },
  });
  return { actions, calls, notices, warnings };
}

describe('tray actions', () => {
  it('each action reaches its port, and tokens are asked for as the tray', async () => {
    const { actions, calls, notices } = recordingPorts();
    await actions({ kind: 'copy', profileId: 'aq', format: 'curl' });
    await actions({ kind: 'refresh', profileId: 'aq' });
    await actions({ kind: 'pause', profileId: 'aq', paused: true });
    await actions({ kind: 'open-dashboard', profileId: 'aq' });
    await actions({ kind: 'open-dashboard' });
    await actions({ kind: 'start-at-login', enabled: true });
    await actions({ kind: 'quit' });
    assert.equal(TRAY_CLIENT, 'tray');
    assert.deepEqual(calls, [
      'copy aq curl tray',
      'refresh aq tray',
      'pause aq true',
      'open aq',
      'open -',
      'settings {"startAtLogin":true}',
      'quit',
    ]);
    assert.deepEqual(notices, []);
  });

  it('a failed copy is a copy-failed notice for that profile, with the error and its hint', async () => {
    const error = new TokentrayError('paused', 'The profile "aq" is paused.', { hint: 'Resume it first.' });
    const { actions, notices, warnings } = recordingPorts({ copy: error });
    await actions({ kind: 'copy', profileId: 'aq', format: 'token' });
    assert.deepEqual(notices, [{ kind: 'copy-failed', profileId: 'aq', title: 'Nothing was copied', body: 'The profile "aq" is paused. Resume it first.' }]);
    assert.deepEqual(warnings, [{ action: 'copy', kind: 'paused' }]);
  });

  it('a failed refresh is logged, not notified (the policy announces the profile\'s state)', async () => {
    const { actions, notices, warnings } = recordingPorts({ refresh: new TokentrayError('timeout', 'The token server did not answer in time.') });
    await actions({ kind: 'refresh', profileId: 'aq' });
    assert.deepEqual(notices, []);
    assert.deepEqual(warnings, [{ action: 'refresh', kind: 'timeout' }]);
  });
});

describe('notices that are not about expiry', () => {
  it('a broken config file has its own kind and no profile', () => {
    const notice = configMovedAsideNotice({ movedTo: '/cfg/config.json.broken-1', reason: 'not valid JSON' });
    assert.equal(notice.kind, 'config-moved-aside');
    assert.equal(notice.profileId, undefined);
    assert.match(notice.body, /moved aside to \/cfg\/config\.json\.broken-1 \(not valid JSON\)/);
  });

  it('a failed copy without a hint has just the message', () => {
    assert.deepEqual(copyFailedNotice('aq', { message: 'No token.' }), { kind: 'copy-failed', profileId: 'aq', title: 'Nothing was copied', body: 'No token.' });
  });
});
