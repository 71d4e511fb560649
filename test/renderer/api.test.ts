// The api module: the HTTP transport against a real node:http server speaking /ui/rpc and SSE
// (request shape, Result answers, errors, event delivery, reconnects), bridge selection, and the
// clipboard actions of both transports.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SESSION_STORAGE_KEY, type EngineEvent, type ProfileStatus, type TokentrayBridge } from '../../common/contract.js';
import { createClipboard, createHttpBridge, selectBridge, type SessionStore } from '../../renderer/src/api/index.js';
import { DashboardStore } from '../../renderer/src/store.js';
import { createFakeBridge, ok } from './fake-bridge.js';
import { startFakeDashboardServer, syntheticStatuses, type FakeDashboardServer } from './fake-dashboard-server.js';
import { untilPasses } from '../support/poll.js';

/** A tab's sessionStorage holding the origin-bound secret the login gave it. */
function memoryStorage(secret: string | null = 'tab-secret'): SessionStore & { items: Map<string, string> } {
  const items = new Map<string, string>(secret === null ? [] : [['tokentray.session', secret]]);
  return {
    items,
    getItem: (key) => items.get(key) ?? null,
    setItem: (key, value) => void items.set(key, value),
    removeItem: (key) => void items.delete(key),
  };
}
// Every bridge here runs like a logged-in tab with no login link in its address.
// The stream opens on its own schedule.
const waitFor = (check: () => void): Promise<void> => untilPasses('the stream to catch up', check, { timeoutMs: 2000, intervalMs: 10 });

const tab = (): { storage: SessionStore; location: null } => ({ storage: memoryStorage(), location: null });

const status: ProfileStatus = syntheticStatuses(1)[0] as ProfileStatus;

