// The proxy (ANY /v1/proxy/{id}/{path}, docs/http-api.md) over real HTTP with the real engine: what
// it never passes on, and what it learns from the API's answers. The API stand-ins answer as the
// providers' documents say theirs do (seed 002 for Acquia's Federated Authentication).
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { EngineEvent, ProfileStatus } from '../../common/contract.js';
import { openEvents, startHarness, type Harness } from './api-harness.js';

function statusOf(h: Harness, id: string): Promise<ProfileStatus> {
  return h.call('GET', '/v1/profiles').then((answer) => {
    const found = (JSON.parse(answer.body) as ProfileStatus[]).find((status) => status.id === id);
    assert.ok(found, `no status for ${id}`);
    return found;
  });
}

/** The promise's value, or a failure after `ms` (the machine may be busy: generous bounds). */
async function within<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describe('the proxy', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h.close();
  });

  describe("Tokentray's own headers", () => {
    let api: Server;
    let apiUrl: string;
    const seen: IncomingHttpHeaders[] = [];
    before(async () => {
      api = createServer((req, res) => {
        seen.push(req.headers);
        req.resume();
        req.on('end', () => {
          res.writeHead(200, { 'Content-Type': 'application/json' });
          res.end('{}');
        });
      });
      await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
      apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}/api`;
    });
    after(async () => {
      api.closeAllConnections();
      await new Promise<void>((resolve) => api.close(() => resolve()));
    });

    test('X-Tokentray-Session, X-Tokentray-Client and any X-Tokentray-* never reach the API', async () => {
      await h.addProfile('redpanda', 'own-headers', { apiUrl });
      const answer = await h.call('GET', '/v1/proxy/own-headers/things', {
        headers: {
          'X-Tokentray-Session': 'session-secret-value',
          'X-Tokentray-Client': 'my-script',
          'X-TokenTray-Future-Thing': 'x',
          'X-Keep': 'kept',
        },
      });
      assert.equal(answer.status, 200, answer.body);
      const got = seen.at(-1);
      assert.ok(got);
      assert.deepEqual(Object.keys(got).filter((name) => name.startsWith('x-tokentray')), []);
      assert.equal(got['x-keep'], 'kept');
    });
  });

  describe("Acquia's Federated Authentication answer from the API (seed 002)", () => {
    for (const answer of ['code', 'message'] as const) {
      test(`an API answer naming additional authentication (${answer}) becomes the profile's last error, in the token endpoint's words`, async () => {
        // The same refusal from the token endpoint, for the words to compare with.
        await h.addProfile('acquia', `acq-token-${answer}`, { scope: undefined }, undefined, { federated: true });
        const refused = await h.call('GET', `/v1/profiles/acq-token-${answer}/token`);
        assert.notEqual(refused.status, 200);
        const fromToken = (await statusOf(h, `acq-token-${answer}`)).lastError;
        assert.equal(fromToken?.kind, 'additional_authentication_required');

        const id = `acq-api-${answer}`;
        const server = await h.addProfile('acquia', id, { scope: undefined }, undefined, { federated: true, federatedAt: 'api', federatedApiAnswer: answer });
        assert.equal((await statusOf(h, id)).lastError, null);
        const stream = await openEvents(h.port, { Authorization: `Bearer ${h.key}` });
        const shown = stream.next((e: EngineEvent) => e.type === 'profile' && e.status.id === id && e.status.lastError !== null);

        const proxied = await h.call('GET', `/v1/proxy/${id}/whoami`);
        // The caller still gets the API's own answer.
        assert.equal(proxied.status, 403);
        assert.match(proxied.body, /This resource requires additional authentication\./);

        const status = await statusOf(h, id);
        const error = status.lastError;
        assert.ok(error, 'the profile shows no last error');
        assert.equal(error.kind, 'additional_authentication_required');
        assert.equal(error.hint, fromToken?.hint);
        assert.match(error.hint ?? '', /organization:<uuid>/);
        const apiHost = new URL(server.apiUrl).host;
        const tokenHost = new URL(h.servers.at(-2)?.tokenUrl ?? '').host;
        assert.equal(error.message, fromToken?.message.replace(tokenHost, apiHost));
        // The token is fine as a token: the profile is not in error, and it was asked for once.
        assert.equal(status.state, 'fresh');
        assert.equal(server.tokenRequestCount(), 1);
        // The dashboard hears of it at once, though the state did not change.
        const event = await within(shown, 30_000, 'no profile event carried the last error');
        stream.close();
        assert.equal(event.type === 'profile' ? event.status.lastError?.kind : undefined, 'additional_authentication_required');

        // With the organization's scope the API answers, and the error is gone.
        const profile = h.store.getProfile(id);
        assert.ok(profile);
        await h.core.engine.upsertProfile({ ...profile, scope: `organization:${server.organizationUuid}` });
        const good = await h.call('GET', `/v1/proxy/${id}/whoami`);
        assert.equal(good.status, 200, good.body);
        assert.equal((await statusOf(h, id)).lastError, null);
      });
    }

    test('other refusals from the API leave the last error alone', async () => {
      const server = await h.addProfile('acquia', 'acq-other');
      const notFound = await h.call('GET', '/v1/proxy/acq-other/no-such-thing');
      assert.equal(notFound.status, 404);
      assert.equal((await statusOf(h, 'acq-other')).lastError, null);
      assert.equal(server.tokenRequestCount(), 1);
    });
  });
});
