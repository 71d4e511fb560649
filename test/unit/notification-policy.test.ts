import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { FakeClock } from '../support/fake-clock.js';
import type { ErrorInfo, ProfileState, ProfileStatus, Settings } from '../../common/contract.js';
import { NotificationPolicy, type NotificationModel } from '../../main/core/desktop/notification-policy.js';
import { statusFixture } from '../support/status-fixture.js';
import { createHarness } from '../support/engine-harness.js';

const T0 = Date.parse('2030-01-01T00:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();
const timeout: ErrorInfo = { kind: 'timeout', message: 'The token server did not answer in time.', hint: 'Check your network.' };
const rejected: ErrorInfo = { kind: 'invalid_client', message: 'The client id or secret was rejected.', hint: 'Edit the profile.' };

function status(state: ProfileState, expiresAt: number | null, lastError: ErrorInfo | null = null, id = 'acquia-prod'): ProfileStatus {
  return statusFixture({ id, name: 'Acquia prod', provider: 'acquia', state, expiresAt: expiresAt === null ? null : iso(expiresAt), lastError });
}

describe('notification policy', () => {
  let clock: FakeClock;
  let settings: Pick<Settings, 'leadTimeSec' | 'notifications'>;
  let policy: NotificationPolicy;
  let shown: NotificationModel[];
  const feed = (s: ProfileStatus, recovered = false, previous: ProfileState | null = null) =>
    policy.handle({ type: 'profile', status: s, previous, recovered });

  beforeEach(() => {
    clock = new FakeClock(T0);
    settings = { leadTimeSec: 300, notifications: true };
    policy = new NotificationPolicy({ clock, getSettings: () => settings });
    shown = [];
    policy.onDidNotify((n) => shown.push(n));
  });

  it('says nothing while everything is fresh', async () => {
    feed(status('fresh', T0 + 3600_000));
    feed(status('refreshing', T0 + 3600_000));
    feed(status('fresh', T0 + 7200_000));
    assert.equal(shown.length, 0);
  });

  it('notifies once when a refresh fails within the lead time, however often the retries fail', async () => {
    const expiresAt = T0 + 120_000; // 2 min left, lead time 5 min
    feed(status('error', expiresAt, timeout));
    feed(status('refreshing', expiresAt, timeout));
    feed(status('error', expiresAt, timeout));
    feed(status('refreshing', expiresAt, null));
    feed(status('error', expiresAt, timeout));
    assert.equal(shown.length, 1);
    assert.equal(shown[0]?.kind, 'expiring');
    assert.equal(shown[0]?.profileId, 'acquia-prod');
    assert.match(shown[0]?.title ?? '', /Acquia prod/);
    assert.match(shown[0]?.body ?? '', /did not answer in time/);
  });


  it('notifies expired once, even when the engine reports it again', async () => {
    feed(status('expired', T0 - 1000, timeout));
    feed(status('refreshing', T0 - 1000, timeout));
    feed(status('expired', T0 - 1000, timeout));
    assert.deepEqual(shown.map((n) => n.kind), ['expired']);
  });

  it('notifies credentials rejected once, and not again when the token then expires', async () => {
    feed(status('error', T0 + 60_000, rejected));
    await clock.advance(120_000);
    feed(status('expired', T0 + 60_000, rejected));
    assert.deepEqual(shown.map((n) => n.kind), ['credentials-rejected']);
    assert.match(shown[0]?.body ?? '', /rejected/);
  });

  it('notifies recovered once after an announced problem, and nothing after a silent one', async () => {
    feed(status('error', T0 + 3600_000, timeout)); // far from expiry: not announced
    feed(status('fresh', T0 + 7200_000), true);
    assert.equal(shown.length, 0);

    feed(status('expired', T0 - 1, timeout));
    feed(status('fresh', T0 + 3600_000), true);
    feed(status('fresh', T0 + 3600_000), false);
    assert.deepEqual(shown.map((n) => n.kind), ['expired', 'recovered']);
    assert.equal(shown[1]?.profileId, 'acquia-prod');
  });

  it('announces a problem again after a recovery (a new change of state)', async () => {
    feed(status('expired', T0 - 1, timeout));
    feed(status('fresh', T0 + 3600_000), true);
    feed(status('expired', T0 - 1, timeout));
    assert.deepEqual(shown.map((n) => n.kind), ['expired', 'recovered', 'expired']);
  });

  it('keeps profiles apart', async () => {
    feed(status('expired', T0 - 1, timeout, 'a'));
    feed(status('expired', T0 - 1, timeout, 'b'));
    feed(status('expired', T0 - 1, timeout, 'a'));
    assert.deepEqual(shown.map((n) => n.profileId), ['a', 'b']);
  });

  it('stays silent for paused profiles and for removed ones, and sets no timers of its own', async () => {
    feed(status('paused', T0 + 60_000, timeout));
    assert.equal(shown.length, 0);
    feed(status('error', T0 + 3600_000, timeout, 'gone'));
    assert.equal(clock.pendingTimers(), 0, 'the engine wakes at the boundaries, not the policy');
    policy.handle({ type: 'profile-removed', id: 'gone' });
    assert.equal(clock.pendingTimers(), 0);
    await clock.advance(7200_000);
    assert.equal(shown.length, 0);
  });

  it('uses the current lead time', async () => {
    settings = { leadTimeSec: 1800, notifications: true };
    feed(status('error', T0 + 1200_000, timeout));
    assert.deepEqual(shown.map((n) => n.kind), ['expiring']);
  });

  it('shows nothing when notifications are switched off', async () => {
    settings = { leadTimeSec: 300, notifications: false };
    feed(status('expired', T0 - 1, timeout));
    feed(status('fresh', T0 + 3600_000), true);
    assert.equal(shown.length, 0);
  });

  it('judges expiry by validUntil, the moment the engine stops handing the token out', async () => {
    // 4 s before the token's own expiry the engine no longer hands it out: that is expired.
    feed(statusFixture({ id: 'a', name: 'A', provider: 'acquia', state: 'error', expiresAt: iso(T0 + 4000), validUntil: iso(T0 - 1000), lastError: timeout }));
    assert.deepEqual(shown.map((n) => n.kind), ['expired']);
  });

  it('dispose forgets every profile and listener', async () => {
    feed(status('error', T0 + 3600_000, timeout));
    policy.dispose();
    feed(status('expired', T0 - 1, timeout));
    assert.equal(shown.length, 0);
    assert.equal(clock.pendingTimers(), 0);
  });
});

describe('notification policy fed by the engine', () => {
  it('does not notify a failure while the token is still valid beyond the lead time, then does when the lead time begins', async () => {
    // Acquia's 300 s tokens (seed 002), renewed at 225 s; with a 60 s lead the warning is due at 240 s.
    const { clock, endpoint, engine, store } = await createHarness({ random: () => 0.5 });
    store.updateSettings({ leadTimeSec: 60 });
    const policy = new NotificationPolicy({ clock, getSettings: () => store.getSettings() });
    const shown: NotificationModel[] = [];
    policy.onDidNotify((n) => shown.push(n));
    engine.onDidEmit((event) => policy.handle(event));
    await engine.start();
    await clock.advance(0);
    const t0 = clock.now();
    endpoint.mode = 'unavailable';
    endpoint.retryAfterSec = 3600; // no retry before the token runs out
    await clock.advance(230_000); // the renewal at 225 s failed
    assert.equal(engine.status('aq')?.lastError?.kind !== undefined, true);
    assert.equal(shown.length, 0);
    await clock.advance(t0 + 240_000 - 1 - clock.now());
    assert.equal(shown.length, 0);
    await clock.advance(1);
    assert.deepEqual(shown.map((n) => n.kind), ['expiring']);
    await clock.advance(60_000);
    assert.deepEqual(shown.map((n) => n.kind), ['expiring', 'expired']);
    await clock.advance(3600_000);
    assert.equal(shown.length, 2);
    await engine.stop();
  });

  it('says nothing for a profile removed before its lead time begins', async () => {
    const { clock, endpoint, engine, store } = await createHarness({ random: () => 0.5 });
    store.updateSettings({ leadTimeSec: 60 });
    const policy = new NotificationPolicy({ clock, getSettings: () => store.getSettings() });
    const shown: NotificationModel[] = [];
    policy.onDidNotify((n) => shown.push(n));
    engine.onDidEmit((event) => policy.handle(event));
    await engine.start();
    await clock.advance(0);
    endpoint.mode = 'unavailable';
    endpoint.retryAfterSec = 3600;
    await clock.advance(230_000);
    await engine.removeProfile('aq');
    await clock.advance(7200_000);
    assert.equal(shown.length, 0);
    await engine.stop();
  });
});
