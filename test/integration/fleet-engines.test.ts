// The fleet's rules with real parts and many engines in one process: a real redis-server (its own
// port), a local OAuth token endpoint that counts requests, and one TokenEngine per "machine", each
// with its own store, vault and Redis connection. Every fault here is real: a record changed in
// Redis, a machine with another fleet key, a lock left by a dead holder, Redis SIGSTOPped and
// SIGKILLed. Each checks that nothing expired is served and that every demand is answered in time.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { ProfileConfig } from '../../common/contract.js';
import { systemClock } from '../../main/core/clock.js';
import { BackgroundScheduler } from '../../main/core/engine/scheduler.js';
import { TokenEngine } from '../../main/core/engine/token-engine.js';
import { cacheKeyOf, redisKeys } from '../../main/core/fleet/cache-key.js';
import { generateFleetKey, parseFleetKey, sealRecord, type FleetKeys } from '../../main/core/fleet/record-crypto.js';
import { resolveProfile } from '../../main/core/profiles.js';
import { createProviderRegistry } from '../../main/core/providers/index.js';
import type { TokentrayError } from '../../main/core/errors.js';
import type { Token } from '../../main/core/types.js';
import { RedisSharedCache } from '../../main/node/shared-cache/redis-cache.js';
import { MemoryStore } from '../support/memory-store.js';
import { MemoryVault } from '../support/memory-vault.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { startProviderServer, type ProviderServer } from '../support/servers/index.js';

const KEYS: FleetKeys = { current: parseFleetKey(generateFleetKey(), 'test'), previous: null };

interface Machine {
  engine: TokenEngine;
  cache: RedisSharedCache;
  id: string;
}

