// The api module: the HTTP transport against a real node:http server speaking /ui/rpc and SSE
// (request shape, Result answers, errors, event delivery, reconnects), bridge selection, and the
// clipboard actions of both transports.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { EventSource } from 'undici';
import type { EngineEvent, ProfileStatus, TokentrayBridge } from '../../common/contract.js';
import { createClipboard, createHttpBridge, selectBridge, type EventSourceFactory } from '../../renderer/src/api/index.js';
import { DashboardStore } from '../../renderer/src/store.js';
import { createFakeBridge, ok } from './fake-bridge.js';
import { startFakeDashboardServer, syntheticStatuses, type FakeDashboardServer } from './fake-dashboard-server.js';

// Node 20 has no global EventSource; undici's is the same WHATWG implementation Node ships later.
const eventSource: EventSourceFactory = (url) => new EventSource(url) as never;

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
    const bridge = createHttpBridge({ baseUrl: server.url, eventSource });
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
    const bridge = createHttpBridge({ baseUrl: server.url, eventSource });
    const result = await bridge.invoke('tokens:get', 'prod-eu');
    assert.deepEqual(result, {
      ok: false,
      error: { kind: 'invalid_client', message: 'The client id or secret was rejected.', hint: 'Check the secret.' },
    });
  });

  it('turns a 401 without a Result into a session error that says how to log in again', async () => {
    const fetch401: typeof fetch = async () => new Response('{"title":"Unauthorized"}', { status: 401 });
    const result = await createHttpBridge({ fetch: fetch401, eventSource }).invoke('profiles:list');
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
    const result = await createHttpBridge({ fetch: problem, eventSource }).invoke('profiles:list');
    assert.deepEqual(result, { ok: false, error: { kind: 'about:blank', message: 'No valid token now.', hint: 'Wait.', status: 503 } });
  });

  it('reports a server that does not answer as a network error, never a throw', async () => {
    const gone = await startFakeDashboardServer({ handlers: {} });
    const url = gone.url;
    await gone.close();
    const result = await createHttpBridge({ baseUrl: url, eventSource }).invoke('profiles:list');
    assert.equal(result.ok, false);
    assert.ok(!result.ok && result.error.kind === 'network' && result.error.hint);
  });

  it('delivers server-sent events to every listener and closes the stream after the last unsubscribe', async () => {
    const bridge = createHttpBridge({ baseUrl: server.url, eventSource });
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
    const bridge = createHttpBridge({ baseUrl: server.url, eventSource });
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
    const bridge = createFakeBridge({ 'tokens:get': () => ({ ok: false, error: { kind: 'expired', message: 'No valid token.' } }) }, 'http');
    const written: string[] = [];
    const result = await createClipboard(bridge, async (t) => void written.push(t)).copyProfile('prod', 'token');
    assert.equal(result.ok, false);
    assert.deepEqual(written, []);
  });
});