describe('HTTP transport', () => {
  let server: FakeDashboardServer;
  let listCalls = 0;

  before(async () => {
    server = await startFakeDashboardServer({
      handlers: {
        'profiles:pause': (args) => ok({ ...status, id: String(args[0]), state: args[1] ? 'paused' : 'fresh' }),
        'profiles:list': () => {
          listCalls += 1;
          return ok([status]);
        },
        'activity:list': () => ok([]),
        'settings:get': () => ok({ port: 47210, leadTimeSec: 300, clipboardClearSec: 60, startAtLogin: false, notifications: true }),
        'tokens:get': () => ({ ok: false, error: { kind: 'invalid_client', message: 'The client id or secret was rejected.', hint: 'Check the secret.' } }),
      },
    });
  });
  after(() => server.close());

  it('POSTs the channel with a JSON array of arguments, same-origin, and returns the Result', async () => {
    const bridge = createHttpBridge({ baseUrl: server.url, ...tab() });
    assert.equal(bridge.transport, 'http');
    const result = await bridge.invoke('profiles:pause', 'prod-eu', true);
    assert.deepEqual(result, { ok: true, value: { ...status, id: 'prod-eu', state: 'paused' } });
    const request = server.requests.at(-1);
    assert.ok(request);
    assert.equal(request.method, 'POST');
    assert.equal(request.url, '/ui/rpc/profiles%3Apause');
    assert.equal(request.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(request.body), ['prod-eu', true]);
  });

  it('passes an error Result through with its hint', async () => {
    const bridge = createHttpBridge({ baseUrl: server.url, ...tab() });
    const result = await bridge.invoke('tokens:get', 'prod-eu');
    assert.deepEqual(result, {
      ok: false,
      error: { kind: 'invalid_client', message: 'The client id or secret was rejected.', hint: 'Check the secret.' },
    });
  });

  it('turns a 401 without a Result into a session error that says how to log in again', async () => {
    const fetch401: typeof fetch = async () => new Response('{"title":"Unauthorized"}', { status: 401 });
    const result = await createHttpBridge({ fetch: fetch401, ...tab() }).invoke('profiles:list');
    assert.equal(result.ok, false);
    assert.ok(!result.ok);
    assert.equal(result.error.kind, 'session');
    assert.match(result.error.hint ?? '', /tokentray dashboard/);
  });

  it('turns problem+json into an error with its detail and hint', async () => {
    const problem: typeof fetch = async () =>
      new Response(JSON.stringify({ type: 'about:blank', title: 'Unavailable', status: 503, detail: 'No valid token now.', hint: 'Wait.' }), {
        status: 503,
        headers: { 'Content-Type': 'application/problem+json' },
      });
    const result = await createHttpBridge({ fetch: problem, ...tab() }).invoke('profiles:list');
    // A type that is not one of ours names no kind: the dashboard does not invent kinds.
    assert.deepEqual(result, { ok: false, error: { kind: 'internal', message: 'No valid token now.', hint: 'Wait.', status: 503 } });
    const ours: typeof fetch = async () =>
      new Response(JSON.stringify({ type: 'urn:tokentray:problem:vault_locked', title: 'Unavailable', status: 503, detail: 'Locked.' }), {
        status: 503,
        headers: { 'Content-Type': 'application/problem+json' },
      });
    const locked = await createHttpBridge({ fetch: ours, ...tab() }).invoke('profiles:list');
    assert.deepEqual(locked, { ok: false, error: { kind: 'vault_locked', message: 'Locked.', status: 503 } });
  });

  it('reports a server that does not answer as Tokentray being unavailable, never a throw', async () => {
    const gone = await startFakeDashboardServer({ handlers: {} });
    const url = gone.url;
    await gone.close();
    const result = await createHttpBridge({ baseUrl: url, ...tab() }).invoke('profiles:list');
    assert.equal(result.ok, false);
    assert.ok(!result.ok && result.error.kind === 'app_unavailable' && result.error.hint);
  });

  it('delivers server-sent events to every listener and closes the stream after the last unsubscribe', async () => {
    const bridge = createHttpBridge({ baseUrl: server.url, ...tab() });
    const first: EngineEvent[] = [];
    const second: EngineEvent[] = [];
    const opened = new Promise<void>((resolve) => {
      const stop = bridge.onDidChangeConnection?.((state) => {
        if (state === 'open') {
          stop?.();
          resolve();
        }
      });
    });
    let unsubscribeFirst = (): void => {};
    let unsubscribeSecond = (): void => {};
    const bothGot = new Promise<void>((resolve) => {
      const check = (): void => {
        if (first.length === 2 && second.length === 2) resolve();
      };
      unsubscribeFirst = bridge.onEvent((e) => {
        first.push(e);
        check();
      });
      unsubscribeSecond = bridge.onEvent((e) => {
        second.push(e);
        check();
      });
    });
    await server.waitForStreams(1);
    await opened;
    const events: EngineEvent[] = [
      { type: 'profile', status, previous: 'refreshing', recovered: false },
      { type: 'activity', entry: { seq: 7, at: new Date().toISOString(), kind: 'refreshed', profileId: status.id } },
    ];
    for (const event of events) server.emit(event);
    await bothGot;
    assert.deepEqual(first, events);
    assert.deepEqual(second, events);
    const streamRequest = server.requests.find((r) => r.url === '/v1/events');
    assert.equal(streamRequest?.method, 'GET');
    assert.match(String(streamRequest?.headers.accept), /text\/event-stream/);

    unsubscribeFirst();
    unsubscribeSecond();
    // Nothing listens any more: the page closed the stream, and a new listener opens a new one.
    await server.waitForNoStreams();
    const before = server.requests.filter((r) => r.url === '/v1/events').length;
    const again = bridge.onEvent(() => {});
    await server.waitForStreamsOpened(before + 1);
    assert.equal(server.requests.filter((r) => r.url === '/v1/events').length, before + 1);
    again();
    await server.waitForNoStreams();
  });

  it('the store loads again after the event stream reconnects, so missed events do not leave it stale', async () => {
    const bridge = createHttpBridge({ baseUrl: server.url, ...tab() });
    const store = new DashboardStore(bridge);
    const states: string[] = [];
    const reopened = new Promise<void>((resolve) => {
      bridge.onDidChangeConnection?.((state) => {
        states.push(state);
        if (states.filter((s) => s === 'open').length === 2) resolve();
      });
    });
    const stop = store.start();
    await server.waitForStreams(1);
    await new Promise<void>((resolve) => {
      if (store.getState().connection === 'open') resolve();
      const unsubscribe = store.subscribe(() => {
        if (store.getState().connection === 'open') {
          unsubscribe();
          resolve();
        }
      });
    });
    const callsBefore = listCalls;
    server.dropStreams();
    await reopened;
    await new Promise<void>((resolve) => {
      if (listCalls > callsBefore) resolve();
      const unsubscribe = store.subscribe(() => {
        if (listCalls > callsBefore) {
          unsubscribe();
          resolve();
        }
      });
    });
    assert.ok(states.includes('connecting'));
    assert.equal(store.getState().everOpen, true);
    stop();
    await server.waitForNoStreams();
  });
});

