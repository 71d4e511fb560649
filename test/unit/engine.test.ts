// The token engine under a fake clock (docs/refreshing.md): scheduling at 75%, single flight, backoff,
// credential stops, pause, removal, changes by another process, events and clock jumps. The real
// providers run against an in-process endpoint that answers like Acquia's (seed 002).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EngineEvent, ProfileState } from '../../common/contract.js';
import { TokentrayError } from '../../main/core/errors.js';
import type { Token } from '../../main/core/types.js';
import { acquiaProfile, createHarness } from '../support/engine-harness.js';

const SEC = 1000;

function profileStates(events: EngineEvent[], id = 'aq'): ProfileState[] {
  return events.flatMap((e) => (e.type === 'profile' && e.status.id === id ? [e.status.state] : []));
}

async function rejection(promise: Promise<unknown>): Promise<TokentrayError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof TokentrayError, `expected a TokentrayError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the promise to reject');
}

describe('TokenEngine scheduling', () => {
  it('renews a 300 s Acquia token at about 225 s, again and again', async () => {
    const { clock, endpoint, engine } = await createHarness();
    const t0 = clock.now();
    await engine.start();
    await clock.advance(0);
    assert.equal(endpoint.requests.length, 1);
    const first = await engine.getToken('aq');
    assert.equal(first.expiresAt, t0 + 300 * SEC);
    assert.equal(endpoint.bodies[0]?.get('client_secret'), 'not a real secret &+%/');

    await clock.advance(1000 * SEC);
    const gaps = endpoint.requests.slice(1).map((at, i) => (at - endpoint.requests[i]!) / SEC);
    assert.ok(gaps.length >= 4, `expected several renewals, got ${gaps.length}`);
    for (const gap of gaps) assert.ok(gap >= 215 && gap <= 235, `renewed after ${gap} s, expected 215-235 s`);
    // A demand between renewals is served from the cache without another request.
    const before = endpoint.requests.length;
    const token = await engine.getToken('aq');
    assert.ok(token.expiresAt! > clock.now());
    assert.equal(endpoint.requests.length, before);
    assert.equal(engine.status('aq')?.state, 'fresh');
    assert.ok(clock.pendingTimers() <= 1, 'at most one timer per profile');
    await engine.stop();
  });

  it('reuses a valid token from the keychain cache at start without asking upstream', async () => {
    const { clock, endpoint, engine, vault } = await createHarness();
    const cached: Token = {
      accessToken: 'cached-token',
      tokenType: 'Bearer',
      headers: { Authorization: 'Bearer cached-token' },
      obtainedAt: clock.now() - 10 * SEC,
      expiresAt: clock.now() + 290 * SEC,
    };
    await vault.setCachedToken('aq', cached);
    await engine.start();
    await clock.advance(0);
    assert.equal((await engine.getToken('aq')).accessToken, 'cached-token');
    assert.equal(endpoint.requests.length, 0);
    assert.equal(engine.status('aq')?.state, 'fresh');
    // It is still renewed at its own refresh point (~225 s after it was obtained).
    await clock.advance(230 * SEC);
    assert.equal(endpoint.requests.length, 1);
    await engine.stop();
  });

  it('ignores an expired cached token and writes each new token to the cache', async () => {
    const { clock, endpoint, engine, vault } = await createHarness();
    await vault.setCachedToken('aq', {
      accessToken: 'old',
      tokenType: 'Bearer',
      headers: { Authorization: 'Bearer old' },
      obtainedAt: clock.now() - 400 * SEC,
      expiresAt: clock.now() - 100 * SEC,
    });
    await engine.start();
    const token = await engine.getToken('aq');
    assert.notEqual(token.accessToken, 'old');
    assert.equal(endpoint.requests.length, 1);
    assert.equal((await vault.getCachedToken('aq'))?.accessToken, token.accessToken);
    await engine.stop();
  });

  it('one-shot mode: loadCachedTokens shows cached states without a request', async () => {
    const { clock, endpoint, engine, vault } = await createHarness({ background: false });
    await vault.setCachedToken('aq', {
      accessToken: 'cached-token',
      tokenType: 'Bearer',
      headers: { Authorization: 'Bearer cached-token' },
      obtainedAt: clock.now() - 250 * SEC,
      expiresAt: clock.now() + 50 * SEC,
    });
    await engine.start();
    assert.equal(engine.status('aq')?.state, 'expired', 'not read until asked');
    await engine.loadCachedTokens();
    // Past its 75% point (225 s of 300 s) but still valid: expiring, as the engine itself judges it.
    assert.equal(engine.status('aq')?.state, 'expiring');
    assert.equal(engine.status('aq')?.expiresAt, new Date(clock.now() + 50 * SEC).toISOString());
    assert.equal(endpoint.requests.length, 0);
    await engine.stop();
  });

  it('shares one upstream request among 1,000 concurrent demands (single flight)', async () => {
    const { clock, endpoint, engine } = await createHarness({ background: false });
    endpoint.mode = 'hang';
    await engine.start();
    const demands = Array.from({ length: 1000 }, () => engine.getToken('aq'));
    await clock.advance(0);
    assert.equal(endpoint.requests.length, 1);
    assert.equal(engine.status('aq')?.state, 'refreshing');
    endpoint.release();
    const tokens = await Promise.all(demands);
    assert.equal(new Set(tokens.map((t) => t.accessToken)).size, 1);
    assert.equal(endpoint.requests.length, 1);
    assert.equal(engine.status('aq')?.requestsLastHour, 1);
    await engine.stop();
  });

  it('keeps serving the current token while refreshes fail, and backs off exponentially up to the cap', async () => {
    const { clock, endpoint, engine } = await createHarness({
      random: () => 0.999,
      options: { backoffBaseMs: 2 * SEC, backoffMaxMs: 60 * SEC },
    });
    await engine.start();
    const good = await engine.getToken('aq');
    endpoint.mode = 'server-error';
    await clock.advance(240 * SEC);
    // Past the refresh point and failing: still the same valid token, and the state says so.
    assert.equal((await engine.getToken('aq')).accessToken, good.accessToken);
    assert.equal(engine.status('aq')?.state, 'expiring');
    assert.equal(engine.status('aq')?.lastError?.kind, 'server_error');
    await clock.advance(3600 * SEC);
    const failures = endpoint.requests.slice(1);
    const gaps = failures.slice(1).map((at, i) => (at - failures[i]!) / SEC);
    // 2, 4, 8, 16, 32 (jitter near its top), then held at the 60 s cap. One "last chance" retry
    // before expiry may come early, but never faster than the base.
    assert.ok(gaps.every((g) => g >= 2 && g <= 60), `gaps out of range: ${gaps.join(', ')}`);
    assert.ok(gaps.slice(0, 4).every((g, i) => g >= gaps[Math.max(0, i - 1)]! - 0.01), `not growing: ${gaps.join(', ')}`);
    assert.ok(gaps.slice(-10).every((g) => g > 59), `not capped: ${gaps.slice(-10).join(', ')}`);
    assert.ok(failures.length < 3600 / 60 + 15, `too many retries: ${failures.length}`);
    const error = await rejection(engine.getToken('aq', { waitMs: 0 }));
    assert.equal(error.kind, 'no_valid_token');
    assert.match(error.hint ?? '', /temporary|retries/);
    assert.equal(engine.status('aq')?.state, 'error');
    await engine.stop();
  });

  it('honours Retry-After from a 429 as the shortest retry delay', async () => {
    const { clock, endpoint, engine } = await createHarness({
      random: () => 0,
      endpoint: { retryAfterSec: 120 },
    });
    endpoint.mode = 'rate-limited';
    await engine.start();
    await clock.advance(1800 * SEC);
    const gaps = endpoint.requests.slice(1).map((at, i) => (at - endpoint.requests[i]!) / SEC);
    assert.ok(gaps.length >= 5);
    assert.ok(gaps.every((g) => g >= 120), `retried before Retry-After: ${gaps.join(', ')}`);
    assert.equal(engine.status('aq')?.lastError?.kind, 'rate_limited');
    await engine.stop();
  });

  it('stops retrying on rejected credentials until a person asks or the profile changes', async () => {
    const { clock, endpoint, engine, store } = await createHarness();
    endpoint.mode = 'invalid-client';
    await engine.start();
    await clock.advance(3600 * SEC);
    assert.equal(endpoint.requests.length, 1, 'no retries after invalid_client');
    assert.equal(engine.status('aq')?.state, 'error');
    const error = await rejection(engine.getToken('aq'));
    assert.equal(error.kind, 'invalid_client');
    assert.equal(endpoint.requests.length, 1, 'a demand fails fast without going upstream');
    assert.ok(engine.activity().some((e) => e.kind === 'credentials-rejected' && e.profileId === 'aq'));

    // A person asks: it goes upstream again (and fails again, stopping again).
    assert.equal((await rejection(engine.refresh('aq'))).kind, 'invalid_client');
    assert.equal(endpoint.requests.length, 2);
    await clock.advance(3600 * SEC);
    assert.equal(endpoint.requests.length, 2);

    // Another process (the CLI) fixes the profile: the stop is lifted and a token is fetched.
    endpoint.mode = 'ok';
    store.external((profiles) => profiles.set('aq', acquiaProfile('aq', { clientId: 'fixed-key' })));
    await clock.advance(0);
    assert.equal(endpoint.requests.length, 3);
    assert.equal(engine.status('aq')?.state, 'fresh');
    assert.equal(engine.status('aq')?.lastError, null);
    await engine.stop();
  });

  it('pauses and resumes: no background refresh while paused, a valid token is still served', async () => {
    const { clock, endpoint, engine, store } = await createHarness();
    await engine.start();
    const token = await engine.getToken('aq');
    const paused = await engine.setPaused('aq', true);
    assert.equal(paused.state, 'paused');
    assert.equal(store.getProfile('aq')?.paused, true);
    await clock.advance(200 * SEC);
    assert.equal((await engine.getToken('aq')).accessToken, token.accessToken);
    await clock.advance(600 * SEC);
    assert.equal(endpoint.requests.length, 1, 'no refresh while paused');
    assert.equal((await rejection(engine.getToken('aq'))).kind, 'paused');
    assert.equal(clock.pendingTimers(), 0);

    await engine.setPaused('aq', false);
    await clock.advance(0);
    assert.equal(endpoint.requests.length, 2, 'resuming refreshes the expired token at once');
    assert.equal(engine.status('aq')?.state, 'fresh');
    const kinds = engine.activity().map((e) => e.kind);
    assert.ok(kinds.includes('paused') && kinds.includes('resumed'));
    await engine.stop();
  });

  it('removes a profile with its keychain entries, timers and in-flight request', async () => {
    const { clock, endpoint, engine, store, vault, events } = await createHarness({
      profiles: [acquiaProfile('aq'), acquiaProfile('other')],
    });
    await engine.start();
    await clock.advance(0);
    endpoint.mode = 'hang';
    const pending = engine.refresh('aq');
    await clock.advance(0);
    assert.equal(endpoint.hangingCount(), 1);
    assert.equal(await engine.removeProfile('aq'), true);
    await rejection(pending);
    assert.equal(endpoint.hangingCount(), 0, 'the in-flight request was aborted');
    assert.equal(store.getProfile('aq'), undefined);
    assert.ok(!vault.keys().some((k) => k.startsWith('aq:')));
    assert.ok(vault.keys().some((k) => k.startsWith('other:')));
    assert.equal(engine.status('aq'), undefined);
    assert.ok(events.some((e) => e.type === 'profile-removed' && e.id === 'aq'));
    assert.equal((await rejection(engine.getToken('aq'))).kind, 'not_found');
    assert.equal(await engine.removeProfile('aq'), false);
    await engine.stop();
  });

  it('picks up profiles added and removed by another process', async () => {
    const { clock, endpoint, engine, store, vault, events } = await createHarness({ profiles: [] });
    await engine.start();
    await vault.setSecret('cli-added', 'clientSecret', 'fake');
    store.external((profiles) => profiles.set('cli-added', acquiaProfile('cli-added')));
    await clock.advance(0);
    assert.equal(endpoint.requests.length, 1);
    assert.equal(engine.status('cli-added')?.state, 'fresh');
    store.external((profiles) => profiles.delete('cli-added'));
    assert.equal(engine.status('cli-added'), undefined);
    assert.ok(events.some((e) => e.type === 'profile-removed' && e.id === 'cli-added'));
    await clock.advance(3600 * SEC);
    assert.equal(endpoint.requests.length, 1);
    assert.equal(clock.pendingTimers(), 0);
    await engine.stop();
    assert.equal(store.listenerCount(), 0, 'stop() unsubscribes from the store');
  });

  it('emits one event per state change, marks recovery, and reports expiry by time alone', async () => {
    const { clock, endpoint, engine, events } = await createHarness({ random: () => 0.5 });
    await engine.start();
    await clock.advance(0);
    assert.deepEqual(profileStates(events), ['refreshing', 'fresh']);
    endpoint.mode = 'server-error';
    await clock.advance(226 * SEC); // refresh point at 225 s exactly (jitter 0)
    // refreshing -> (failed, still valid, past refresh point) expiring
    assert.deepEqual(profileStates(events).slice(2, 4), ['refreshing', 'expiring']);
    await clock.advance(80 * SEC); // past expiry: no valid token, the last attempt failed
    assert.equal(engine.status('aq')?.state, 'error');
    const noDuplicates = profileStates(events).every((s, i, all) => i === 0 || s !== all[i - 1]);
    assert.ok(noDuplicates, `repeated states: ${profileStates(events).join(', ')}`);
    endpoint.mode = 'ok';
    await clock.advance(600 * SEC);
    const recovered = events.filter((e) => e.type === 'profile' && e.recovered);
    assert.equal(recovered.length, 1);
    assert.equal(recovered[0]?.type === 'profile' && recovered[0].status.state, 'fresh');
    assert.ok(engine.activity().some((e) => e.kind === 'recovered'));
    assert.ok(events.some((e) => e.type === 'activity' && e.entry.kind === 'refresh-failed'));

    // With background refresh paused, the token crosses into expiring and expired by time alone.
    const quiet = await createHarness({ random: () => 0.5, background: false });
    await quiet.engine.start();
    await quiet.engine.getToken('aq');
    assert.equal(quiet.engine.status('aq')?.state, 'fresh');
    await quiet.clock.advance(230 * SEC);
    assert.equal(quiet.engine.status('aq')?.state, 'expiring');
    await quiet.clock.advance(80 * SEC);
    assert.equal(quiet.engine.status('aq')?.state, 'expired');
    assert.equal(quiet.clock.pendingTimers(), 0, 'one-shot mode sets no timers');
    await engine.stop();
    await quiet.engine.stop();
  });

  it('announces the next refresh in the event that reports a refresh, and one validUntil on the wire', async () => {
    const { clock, engine, events } = await createHarness({ random: () => 0.5 });
    await engine.start();
    await clock.advance(0);
    await clock.advance(226 * SEC); // the background refresh at 225 s
    const fresh = events.filter((e) => e.type === 'profile' && e.status.state === 'fresh');
    assert.equal(fresh.length, 2, 'the first token and its renewal');
    for (const event of fresh) {
      assert.ok(event.type === 'profile');
      const { nextRefreshAt, obtainedAt, expiresAt, validUntil } = event.status;
      assert.ok(nextRefreshAt !== null, 'a fresh status names its next refresh');
      assert.equal(Date.parse(nextRefreshAt) - Date.parse(obtainedAt!), 225 * SEC);
      // The engine stops handing out a token 5 s before it expires, and says so on the wire.
      assert.equal(Date.parse(expiresAt!) - Date.parse(validUntil!), 5 * SEC);
    }
    const status = engine.status('aq')!;
    await clock.advance(Date.parse(status.validUntil!) - clock.now() - 1);
    assert.equal(engine.peekToken('aq')?.accessToken !== undefined, true, 'handed out until validUntil');
    await engine.stop();
  });

  it('emits expiring and expired from the timer when no refresh is possible (credentials pending)', async () => {
    const { clock, endpoint, engine, events } = await createHarness({ random: () => 0.5 });
    await engine.start();
    await clock.advance(0);
    endpoint.mode = 'unavailable';
    endpoint.retryAfterSec = 3600; // the next attempt is long after expiry
    await clock.advance(230 * SEC);
    assert.equal(engine.status('aq')?.state, 'expiring');
    await clock.advance(70 * SEC);
    assert.equal(engine.status('aq')?.state, 'error');
    const last = events.filter((e) => e.type === 'profile').at(-1);
    assert.ok(last?.type === 'profile' && last.status.state === 'error' && last.previous === 'expiring');
    await engine.stop();
  });

  it('re-evaluates every profile after a clock jump (sleep) and never hands out the expired token', async () => {
    const { clock, endpoint, engine } = await createHarness({
      profiles: [acquiaProfile('a'), acquiaProfile('b'), acquiaProfile('c')],
    });
    await engine.start();
    await clock.advance(0);
    assert.equal(endpoint.requests.length, 3);
    clock.jump(2 * 3600 * SEC); // the lid closes for two hours
    const demand = engine.getToken('a');
    const token = await demand;
    assert.ok(token.expiresAt! > clock.now());
    await clock.runDue(); // the overdue timers fire late, which triggers reevaluate()
    assert.equal(endpoint.requests.length, 6, 'all three profiles refreshed at once');
    for (const id of ['a', 'b', 'c']) assert.equal(engine.status(id)?.state, 'fresh');
    engine.reevaluate(); // explicit resume: nothing is due, nothing is requested
    await clock.advance(0);
    assert.equal(endpoint.requests.length, 6);
    await engine.stop();
  });

  it('invalidate() drops the token so the next demand gets a new one', async () => {
    const { clock, endpoint, engine } = await createHarness();
    await engine.start();
    const first = await engine.getToken('aq');
    engine.invalidate('aq');
    const second = await engine.getToken('aq');
    assert.notEqual(second.accessToken, first.accessToken);
    await clock.advance(0);
    assert.equal(endpoint.requests.length, 2);
    await engine.stop();
  });

  it('fails a demand after the bounded wait when the endpoint hangs', async () => {
    const { clock, engine, endpoint } = await createHarness({ background: false });
    endpoint.mode = 'hang';
    const demand = rejection(engine.getToken('aq', { waitMs: 5 * SEC }));
    await clock.advance(5 * SEC);
    const error = await demand;
    assert.equal(error.kind, 'no_valid_token');
    await engine.stop();
  });
});

describe('TokenEngine profiles', () => {
  it('upserts: secrets to the vault, the profile to the store, validated with field messages', async () => {
    const { clock, engine, store, vault, endpoint } = await createHarness({ profiles: [] });
    await engine.start();
    const invalid = await rejection(engine.upsertProfile({ id: 'BAD ID', name: '', provider: 'acquia' }));
    assert.equal(invalid.kind, 'config');
    assert.match(invalid.message, /id: /);
    const noSecret = await rejection(engine.upsertProfile(acquiaProfile('new')));
    assert.equal(noSecret.kind, 'config');
    assert.match(noSecret.message, /API secret is required/);

    const status = await engine.upsertProfile(acquiaProfile('new'), { clientSecret: 'fake secret' });
    assert.equal(status.id, 'new');
    assert.equal(await vault.getSecret('new', 'clientSecret'), 'fake secret');
    const stored = store.getProfile('new');
    assert.ok(stored?.createdAt && stored.updatedAt);
    assert.equal(JSON.stringify(stored).includes('fake secret'), false, 'no secret in the store');
    await clock.advance(0);
    assert.equal(endpoint.requests.length, 1);
    assert.ok(engine.activity().some((e) => e.kind === 'profile-added'));

    // An edit that changes settings drops the old token and refreshes once.
    await engine.upsertProfile(acquiaProfile('new', { scope: 'organization:1234' }));
    await clock.advance(0);
    assert.equal(endpoint.requests.length, 2);
    assert.equal(endpoint.bodies[1]?.get('scope'), 'organization:1234');
    assert.ok(engine.activity().some((e) => e.kind === 'profile-updated'));
    await engine.stop();
  });

  it('a missing secret is a missing_secret error and stops retries', async () => {
    const { clock, endpoint, engine } = await createHarness({ secrets: false });
    await engine.start();
    await clock.advance(600 * SEC);
    assert.equal(endpoint.requests.length, 0);
    const error = await rejection(engine.getToken('aq'));
    assert.equal(error.kind, 'missing_secret');
    assert.equal(engine.status('aq')?.state, 'error');
    await engine.stop();
  });

  it('tests a profile without saving anything, using the stored secret when none is given', async () => {
    const { engine, store, vault, endpoint } = await createHarness();
    await engine.start();
    const edited = acquiaProfile('aq', { scope: 'organization:abcd' });
    const result = await engine.testProfile(edited, {});
    assert.equal(result.ok, true);
    assert.equal(result.token?.expires_in, 300);
    assert.equal(JSON.stringify(result).includes('tok-'), false, 'no token in a test result');
    assert.equal(store.getProfile('aq')?.scope, undefined);
    assert.equal(endpoint.bodies.at(-1)?.get('client_secret'), 'not a real secret &+%/');
    const fresh = await engine.testProfile(acquiaProfile('brand-new'), {});
    assert.equal(fresh.ok, false);
    assert.equal(fresh.error?.kind, 'missing_secret');
    endpoint.mode = 'invalid-client';
    const rejected = await engine.testProfile(acquiaProfile('brand-new'), { clientSecret: 'wrong' });
    assert.equal(rejected.error?.kind, 'invalid_client');
    assert.equal(store.getProfile('brand-new'), undefined);
    assert.equal(await vault.getSecret('brand-new', 'clientSecret'), null);
    await engine.stop();
  });

  it('treats a failing keychain cache write as non-fatal', async () => {
    const { engine, vault } = await createHarness();
    vault.failCacheWrites = true;
    await engine.start();
    const token = await engine.getToken('aq');
    assert.ok(token.accessToken.startsWith('tok-'));
    assert.equal(engine.status('aq')?.state, 'fresh');
    await engine.stop();
  });

  it('records entries from outside and keeps the activity log bounded', async () => {
    const { engine, events } = await createHarness({ options: { activityCapacity: 5 } });
    for (let i = 0; i < 8; i += 1) engine.record({ kind: 'token-issued', profileId: 'aq', client: `c${i}` });
    const entries = engine.activity();
    assert.equal(entries.length, 5);
    assert.deepEqual(
      entries.map((e) => e.client),
      ['c3', 'c4', 'c5', 'c6', 'c7'],
    );
    assert.ok(entries.every((e, i) => i === 0 || e.seq === entries[i - 1]!.seq + 1));
    assert.equal(events.filter((e) => e.type === 'activity').length, 8);
  });

  it('counts upstream requests in the last hour and day', async () => {
    const { clock, engine } = await createHarness();
    await engine.start();
    await clock.advance(2 * 3600 * SEC);
    const status = engine.status('aq')!;
    // One request per ~225 s: 3600 / 225 = 16 an hour.
    assert.ok(status.requestsLastHour >= 15 && status.requestsLastHour <= 17, String(status.requestsLastHour));
    assert.ok(status.requestsLastDay >= 31 && status.requestsLastDay <= 34, String(status.requestsLastDay));
    await clock.advance(23 * 3600 * SEC);
    assert.ok(engine.status('aq')!.requestsLastDay <= 24 * 17);
    await engine.stop();
  });
});

describe('TokenEngine reading', () => {
  it('reading statuses changes nothing: no profile appears, no event, no request', async () => {
    const { clock, endpoint, engine, events } = await createHarness({ background: false });
    // Before start(), statuses() used to load every profile as a side effect of being read.
    assert.deepEqual(engine.statuses(), []);
    assert.equal(engine.status('aq'), undefined);
    await engine.start();
    await engine.getToken('aq');
    await clock.advance(230 * SEC);
    const before = events.length;
    const first = engine.statuses();
    const second = engine.statuses();
    assert.deepEqual(second, first);
    assert.equal(first[0]?.state, 'expiring');
    assert.equal(events.length, before, 'a read emits nothing');
    assert.equal(endpoint.requests.length, 1);
    assert.equal(first[0]?.requestsLastDay, 1);
    await engine.stop();
  });
});

describe('TokenEngine channels', () => {
  it('records every token it hands out, with its consumer, on the activity channel only', async () => {
    const { clock, engine } = await createHarness();
    await engine.start();
    await clock.advance(0);
    const states: string[] = [];
    const entries: Array<[string, string | undefined, string | undefined]> = [];
    const offState = engine.onDidChangeState((event) => states.push(event.type));
    const offActivity = engine.onDidRecordActivity((entry) => entries.push([entry.kind, entry.profileId, entry.client]));
    for (let i = 0; i < 10_000; i += 1) assert.ok(engine.peekToken('aq', { client: 'busy-api' }) !== null);
    await engine.getToken('aq', { client: 'cli' });
    assert.equal(states.length, 0, '10,000 tokens handed out change no state: nothing for a tray to re-render');
    assert.equal(entries.length, 10_001);
    assert.ok(entries.slice(0, 10_000).every(([kind, id, client]) => kind === 'token-issued' && id === 'aq' && client === 'busy-api'));
    assert.deepEqual(entries.at(-1), ['token-issued', 'aq', 'cli']);

    // A refresh a person asked for is a state change and a token handed out; the refresh itself is activity.
    await engine.refresh('aq', { client: 'dashboard' });
    assert.deepEqual(states, ['profile', 'profile']);
    assert.deepEqual(entries.slice(10_001), [
      ['refreshed', 'aq', undefined],
      ['token-issued', 'aq', 'dashboard'],
    ]);
    // Nothing is handed out (or recorded) for a demand that fails.
    await rejection(engine.getToken('nope', { client: 'cli' }));
    assert.equal(engine.peekToken('nope', { client: 'cli' }), null);
    assert.equal(entries.length, 10_003);
    offState();
    offActivity();
    engine.peekToken('aq', { client: 'late' });
    assert.equal(entries.length, 10_003, 'unsubscribed');
    await engine.stop();
  });
});
