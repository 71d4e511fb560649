// The tray's notices about the fleet's Redis (main/core/desktop/fleet-notices.ts) against a real
// redis-server that is killed and started again: one notice when it has stayed away past the grace
// period, one when it answers again, nothing for a blip shorter than the grace, nothing with
// notifications switched off, and nothing from a cache no longer followed.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { systemClock } from '../../main/core/clock.js';
import { FleetNotices } from '../../main/core/desktop/fleet-notices.js';
import type { NotificationModel } from '../../main/core/desktop/notification-policy.js';
import { generateFleetKey } from '../../main/core/fleet/record-crypto.js';
import { openSharedCache } from '../../main/node/shared-cache/open.js';
import type { RedisSharedCache } from '../../main/node/shared-cache/redis-cache.js';
import { untilTrue } from '../support/poll.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';

const FLEET_KEY = generateFleetKey();

let redis: RedisServer;
before(async () => {
  redis = await startRedis();
});
after(async () => {
  await redis.close();
});

async function openCache(): Promise<RedisSharedCache> {
  const cache = await openSharedCache({ env: { TOKENTRAY_SHARED_CACHE: redis.url, TOKENTRAY_SHARED_KEY: FLEET_KEY } });
  assert.ok(cache !== null);
  assert.equal(cache.health().state, 'connected');
  return cache;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('the tray\'s fleet notices', () => {
  test('one notice when Redis stays away past the grace period, one when it is back', async () => {
    const cache = await openCache();
    const shown: NotificationModel[] = [];
    const notices = new FleetNotices({ clock: systemClock, show: (n) => shown.push(n), enabled: () => true, graceMs: 400 });
    try {
      notices.follow(cache);
      assert.equal(shown.length, 0, 'nothing while connected');
      await redis.kill();
      await untilTrue('the cache sees Redis gone', () => cache.health().state === 'unavailable');
      await untilTrue('the notice', () => shown.length > 0, { timeoutMs: 10_000 });
      // Well past the grace again: still one notice for one outage.
      await sleep(1_200);
      assert.equal(shown.length, 1);
      assert.equal(shown[0]!.kind, 'shared-cache-unavailable');
      assert.match(shown[0]!.body, new RegExp(`${redis.url.replace(/[.]/g, '\\.')} does not answer \\(.+\\)\\. This machine refreshes its tokens alone until it does\\.`));
      await redis.restart();
      await untilTrue('the cache rejoins', () => cache.health().state === 'connected', { timeoutMs: 15_000 });
      await untilTrue('the notice that it is back', () => shown.length === 2);
      assert.equal(shown[1]!.kind, 'shared-cache-back');
      assert.equal(shown[1]!.body, `Sharing tokens through ${redis.url} again.`);
    } finally {
      notices.dispose();
      await cache.close();
    }
  });

  test('a blip shorter than the grace period, notifications off, or a cache let go: no notice', async () => {
    const cache = await openCache();
    const quiet: NotificationModel[] = [];
    const off: NotificationModel[] = [];
    const letGo: NotificationModel[] = [];
    const patient = new FleetNotices({ clock: systemClock, show: (n) => quiet.push(n), enabled: () => true, graceMs: 60_000 });
    const switchedOff = new FleetNotices({ clock: systemClock, show: (n) => off.push(n), enabled: () => false, graceMs: 200 });
    const left = new FleetNotices({ clock: systemClock, show: (n) => letGo.push(n), enabled: () => true, graceMs: 200 });
    try {
      patient.follow(cache);
      switchedOff.follow(cache);
      left.follow(cache);
      // The fleet was left before Redis went away: that cache is nobody's concern any more.
      left.follow(null);
      await redis.kill();
      await untilTrue('the cache sees Redis gone', () => cache.health().state === 'unavailable');
      await sleep(800);
      await redis.restart();
      await untilTrue('the cache rejoins', () => cache.health().state === 'connected', { timeoutMs: 15_000 });
      await sleep(300);
      assert.deepEqual(quiet, [], 'a blip within the grace period says nothing');
      assert.deepEqual(off, [], 'notifications switched off');
      assert.deepEqual(letGo, [], 'a cache no longer followed');
    } finally {
      patient.dispose();
      switchedOff.dispose();
      left.dispose();
      await cache.close();
    }
  });
});
