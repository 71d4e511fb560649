// The notification wiring (main/core/desktop/notification-wiring.ts): engine events reach the real policy,
// its decisions reach the notifier, the current states are announced once at start, and dispose
// stops all of it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EngineEvent, ErrorInfo, ProfileStatus } from '../../common/contract.js';
import { setupNotifications } from '../../main/core/desktop/notification-wiring.js';
import { NotificationPolicy, type NotificationModel } from '../../main/core/desktop/notification-policy.js';
import { FakeClock } from '../support/fake-clock.js';
import { statusFixture } from '../support/status-fixture.js';

const T0 = Date.parse('2030-01-01T00:00:00.000Z');
const rejected: ErrorInfo = { kind: 'invalid_client', message: 'The client id or secret was rejected.', hint: 'Edit the profile.' };

describe('notification wiring', () => {
  it('feeds the policy from the engine and shows what it decides, until disposed', () => {
    const listeners = new Set<(event: EngineEvent) => void>();
    const emit = (event: EngineEvent): void => {
      for (const listener of listeners) listener(event);
    };
    const failing: ProfileStatus = statusFixture({ id: 'old', name: 'Old', provider: 'acquia', state: 'error', expiresAt: null, lastError: rejected });
    const engine = {
      statuses: () => [failing],
      onDidEmit: (listener: (event: EngineEvent) => void) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    };
    const policy = new NotificationPolicy({ clock: new FakeClock(T0), getSettings: () => ({ leadTimeSec: 300, notifications: true }) });
    const shown: NotificationModel[] = [];
    const wiring = setupNotifications({ engine, policy, show: (n) => shown.push(n) });

    wiring.announceCurrent();
    assert.deepEqual(shown.map((n) => [n.kind, n.profileId]), [['credentials-rejected', 'old']]);

    const next = statusFixture({ id: 'new', name: 'New', provider: 'acquia', state: 'error', expiresAt: null, lastError: rejected });
    emit({ type: 'profile', status: next, previous: 'fresh', recovered: false });
    assert.deepEqual(shown.map((n) => n.profileId), ['old', 'new']);

    wiring.dispose();
    assert.equal(listeners.size, 0);
    emit({ type: 'profile', status: { ...next, id: 'third' }, previous: 'fresh', recovered: false });
    assert.equal(shown.length, 2);
  });
});