describe('the fleet, engine by engine, against a real Redis', () => {
  let redis: RedisServer;
  let server: ProviderServer;
  const machines: Machine[] = [];
  let serial = 0;

  async function machine(options: { secret?: string; keys?: FleetKeys; sharedOnly?: boolean; profile?: Partial<ProfileConfig>; random?: () => number; background?: boolean } = {}): Promise<Machine> {
    serial += 1;
    // Every machine names the profile differently: the fleet shares by credential, not by id.
    const id = `m${serial}`;
    const profile: ProfileConfig = { ...server.profile({ id, name: id, timeoutMs: 2_000 }), ...(options.sharedOnly ? { sharedOnly: true } : {}), ...options.profile };
    const vault = new MemoryVault();
    if (!options.sharedOnly) await vault.setSecret(id, 'clientSecret', options.secret ?? server.credentials.clientSecret);
    const cache = new RedisSharedCache({ url: redis.url, location: redis.url, keys: options.keys ?? KEYS });
    await cache.connect();
    const engine = new TokenEngine({ store: new MemoryStore([profile]), vault, providers: createProviderRegistry(), clock: systemClock, fetch: (i, init) => fetch(i, init), sharedCache: cache, options: { waitMs: 5_000 }, ...(options.random ? { random: options.random } : {}), ...(options.background ? { scheduler: new BackgroundScheduler({ clock: systemClock }) } : {}) });
    await engine.start();
    const made = { engine, cache, id };
    machines.push(made);
    return made;
  }

  /** A demand, timed; a token handed out must be valid at the moment it is answered. */
  async function demand(m: Machine, boundMs: number): Promise<Token> {
    const started = Date.now();
    const token = await m.engine.getToken(m.id);
    const took = Date.now() - started;
    assert.ok(took <= boundMs, `a demand took ${took} ms, more than its bound of ${boundMs} ms`);
    assert.ok(token.expiresAt !== null && token.expiresAt > Date.now(), 'an expired token was handed out');
    const issued = server.issued.find((t) => t.accessToken === token.accessToken);
    assert.ok(issued !== undefined, 'the token handed out is not one the server issued');
    return token;
  }

  function tokenKey(): string {
    return redisKeys(cacheKeyOf(resolveProfile(server.profile()))!).token;
  }

  before(async () => {
    redis = await startRedis();
  });
  beforeEach(async () => {
    await Promise.all(machines.splice(0).map(async (m) => {
      await m.engine.stop();
      await m.cache.close();
    }));
    await server?.close();
    server = await startProviderServer('oauth2', { lifetimeSec: 120 });
    await redis.client().flushall();
  });
  after(async () => {
    await Promise.all(machines.splice(0).map(async (m) => {
      await m.engine.stop();
      await m.cache.close();
    }));
    await server?.close();
    await redis.close();
  });

  it('spends one upstream request for five machines asking at once, and each adopts the same token', async () => {
    const fleet = await Promise.all([1, 2, 3, 4, 5].map(() => machine()));
    const tokens = await Promise.all(fleet.map((m) => demand(m, 3_000)));
    assert.equal(server.tokenRequestCount(), 1);
    assert.equal(new Set(tokens.map((t) => t.accessToken)).size, 1);
    // The reasons counted for the benchmark: one request, made holding the lock over an empty cache.
    const tallies = fleet.map((m) => m.engine.sharedFleet!.tally);
    assert.equal(tallies.reduce((sum, t) => sum + t.upstreamNoRecord, 0), 1);
    assert.equal(tallies.reduce((sum, t) => sum + t.upstreamWithLock + t.aloneCallFailed + t.aloneLockOutlived + t.aloneUnavailable, 0), 1);
    // Only the machine that asked counts a request of its own; the fleet's count says 1 for all.
    const statuses = fleet.map((m) => m.engine.status(m.id)!);
    assert.equal(statuses.reduce((sum, s) => sum + s.requestsLastHour, 0), 1);
    const view = await fleet[0]!.engine.sharedFleet!.view(resolveProfile(server.profile()));
    assert.deepEqual(view.counts, { requestsLastHour: 1, requestsLastDay: 1 });
    assert.equal(view.lockMs, null, 'the lock was released');
  });

  it('machines holding the fleet\'s token renew it at one moment, whatever their own random draws', async () => {
    // Draws at both ends of the jitter: each machine alone would renew 5% of the lifetime apart, and
    // the fleet would renew at the earliest of them.
    const [low, high] = await Promise.all([machine({ random: () => 0, background: true }), machine({ random: () => 0.999, background: true })]);
    const [a, b] = await Promise.all([demand(low!, 3_000), demand(high!, 3_000)]);
    assert.equal(a.accessToken, b.accessToken);
    assert.equal(server.tokenRequestCount(), 1);
    const next = [low!, high!].map((m) => m.engine.status(m.id)!.nextRefreshAt);
    assert.ok(next[0] !== null, 'a renewal is scheduled');
    assert.equal(next[0], next[1], 'both renew at the same moment');
  });

  it('never reads Redis for a demand that finds a valid local token', async () => {
    const m = await machine();
    await demand(m, 3_000);
    redis.pause();
    try {
      for (let i = 0; i < 20; i += 1) await demand(m, 50);
      assert.equal(m.cache.health().state, 'connected', 'no Redis call was made, so none failed');
    } finally {
      redis.resume();
    }
  });

  it('ignores, counts and replaces a record changed in Redis, and never serves it', async () => {
    const first = await machine();
    const good = await demand(first, 3_000);
    const client = redis.client();
    const sealed = (await client.get(tokenKey()))!;
    const parts = sealed.split('.');
    const body = Buffer.from(parts[5]!, 'base64url');
    body[3] = body[3]! ^ 0xff;
    const tampered = [...parts.slice(0, 5), body.toString('base64url')].join('.');
    await client.set(tokenKey(), tampered, 'PX', 60_000);
    const second = await machine();
    const token = await demand(second, 3_000);
    assert.notEqual(token.accessToken, good.accessToken, 'the tampered record was not used');
    assert.equal(server.tokenRequestCount(), 2);
    assert.equal(second.engine.sharedFleet!.unreadable.tampered >= 1, true);
    const replaced = await client.get(tokenKey());
    assert.notEqual(replaced, tampered, 'the tampered record was replaced');
    const third = await machine();
    assert.equal((await demand(third, 3_000)).accessToken, token.accessToken);
    assert.equal(server.tokenRequestCount(), 2);
  });

  it('reports a machine with the wrong fleet key and never serves its record as a token', async () => {
    const wrongKeys: FleetKeys = { current: parseFleetKey(generateFleetKey(), 'test'), previous: null };
    const stranger = await machine({ keys: wrongKeys });
    const theirs = await demand(stranger, 3_000);
    const ours = await machine();
    const token = await demand(ours, 3_000);
    assert.notEqual(token.accessToken, theirs.accessToken);
    assert.ok(ours.engine.sharedFleet!.unreadable['foreign-key'] >= 1, 'the foreign record was counted');
    const view = await machine({ keys: wrongKeys }).then((m) => m.engine.sharedFleet!.view(resolveProfile(server.profile())));
    assert.equal(view.unreadable, 'foreign-key', 'status names a record of another key');
  });

  it('waits out a lock left by a dead holder, then one machine refreshes', async () => {
    const key = cacheKeyOf(resolveProfile(server.profile()))!;
    // What a machine killed in the middle of its request leaves behind: its lock, and no record.
    await redis.client().set(redisKeys(key).lock, 'dead-owner', 'PX', 1_500);
    const fleet = await Promise.all([machine(), machine(), machine()]);
    const tokens = await Promise.all(fleet.map((m) => demand(m, 4_500)));
    assert.equal(new Set(tokens.map((t) => t.accessToken)).size, 1);
    assert.equal(server.tokenRequestCount(), 1, 'nobody asked while the lock held, and then only one');
  });

  it('keeps its own valid token past a wait that ran out, and adopts the slow holder\'s record instead of asking alone', async () => {
    // A 400 ms provider timeout makes the lock 2.4 s and the old give-up point 7.4 s after the wait began.
    const m = await machine({ profile: { timeoutMs: 400 } });
    const own = await demand(m, 3_000);
    const profile = resolveProfile(server.profile({ id: m.id, name: m.id, timeoutMs: 400 }));
    const key = cacheKeyOf(profile)!;
    // Another machine holds the lock and is slow (a loaded box): its lock outlives the waiter's old bound.
    await redis.client().set(redisKeys(key).lock, 'slow-holder', 'PX', 60_000);
    const upstreamAt: number[] = [];
    const started = Date.now();
    const waiting = m.engine.sharedFleet!.obtain({
      profile,
      current: own,
      forced: false,
      sharedOnly: false,
      signal: new AbortController().signal,
      secrets: async () => ({ clientSecret: server.credentials.clientSecret }),
      upstream: async () => {
        upstreamAt.push(Date.now() - started);
        return { accessToken: 'alone', tokenType: 'Bearer', headers: { authorization: 'Bearer alone' }, obtainedAt: Date.now(), expiresAt: Date.now() + 120_000 };
      },
    });
    let settled = false;
    void waiting.then(() => (settled = true), () => (settled = true));
    await new Promise((resolve) => setTimeout(resolve, 8_500));
    assert.deepEqual(upstreamAt, [], 'a machine whose token is valid for minutes did not go upstream beside the holder');
    assert.equal(settled, false, 'it is still waiting for the fleet');
    assert.ok(m.engine.sharedFleet!.tally.waitedAgain >= 1);
    assert.equal((await demand(m, 50)).accessToken, own.accessToken, 'its demands are answered from its own token meanwhile');
    // The slow holder finishes: its record (newer than the waiter's) appears and the lock goes.
    const now = Date.now();
    const newer = { accessToken: 'from-the-holder', tokenType: 'Bearer', headers: { authorization: 'Bearer from-the-holder' }, obtainedAt: now, expiresAt: now + 120_000 };
    await redis.client().set(redisKeys(key).token, sealRecord(KEYS.current, key, 'token', newer.expiresAt, newer), 'PX', 120_000);
    await redis.client().del(redisKeys(key).lock);
    const adopted = await waiting;
    assert.equal(adopted.accessToken, 'from-the-holder');
    assert.deepEqual(upstreamAt, []);
    assert.equal(server.tokenRequestCount(), 1);
  });

  it('shares the token of a machine that gave up on a slow holder, so the next one waiting adopts it instead of asking too', async () => {
    const [a, b] = await Promise.all([machine(), machine()]);
    const profile = resolveProfile(server.profile({ id: a.id, name: a.id }));
    const key = cacheKeyOf(profile)!;
    // A holder on a starved machine keeps the lock while both waiters' own tokens run down.
    await redis.client().set(redisKeys(key).lock, 'slow-holder', 'PX', 60_000);
    const upstreamBy: string[] = [];
    const now = Date.now();
    // Valid until expiresAt - 5 s; each goes alone 1 s before that: `a` at about 0.6 s, `b` at about 4 s.
    const expiring = (ms: number): Token => ({ accessToken: `old-${ms}`, tokenType: 'Bearer', headers: { authorization: `Bearer old-${ms}` }, obtainedAt: now - 100_000, expiresAt: now + ms });
    const wait = (m: Machine, current: Token): Promise<Token> =>
      m.engine.sharedFleet!.obtain({
        profile,
        current,
        forced: false,
        sharedOnly: false,
        signal: new AbortController().signal,
        secrets: async () => ({ clientSecret: server.credentials.clientSecret }),
        upstream: async () => {
          upstreamBy.push(m.id);
          const at = Date.now();
          return { accessToken: `alone-${m.id}`, tokenType: 'Bearer', headers: { authorization: `Bearer alone-${m.id}` }, obtainedAt: at, expiresAt: at + 120_000 };
        },
      });
    const [fromA, fromB] = await Promise.all([wait(a, expiring(6_600)), wait(b, expiring(10_000))]);
    assert.deepEqual(upstreamBy, [a.id], 'only the first machine to give up asked the provider');
    assert.equal(fromA.accessToken, `alone-${a.id}`);
    assert.equal(fromB.accessToken, fromA.accessToken, 'the second adopted the token the first shared');
    assert.equal(a.engine.sharedFleet!.tally.aloneAboutToExpire, 1);
    assert.equal(b.engine.sharedFleet!.tally.adoptedAfterWait, 1);
    // The request is the fleet's: its count shows it although no lock was held.
    const view = await a.engine.sharedFleet!.view(profile);
    assert.equal(view.counts?.requestsLastHour, 1);
  });

  it('lets a machine with another secret for the same client id try, and its success lifts the stop', async () => {
    const wrong = await machine({ secret: 'an old, revoked secret' });
    await assert.rejects(wrong.engine.getToken(wrong.id), (error: TokentrayError) => error.kind === 'invalid_client' || (error.cause as TokentrayError)?.kind === 'invalid_client');
    const right = await machine();
    const token = await demand(right, 3_000);
    assert.equal(server.tokenRequestCount(), 2);
    assert.equal(right.engine.status(right.id)?.state, 'fresh');
    // A later machine with the old secret adopts the fleet's token instead of being refused.
    const late = await machine({ secret: 'an old, revoked secret' });
    assert.equal((await demand(late, 3_000)).accessToken, token.accessToken);
    assert.equal(server.tokenRequestCount(), 2);
  });

  it('stops the whole fleet on invalid_client, until a person asks again', async () => {
    server.setMode('invalid_client');
    const first = await machine();
    await assert.rejects(first.engine.getToken(first.id), /rejected|invalid/i);
    assert.equal(server.tokenRequestCount(), 1);
    const others = await Promise.all([machine(), machine()]);
    for (const m of others) {
      const started = Date.now();
      await assert.rejects(m.engine.getToken(m.id), (error: TokentrayError) => {
        assert.equal(error.kind, 'invalid_client');
        assert.match(error.message, /fleet's last token request was refused/);
        return true;
      });
      assert.ok(Date.now() - started < 2_000);
      assert.equal(m.engine.status(m.id)?.state, 'error');
    }
    assert.equal(server.tokenRequestCount(), 1, 'no other machine asked the provider');
    server.setMode('ok');
    const forced = await others[0]!.engine.refresh(others[0]!.id);
    assert.equal(server.tokenRequestCount(), 2, "a person's refresh goes upstream");
    const fresh = await machine();
    assert.equal((await demand(fresh, 3_000)).accessToken, forced.accessToken, 'and the stop is lifted for everyone');
  });

  it('shares a Retry-After cool-down: no machine asks again before the time is up', async () => {
    server.setMode('rate_limited', { retryAfter: '30' });
    const first = await machine();
    await assert.rejects(first.engine.getToken(first.id));
    const second = await machine();
    await assert.rejects(second.engine.getToken(second.id), (error: TokentrayError) => {
      const cause = (error.cause as TokentrayError | undefined) ?? error;
      assert.equal(cause.kind, 'rate_limited');
      assert.match(cause.message, /asked the fleet to wait/);
      return true;
    });
    assert.equal(server.tokenRequestCount(), 1);
  });

  it('gives a shared-only machine the fleet\'s token, and a clear 503 kind with no upstream request when there is none', async () => {
    const reader = await machine({ sharedOnly: true });
    const started = Date.now();
    await assert.rejects(reader.engine.getToken(reader.id), (error: TokentrayError) => {
      const cause = (error.cause as TokentrayError | undefined) ?? error;
      assert.equal(cause.kind, 'shared_unavailable');
      assert.match(cause.hint ?? '', /shared-only/);
      return true;
    });
    assert.ok(Date.now() - started < 2_000);
    assert.equal(server.tokenRequestCount(), 0);
    const holder = await machine();
    const token = await demand(holder, 3_000);
    assert.equal((await reader.engine.refresh(reader.id)).accessToken, token.accessToken);
    assert.equal(reader.engine.status(reader.id)?.sharedOnly, true);
    assert.equal(server.tokenRequestCount(), 1);
  });

  it('answers within the deadline while Redis hangs (SIGSTOP), works alone, and rejoins when it resumes', async () => {
    redis.pause();
    try {
      const m = await machine();
      assert.equal(m.cache.health().state, 'unavailable');
      await demand(m, 2_000);
      assert.equal(server.tokenRequestCount(), 1);
      const other = await machine();
      await demand(other, 2_000);
      assert.equal(server.tokenRequestCount(), 2, 'each machine refreshed alone');
    } finally {
      redis.resume();
    }
    const back = machines.at(-1)!;
    for (let i = 0; i < 100 && back.cache.health().state !== 'connected'; i += 1) await new Promise((r) => setTimeout(r, 100));
    assert.equal(back.cache.health().state, 'connected');
    const late = await machine();
    await demand(late, 3_000);
    const again = await machine();
    await demand(again, 3_000);
    assert.equal(server.tokenRequestCount(), 3, 'after rejoining, one request serves the next machines');
  });

  it('works alone while Redis is killed, and rejoins an empty Redis restarted on the same port', async () => {
    const m = await machine();
    await redis.kill();
    const alone = await machine();
    await demand(alone, 2_000);
    assert.equal(alone.cache.health().state, 'unavailable');
    await redis.restart();
    for (let i = 0; i < 100 && m.cache.health().state !== 'connected'; i += 1) await new Promise((r) => setTimeout(r, 100));
    assert.equal(m.cache.health().state, 'connected');
    const before = server.tokenRequestCount();
    const [a, b] = await Promise.all([demand(m, 3_000), demand(await machine(), 3_000)]);
    assert.equal(a.accessToken, b.accessToken);
    assert.equal(server.tokenRequestCount(), before + 1);
  });
});
