// Revocation is immediate everywhere: a client key removed (by the RPC, or by the CLI in
// another process) or narrowed ends its open /v1/events streams and its proxied requests still in
// flight within a second; dashboard sessions likewise on logout and on revokeAllSessions (Lock).
import assert from 'node:assert/strict';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openFileStore } from '../../main/node/file-store.js';
import { runCli } from '../support/cli.js';
import { loginDashboard, openEvents, startHarness, type EventStream, type Harness } from './api-harness.js';

/** "At once", with room for a loaded machine: the server itself checks every 250 ms. */
const WITHIN_MS = 1000;

/** A stream that never ends fails here, not at the runner's timeout minutes later. */
function endOf(stream: EventStream): Promise<number> {
  return Promise.race([
    stream.ended,
    new Promise<number>((_, fail) => setTimeout(() => fail(new Error('the stream is still open after 10 s')), 10_000).unref()),
  ]);
}

describe('revocation ends what a key or session holds open', () => {
  let h: Harness;
  let slow: Server;
  let slowUrl: string;
  /** Requests the slow API has received and not answered; resolved when the proxy gives up on them. */
  const upstreamClosed: Promise<number>[] = [];
  let upstreamArrived: (() => void) | null = null;

  before(async () => {
    h = await startHarness();
    await h.addProfile('redpanda', 'a');
    await h.addProfile('acquia', 'b');
    // An API that takes the proxied request and never answers: the request stays in flight.
    slow = createServer((req: IncomingMessage) => {
      upstreamClosed.push(new Promise((done) => req.socket.once('close', () => done(Date.now()))));
      upstreamArrived?.();
    });
    await new Promise<void>((done) => slow.listen(0, '127.0.0.1', done));
    slowUrl = `http://127.0.0.1:${(slow.address() as AddressInfo).port}`;
    const profile = h.store.getProfile('a');
    assert.ok(profile);
    await h.core.engine.upsertProfile({ ...profile, apiUrl: slowUrl }, h.servers[0]?.secrets());
  });
  after(async () => {
    slow.closeAllConnections();
    await new Promise((done) => slow.close(done));
    await h.close();
  });

  const open = async (key: string): Promise<EventStream> => {
    const stream = await openEvents(h.port, { Authorization: `Bearer ${key}` });
    assert.equal(stream.status, 200);
    return stream;
  };

  /** The stream is still delivering (so its end below is the revocation's doing). */
  const stillLive = async (stream: EventStream, id: string): Promise<void> => {
    const seen = stream.next((e) => e.type === 'profile' && e.status.id === id && e.status.state === 'paused');
    await h.core.engine.setPaused(id, true);
    await seen;
    await h.core.engine.setPaused(id, false);
  };

  test('a key removed by the RPC: its open stream ends at once, another key\'s stays', async () => {
    const doomed = await h.addKey('doomed-rpc', null);
    const stream = await open(doomed);
    const bystander = await open(h.key);
    await stillLive(stream, 'a');
    const removedAt = Date.now();
    assert.deepEqual(await h.core.rpc['clients:remove']('doomed-rpc'), { removed: true });
    const endedAt = await endOf(stream);
    assert.ok(endedAt - removedAt < WITHIN_MS, `ended ${endedAt - removedAt} ms after the removal`);
    await stillLive(bystander, 'b');
    bystander.close();
    assert.equal((await openEvents(h.port, { Authorization: `Bearer ${doomed}` })).status, 401);
  });

  test('a key removed by `tokentray clients rm` in another process: its stream ends within a second', async () => {
    const doomed = await h.addKey('doomed-cli', null);
    const stream = await open(doomed);
    await stillLive(stream, 'a');
    let endedAt = 0;
    void stream.ended.then((at) => (endedAt = at));
    const removed = await runCli(['clients', 'rm', 'doomed-cli', '--config-dir', join(h.dir, 'config')]);
    const exitedAt = Date.now();
    assert.equal(removed.code, 0, removed.stderr);
    await endOf(stream);
    // The CLI's write lands before it exits; the stream may even end before the exit is seen.
    assert.ok(endedAt - exitedAt < WITHIN_MS, `ended ${endedAt - exitedAt} ms after the CLI exited`);
  });

  test('a key narrowed by another process (store change): a stream that saw a profile it may no longer see ends', async () => {
    const key = await h.addKey('narrowed', ['a', 'b']);
    const stream = await open(key);
    await stillLive(stream, 'b');
    const other = openFileStore(join(h.dir, 'config')).store;
    try {
      const record = other.listClients().find((c) => c.name === 'narrowed');
      assert.ok(record);
      other.putClient({ ...record, profiles: ['a'] });
    } finally {
      other.close();
    }
    const narrowedAt = Date.now();
    const endedAt = await endOf(stream);
    assert.ok(endedAt - narrowedAt < WITHIN_MS, `ended ${endedAt - narrowedAt} ms after the change`);
    // The key itself still works for what it may still see.
    const again = await open(key);
    await stillLive(again, 'a');
    again.close();
  });

  test('an in-flight proxied request of a revoked key is cut, upstream too', async () => {
    const key = await h.addKey('proxy-doomed', null);
    const arrived = new Promise<void>((done) => (upstreamArrived = done));
    const answered = new Promise<{ error?: string; status?: number; at: number }>((done) => {
      const req = request({ host: '127.0.0.1', port: h.port, path: '/v1/proxy/a/slow', headers: { Authorization: `Bearer ${key}` } }, (res) => {
        res.resume();
        res.once('close', () => done({ status: res.statusCode ?? 0, at: Date.now() }));
      });
      req.once('error', (error: NodeJS.ErrnoException) => done({ error: error.code ?? error.message, at: Date.now() }));
      req.end();
    });
    await arrived;
    const upstream = upstreamClosed.at(-1);
    assert.ok(upstream);
    const removedAt = Date.now();
    await h.core.rpc['clients:remove']('proxy-doomed');
    const outcome = await answered;
    assert.ok(outcome.error !== undefined, `the caller got an answer instead of a cut: ${JSON.stringify(outcome)}`);
    assert.ok(outcome.at - removedAt < WITHIN_MS, `cut ${outcome.at - removedAt} ms after the removal`);
    const upstreamAt = await upstream;
    assert.ok(upstreamAt - removedAt < WITHIN_MS, `upstream closed ${upstreamAt - removedAt} ms after the removal`);
  });

  test('an in-flight proxied request of a key narrowed away from its profile is cut', async () => {
    const key = await h.addKey('proxy-narrowed', ['a', 'b']);
    const arrived = new Promise<void>((done) => (upstreamArrived = done));
    const cut = new Promise<number>((done) => {
      const req = request({ host: '127.0.0.1', port: h.port, path: '/v1/proxy/a/slow', headers: { Authorization: `Bearer ${key}` } });
      req.once('error', () => done(Date.now()));
      req.once('response', () => assert.fail('the revoked request was answered'));
      req.end();
    });
    await arrived;
    const record = h.store.listClients().find((c) => c.name === 'proxy-narrowed');
    assert.ok(record);
    const narrowedAt = Date.now();
    h.store.putClient({ ...record, profiles: ['b'] });
    const cutAt = await cut;
    assert.ok(cutAt - narrowedAt < WITHIN_MS, `cut ${cutAt - narrowedAt} ms after the change`);
  });

  test('an in-flight proxied request survives a change that still allows it', async () => {
    const key = await h.addKey('proxy-kept', ['a', 'b']);
    const arrived = new Promise<void>((done) => (upstreamArrived = done));
    let cut = false;
    const req = request({ host: '127.0.0.1', port: h.port, path: '/v1/proxy/a/slow', headers: { Authorization: `Bearer ${key}` } });
    req.once('error', () => (cut = true));
    req.end();
    await arrived;
    const record = h.store.listClients().find((c) => c.name === 'proxy-kept');
    assert.ok(record);
    h.store.putClient({ ...record, profiles: ['a'] });
    // Two of the server's checks later, it is still open.
    await new Promise((done) => setTimeout(done, 600));
    assert.equal(cut, false);
    req.destroy();
  });

  test('dashboard sessions: revokeAllSessions (Lock) ends every session\'s stream and RPC at once', async () => {
    const first = await loginDashboard(h);
    const second = await loginDashboard(h);
    const streams = [await openEvents(h.port, first.headers), await openEvents(h.port, second.headers)];
    const keyStream = await open(h.key);
    for (const stream of streams) assert.equal(stream.status, 200);
    const revokedAt = Date.now();
    h.core.server.revokeAllSessions();
    for (const stream of streams) {
      const endedAt = await endOf(stream);
      assert.ok(endedAt - revokedAt < WITHIN_MS);
    }
    for (const login of [first, second]) {
      const answer = await h.call('POST', '/ui/rpc/profiles:list', { key: null, headers: { ...login.headers, 'Content-Type': 'application/json' }, body: '[]' });
      assert.equal(answer.status, 401);
    }
    // Client keys are not sessions: their streams go on.
    await stillLive(keyStream, 'a');
    keyStream.close();
  });
});