describe('origin-bound session', () => {
  it('sends the tab\'s secret as X-Tokentray-Session on every RPC and on the event stream', async () => {
    const server = await startFakeDashboardServer({ handlers: { 'profiles:list': () => ok([]) } });
    try {
      const bridge = createHttpBridge({ baseUrl: server.url, storage: memoryStorage('s-123'), location: null });
      assert.ok((await bridge.invoke('profiles:list')).ok);
      const stop = bridge.onEvent(() => {});
      await server.waitForStreams(1);
      stop();
      await server.waitForNoStreams();
      const rpc = server.requests.find((r) => r.url.startsWith('/ui/rpc/'));
      const events = server.requests.find((r) => r.url === '/v1/events');
      assert.equal(rpc?.headers['x-tokentray-session'], 's-123');
      assert.equal(events?.headers['x-tokentray-session'], 's-123');
      // Never in a URL.
      assert.ok(server.requests.every((r) => !r.url.includes('s-123')));
    } finally {
      await server.close();
    }
  });

  it('a login link: the token leaves the address at once, is redeemed by POST /ui/login, and the secret is kept for this tab', async () => {
    const calls: { url: string; init: RequestInit | undefined }[] = [];
    const stub: typeof fetch = async (input, init) => {
      const url = String(input);
      calls.push({ url, init });
      if (url === '/ui/login') return new Response(JSON.stringify({ session: 'fresh-secret' }), { status: 200 });
      return new Response(JSON.stringify({ ok: true, value: [] }), { status: 200 });
    };
    const storage = memoryStorage(null);
    const replaced: string[] = [];
    const bridge = createHttpBridge({
      fetch: stub,
      storage,
      location: { pathname: '/login', hash: '#token=link-token', replace: (url) => replaced.push(url) },
    });
    assert.deepEqual(replaced, ['/'], 'the address no longer holds the token before anything is sent');
    assert.ok((await bridge.invoke('profiles:list')).ok);
    assert.equal(calls[0]?.url, '/ui/login');
    assert.equal(calls[0]?.init?.method, 'POST');
    assert.deepEqual(JSON.parse(String(calls[0]?.init?.body)), { token: 'link-token' });
    assert.equal(storage.items.get('tokentray.session'), 'fresh-secret');
    // The RPC waited for the login and carries the new secret.
    assert.equal(calls[1]?.url, '/ui/rpc/profiles%3Alist');
    assert.equal((calls[1]?.init?.headers as Record<string, string>)['X-Tokentray-Session'], 'fresh-secret');
  });

  it('a page that is not a login link redeems nothing; without a secret the request goes bare and is told how to log in', async () => {
    const calls: string[] = [];
    const stub: typeof fetch = async (input, init) => {
      calls.push(`${String(input)} ${JSON.stringify(init?.headers ?? {})}`);
      return new Response('{"title":"Unauthorized"}', { status: 401 });
    };
    const bridge = createHttpBridge({ fetch: stub, storage: memoryStorage(null), location: { pathname: '/', hash: '#token=x', replace: () => assert.fail() } });
    const result = await bridge.invoke('profiles:list');
    assert.ok(!result.ok && result.error.kind === 'session');
    assert.match(result.error.hint ?? '', /new tab needs a new link/);
    assert.match(result.error.hint ?? '', /tokentray dashboard/);
    assert.equal(calls.length, 1);
    assert.doesNotMatch(calls[0] ?? '', /X-Tokentray-Session/);
  });

  it('an event stream refused with 401 is closed for good, not retried in a loop', async () => {
    let opened = 0;
    const stub: typeof fetch = async () => {
      opened += 1;
      return new Response('{}', { status: 401 });
    };
    const bridge = createHttpBridge({ fetch: stub, ...tab(), reconnectMs: 5 });
    const closed = new Promise<void>((resolve) => bridge.onDidChangeConnection?.((state) => state === 'closed' && resolve()));
    const stop = bridge.onEvent(() => {});
    await closed;
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(opened, 1);
    stop();
  });

  it('a rotated session (Lock, unlock) is kept and the event stream reopens under it at once', async () => {
    const streams: string[] = [];
    const stub: typeof fetch = async (input, init) => {
      const sent = (init?.headers as Record<string, string> | undefined)?.['X-Tokentray-Session'] ?? '';
      if (String(input) === '/v1/events') {
        streams.push(sent);
        // The stream stays open until aborted.
        return new Response(new ReadableStream({ start: () => undefined }), { status: 200, headers: { 'Content-Type': 'text/event-stream' } });
      }
      return new Response(JSON.stringify({ ok: true, value: { backend: 'file', state: 'unlocked', location: '', entries: null } }), {
        status: 200,
        headers: { 'Content-Type': 'application/json', 'X-Tokentray-Session': 'rotated-secret' },
      });
    };
    const storage = memoryStorage('first-secret');
    const bridge = createHttpBridge({ fetch: stub, storage, location: null, reconnectMs: 60_000 });
    const stop = bridge.onEvent(() => {});
    await waitFor(() => assert.deepEqual(streams, ['first-secret']));
    await bridge.invoke('vault:unlock', 'passphrase');
    assert.equal(storage.getItem(SESSION_STORAGE_KEY), 'rotated-secret');
    await waitFor(() => assert.deepEqual(streams, ['first-secret', 'rotated-secret']));
    stop();
  });

  it('logout tells the server, forgets the secret and closes the stream', async () => {
    const calls: { url: string; headers: unknown }[] = [];
    const stub: typeof fetch = async (input, init) => {
      calls.push({ url: String(input), headers: init?.headers });
      return new Response(null, { status: 204 });
    };
    const storage = memoryStorage('bye');
    const bridge = createHttpBridge({ fetch: stub, storage, location: null });
    await bridge.logout?.();
    assert.deepEqual(calls, [{ url: '/ui/logout', headers: { 'X-Tokentray-Session': 'bye' } }]);
    assert.equal(storage.items.size, 0);
  });
});

