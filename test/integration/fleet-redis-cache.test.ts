// The Redis side of the fleet on its own, against a real redis-server: waiters told by pub/sub (and
// still finishing by polling when pub/sub is refused), and deadlines that a loaded machine does not
// turn into an unavailable cache while a hung Redis still becomes one.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { redisKeys } from '../../main/core/fleet/cache-key.js';
import { generateFleetKey, parseFleetKey, sealRecord, type FleetKeys } from '../../main/core/fleet/record-crypto.js';
import { RedisSharedCache } from '../../main/node/shared-cache/redis-cache.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';

const KEYS: FleetKeys = { current: parseFleetKey(generateFleetKey(), 'test'), previous: null };

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !check(); i += 1) await new Promise((r) => setTimeout(r, 50));
  assert.ok(check(), what);
}

describe('the shared cache over a real Redis', () => {
  let redis: RedisServer;
  const caches: RedisSharedCache[] = [];

  async function open(url = redis.url, pollEveryMs?: number): Promise<RedisSharedCache> {
    const cache = new RedisSharedCache({ url, location: redis.url, keys: KEYS, ...(pollEveryMs === undefined ? {} : { pollEveryMs }) });
    caches.push(cache);
    await cache.connect(5_000);
    assert.equal(cache.health().state, 'connected');
    return cache;
  }

  function sealed(key: string, until: number): string {
    return sealRecord(KEYS.current, key, 'token', until, { accessToken: 'a', tokenType: 'Bearer', headers: {}, obtainedAt: Date.now(), expiresAt: until });
  }

  before(async () => {
    redis = await startRedis({ extraArgs: ['--enable-debug-command', 'local'] });
    // A user limited to Tokentray's keys and no pub/sub channel (Redis 7's default for a new user).
    await redis.client().call('ACL', 'SETUSER', 'nochannels', 'on', '>pw', '~tokentray:*', 'resetchannels', '+@all');
  });
  after(async () => {
    await Promise.all(caches.splice(0).map((c) => c.close()));
    await redis.close();
  });

  it('wakes a waiter with the publish of the new record, not by polling', async () => {
    const waiter = await open(redis.url, 600_000);
    const writer = await open();
    await until(() => waiter.toldByPubSub, 'the waiter subscribed');
    const key = 'a'.repeat(64);
    await redis.client().set(redisKeys(key).lock, 'someone', 'PX', 60_000);
    const waiting = waiter.waitForToken(key, 0, 30_000);
    const expiresAt = Date.now() + 60_000;
    const record = sealed(key, expiresAt);
    assert.equal(await writer.putToken(key, record, expiresAt, null), true);
    // With a poll of ten minutes and a wait of 30 s, only the publish can bring the record this soon.
    assert.equal(await waiting, record);
    assert.ok(waiter.stats.wokenByPublish >= 1);
  });

  it('wakes a waiter when the lock holder lets go without a record', async () => {
    const waiter = await open(redis.url, 600_000);
    const holder = await open();
    await until(() => waiter.toldByPubSub, 'the waiter subscribed');
    const key = 'b'.repeat(64);
    assert.equal(await holder.acquireLock(key, 'me', 60_000), true);
    const waiting = waiter.waitForToken(key, 0, 30_000);
    assert.equal(await holder.releaseLock(key, 'me'), true);
    assert.equal(await waiting, null, 'no record: the waiter looks again itself');
  });

  it('still finishes by polling when the ACL refuses pub/sub', async () => {
    const url = `redis://nochannels:pw@127.0.0.1:${redis.port}`;
    const waiter = await open(url);
    const writer = await open(url);
    // Give the subscription its chance to fail; it must not count as subscribed.
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(waiter.toldByPubSub, false);
    const key = 'c'.repeat(64);
    await redis.client().set(redisKeys(key).lock, 'someone', 'PX', 60_000);
    const waiting = waiter.waitForToken(key, 0, 30_000);
    const expiresAt = Date.now() + 60_000;
    const record = sealed(key, expiresAt);
    assert.equal(await writer.putToken(key, record, expiresAt, null), true, 'the write does not depend on the publish');
    assert.equal(await waiting, record);
    assert.equal(waiter.stats.wokenByPublish, 0);
  });

  it('takes an answer that came in time even when the process ran late, and stays connected', async () => {
    const cache = await open();
    const key = 'd'.repeat(64);
    const read = await new Promise<Promise<unknown>>((resolve) => {
      setImmediate(() => {
        const pending = cache.read(key);
        // The process does not run for 400 ms (a loaded machine): the answer waits in the socket
        // while the 250 ms deadline's timer is due first.
        const end = Date.now() + 400;
        while (Date.now() < end);
        resolve(pending);
      });
    });
    assert.deepEqual(await read, { token: null, stop: null, cool: null });
    assert.equal(cache.health().state, 'connected');
    assert.equal(cache.stats.deadlineMissed, 0);
  });

  it('fails one late call without leaving the fleet, and marks a hung Redis unavailable', async () => {
    const cache = await open();
    const key = 'e'.repeat(64);
    const slow = redis.client();
    // Redis itself busy for 600 ms: the read misses its deadline, the confirming ping is answered.
    const sleeping = slow.call('DEBUG', 'SLEEP', '0.6');
    await new Promise((r) => setTimeout(r, 50));
    await assert.rejects(cache.read(key), /did not answer within 250 ms/);
    await sleeping;
    await new Promise((r) => setTimeout(r, 1_200));
    assert.equal(cache.health().state, 'connected', 'one late answer does not make the cache unavailable');
    redis.pause();
    try {
      await assert.rejects(cache.read(key), /did not answer within 250 ms/);
      await until(() => cache.health().state === 'unavailable', 'a hung Redis is marked unavailable');
    } finally {
      redis.resume();
    }
    await until(() => cache.health().state === 'connected', 'the cache rejoins when Redis answers');
  });
});
