// Dashboard sessions follow the vault and the clock ("revocation is immediate everywhere"),
// over real HTTP against the core as `tokentray serve` runs it, on a real encrypted file vault: Lock
// ends every session and its open event streams within a second, and the tab that locked carries on
// with a lock-screen session that may only unlock (a new full session comes with the unlock); logout
// ends a stream within a second; a session idle past its window ends, and its stream with it.
import assert from 'node:assert/strict';

import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Result, VaultInfo } from '../../common/contract.js';
import { createCore, type Core } from '../../main/core/app-core.js';
import type { SessionOptions } from '../../main/core/api/sessions.js';
import type { ConfigStore } from '../../main/core/types.js';
import { openFileStore } from '../../main/node/file-store.js';
import { FileVault } from '../../main/node/file-vault.js';
import { linkToken, openEvents, redeemLink, type Answer, type DashboardLogin, type EventStream } from './api-harness.js';
import { makeTempDir, removeTempDir } from '../support/temp-dir.js';
import { httpRequest } from '../support/http.js';

const WITHIN_MS = 1000;
const PASS = 'correct horse battery staple';

interface Served {
  core: Core;
  store: ConfigStore;
  vault: FileVault;
  port: number;
  dir: string;
  call(method: string, path: string, options?: { headers?: Record<string, string>; body?: string | Buffer }): Promise<Answer>;
  close(): Promise<void>;
}

async function serve(sessions?: Partial<SessionOptions>): Promise<Served> {
  const dir = await makeTempDir('tokentray-session-lock-');
  const { store } = openFileStore(join(dir, 'config'));
  const vault = new FileVault(join(dir, 'config'), { scrypt: { N: 2 ** 10, r: 8, p: 1 }, watch: false });
  await vault.create(PASS);
  const core = await createCore({ store, vault, version: '9.9.9-test', ...(sessions === undefined ? {} : { sessions }) });
  const port = await core.start(0);
  const call: Served['call'] = (method, path, options = {}) => httpRequest(port, path, { method, headers: options.headers ?? {}, ...(options.body === undefined ? {} : { body: options.body }) });
  return {
    core,
    store,
    vault,
    port,
    dir,
    call,
    async close() {
      await core.stop();
      vault.close();
      store.close();
      await removeTempDir(dir);
    },
  };
}

async function login(s: Served): Promise<DashboardLogin> {
  const answer = await redeemLink({ port: s.port, call: (method, path, options) => s.call(method, path, options) }, linkToken(s.core.server.createLoginLink()));
  assert.equal(answer.status, 200, answer.body);
  return sessionOf(s, String(answer.headers['set-cookie']), (JSON.parse(answer.body) as { session: string }).session);
}

function sessionOf(s: Served, setCookie: string, secret: string): DashboardLogin {
  const cookie = setCookie.split(';')[0] as string;
  return { cookie, secret, headers: { Cookie: cookie, 'X-Tokentray-Session': secret, Origin: `http://127.0.0.1:${s.port}` } };
}

function rpc(s: Served, session: DashboardLogin, channel: string, args: unknown[] = []): Promise<Answer> {
  return s.call('POST', `/ui/rpc/${encodeURIComponent(channel)}`, { headers: { ...session.headers, 'Content-Type': 'application/json' }, body: JSON.stringify(args) });
}

/** A stream that never ends fails here, not at the runner's timeout minutes later. */
function endOf(stream: EventStream): Promise<number> {
  return Promise.race([
    stream.ended,
    new Promise<number>((_, fail) => setTimeout(() => fail(new Error('the stream is still open after 10 s')), 10_000).unref()),
  ]);
}