describe('bridge selection', () => {
  it('uses the preload bridge when window.tokentray exists', () => {
    const preload = createFakeBridge({}, 'ipc');
    assert.equal(selectBridge({ tokentray: preload }), preload);
  });

  it('falls back to HTTP in a plain browser', () => {
    assert.equal(selectBridge({}).transport, 'http');
  });

  it('ignores something on window.tokentray that is not a bridge', () => {
    assert.equal(selectBridge({ tokentray: {} as TokentrayBridge }).transport, 'http');
  });
});

describe('clipboard', () => {
  it('in the app asks main to copy, so main can clear the clipboard later', async () => {
    const bridge = createFakeBridge({ 'clipboard:copy': () => ok({ copied: true }) }, 'ipc');
    const written: string[] = [];
    const result = await createClipboard(bridge, async (t) => void written.push(t)).copyProfile('prod', 'token');
    assert.deepEqual(result, { ok: true, value: { copied: true } });
    assert.deepEqual(bridge.callsTo('clipboard:copy'), [['prod', 'token']]);
    assert.deepEqual(written, []);
  });

  it('in a browser fetches the token, the header or a curl example and writes it', async () => {
    const bridge = createFakeBridge(
      {
        'tokens:get': () => ok({ access_token: 'tok-1', token_type: 'Bearer', expires_at: null, expires_in: 60, scope: null }),
        'tokens:headers': () => ok({ Authorization: 'Bearer tok-1' }),
        'profiles:get': () => ok({ id: 'prod', name: 'Prod', provider: 'acquia' as const }),
      },
      'http',
    );
    const written: string[] = [];
    const clipboard = createClipboard(bridge, async (t) => void written.push(t));
    await clipboard.copyProfile('prod', 'token');
    await clipboard.copyProfile('prod', 'header');
    await clipboard.copyProfile('prod', 'curl');
    assert.deepEqual(written, [
      'tok-1',
      'Authorization: Bearer tok-1',
      "curl -sS -H 'Authorization: Bearer tok-1' 'https://cloud.acquia.com/api'",
    ]);
  });

  it('reports a failed token fetch instead of copying anything', async () => {
    const bridge = createFakeBridge({ 'tokens:get': () => ({ ok: false, error: { kind: 'no_valid_token', message: 'No valid token.' } }) }, 'http');
    const written: string[] = [];
    const result = await createClipboard(bridge, async (t) => void written.push(t)).copyProfile('prod', 'token');
    assert.equal(result.ok, false);
    assert.deepEqual(written, []);
  });
});