describe('dashboard sessions end with Lock, logout and idleness, and so do their streams', () => {
  let s: Served;
  before(async () => {
    s = await serve();
  });
  after(async () => {
    await s.close();
  });

  test('Lock ends every session and stream at once; the locking tab may only unlock, then gets a new full session', async () => {
    const locking = await login(s);
    const other = await login(s);
    const streams = [await openEvents(s.port, locking.headers), await openEvents(s.port, other.headers)];
    for (const stream of streams) assert.equal(stream.status, 200);

    const lockedAt = Date.now();
    const lock = await rpc(s, locking, 'vault:lock');
    assert.equal(lock.status, 200, lock.body);
    assert.equal((JSON.parse(lock.body) as Result<VaultInfo>).ok, true);
    assert.equal(s.vault.state, 'locked');
    for (const stream of streams) {
      const endedAt = await endOf(stream);
      assert.ok(endedAt - lockedAt < WITHIN_MS, `ended ${endedAt - lockedAt} ms after Lock`);
    }
    // Every session from before the Lock is gone, the locking tab's too.
    for (const old of [locking, other]) {
      assert.equal((await rpc(s, old, 'vault:state')).status, 401);
      assert.equal((await openEvents(s.port, old.headers)).status, 401);
    }

    // The answer carried the locking tab's lock-screen session, in a header and its cookie.
    const secret = lock.headers['x-tokentray-session'];
    assert.equal(typeof secret, 'string');
    assert.match(String(lock.headers['set-cookie']), /^tokentray_session=[^;]+; HttpOnly; SameSite=Strict/);
    const lockScreen = sessionOf(s, String(lock.headers['set-cookie']), secret as string);
    const state = await rpc(s, lockScreen, 'vault:state');
    assert.equal(state.status, 200);
    assert.equal((JSON.parse(state.body) as { ok: true; value: VaultInfo }).value.state, 'locked');
    for (const [channel, args] of [
      ['profiles:list', []],
      ['tokens:get', ['p']],
      ['clients:add', [{ name: 'sneaky', profiles: null }]],
      ['settings:update', [{ leadTimeSec: 60 }]],
      ['vault:lock', []],
      ['api:address', []],
    ] as const) {
      const refused = await rpc(s, lockScreen, channel, [...args]);
      assert.equal(refused.status, 401, channel);
      assert.match(refused.body, /may only unlock it/);
    }
    assert.equal((await openEvents(s.port, lockScreen.headers)).status, 401);
    assert.equal(s.store.listClients().some((c) => c.name === 'sneaky'), false);
    // The cookie alone, or the secret alone, is still nothing.
    assert.equal((await s.call('POST', '/ui/rpc/vault%3Astate', { headers: { Cookie: lockScreen.cookie, Origin: lockScreen.headers.Origin as string, 'Content-Type': 'application/json' }, body: '[]' })).status, 401);

    // A wrong passphrase changes nothing; the right one opens the vault and rotates the session.
    const wrong = await rpc(s, lockScreen, 'vault:unlock', ['not the passphrase']);
    assert.equal((JSON.parse(wrong.body) as Result<VaultInfo>).ok, false);
    assert.equal(wrong.headers['x-tokentray-session'], undefined);
    // (the unlock throttle waits a second after one wrong attempt)
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const unlock = await rpc(s, lockScreen, 'vault:unlock', [PASS]);
    assert.equal((JSON.parse(unlock.body) as Result<VaultInfo>).ok, true, unlock.body);
    const full = sessionOf(s, String(unlock.headers['set-cookie']), String(unlock.headers['x-tokentray-session']));
    assert.notEqual(full.secret, lockScreen.secret);
    assert.equal((await rpc(s, lockScreen, 'vault:state')).status, 401, 'the lock-screen session ended with the unlock');
    assert.equal((await rpc(s, full, 'profiles:list')).status, 200);
    // Where the API listens, for the dashboard's "Use from an OAuth client" panel (common/relay.ts).
    const address = JSON.parse((await rpc(s, full, 'api:address')).body) as Result<{ baseUrl: string | null }>;
    assert.deepEqual(address, { ok: true, value: { baseUrl: `http://127.0.0.1:${s.port}` } });
    const stream = await openEvents(s.port, full.headers);
    assert.equal(stream.status, 200);
    stream.close();
  });

  test('logout ends the session and its stream within a second; other sessions go on', async () => {
    const leaving = await login(s);
    const staying = await login(s);
    const stream = await openEvents(s.port, leaving.headers);
    const kept = await openEvents(s.port, staying.headers);
    const outAt = Date.now();
    assert.equal((await s.call('POST', '/ui/logout', { headers: leaving.headers })).status, 204);
    const endedAt = await endOf(stream);
    assert.ok(endedAt - outAt < WITHIN_MS, `ended ${endedAt - outAt} ms after logout`);
    assert.equal((await rpc(s, leaving, 'profiles:list')).status, 401);
    assert.equal((await rpc(s, staying, 'profiles:list')).status, 200);
    kept.close();
  });
});

describe('an idle session ends on time, its open stream with it', () => {
  const IDLE_MS = 600;
  let s: Served;
  before(async () => {
    // The 12 h window (sessionIdleMs) shortened; heartbeats are not requests and keep nothing alive.
    s = await serve({ sessionIdleMs: IDLE_MS });
  });
  after(async () => {
    await s.close();
  });

  test('a stream held open by an idle session ends within a second of its expiry, and a request keeps a session alive', async () => {
    const idle = await login(s);
    const busy = await login(s);
    const stream = await openEvents(s.port, idle.headers);
    assert.equal(stream.status, 200);
    const lastRequestAt = Date.now();
    // The other session is used more often than its window: it stays.
    const keepAlive = setInterval(() => void rpc(s, busy, 'vault:state').catch(() => undefined), IDLE_MS / 3);
    try {
      const endedAt = await endOf(stream);
      const late = endedAt - (lastRequestAt + IDLE_MS);
      assert.ok(late < WITHIN_MS, `ended ${late} ms after the idle window`);
      assert.ok(endedAt - lastRequestAt >= IDLE_MS - 50, `ended ${endedAt - lastRequestAt} ms after the last request, before the window`);
      assert.equal((await rpc(s, idle, 'profiles:list')).status, 401);
      assert.equal((await rpc(s, busy, 'profiles:list')).status, 200);
    } finally {
      clearInterval(keepAlive);
    }
  });
});
