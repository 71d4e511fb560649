// The token relay over real HTTP (docs/http-api.md, "The token relay"): the core as the app runs it,
// a profile backed by a real OAuth server (oidc-provider) and one backed by a Camunda-like server
// (seed 001), and every refusal docs/http-api.md lists in RFC 6749 section 5.2's shape.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ActivityEntry } from '../../common/contract.js';
import { startOidcUpstream, UPSTREAM_CLIENT, type OidcUpstream } from '../support/servers/oidc-upstream.js';
import { corsHeaders, startHarness, type Answer, type Harness } from './api-harness.js';

const FAILURE_DELAY_MS = 150;

let h: Harness;
let upstream: OidcUpstream;
let appKey: string;
let otherKey: string;

const form = (fields: Record<string, string>): string => new URLSearchParams(fields).toString();
const basic = (id: string, secret: string): string => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' };
const JSON_TYPE = { 'Content-Type': 'application/json' };

function relay(id: string, body: string, headers: Record<string, string> = FORM): Promise<Answer> {
  return h.call('POST', `/v1/profiles/${id}/oauth/token`, { key: null, headers, body });
}

/** The answer as RFC 6749 section 5.2 says: this status, JSON with `error` and `error_description`. */
function assertOAuthError(answer: Answer, status: number, error: string): string {
  assert.equal(answer.status, status, answer.body);
  assert.match(String(answer.headers['content-type']), /^application\/json/);
  assert.equal(answer.headers['cache-control'], 'no-store');
  assert.equal(answer.headers.pragma, 'no-cache');
  const body = JSON.parse(answer.body) as { error: string; error_description: string };
  assert.deepEqual(Object.keys(body).sort(), ['error', 'error_description']);
  assert.equal(body.error, error, body.error_description);
  assert.ok(body.error_description.length > 10);
  // Never the presented secrets, whatever went wrong.
  assert.ok(!answer.body.includes(appKey) && !answer.body.includes(otherKey));
  return body.error_description;
}

before(async () => {
  upstream = await startOidcUpstream();
  h = await startHarness({ limits: { relayFailureDelayMs: FAILURE_DELAY_MS, relayFailureDelayMaxMs: 4 * FAILURE_DELAY_MS, relayBodyBytes: 4096 } });
  await h.core.engine.upsertProfile(
    { id: 'oidc', name: 'oidc', provider: 'oauth2', tokenUrl: upstream.tokenUrl, clientId: UPSTREAM_CLIENT.id, scope: UPSTREAM_CLIENT.scope, audience: 'zeebe.camunda.io' },
    { clientSecret: UPSTREAM_CLIENT.secret },
  );
  // camunda-console with no audience of its own: the provider default api.cloud.camunda.io (seed 001).
  await h.addProfile('camunda-console', 'console', { audience: undefined });
  await h.addProfile('sendcloud', 'sendcloud-basic', { provider: 'sendcloud-basic' });
  await h.addProfile('camunda-operate-cookie', 'operate-cookie');
  // Upstream that cannot be reached: no valid token can be had.
  await h.core.engine.upsertProfile(
    { id: 'down', name: 'down', provider: 'oauth2', tokenUrl: 'http://127.0.0.1:9/token', clientId: 'x', timeoutMs: 2000 },
    { clientSecret: 'irrelevant-secret' },
  );
  // A key may only be limited to profiles that exist; 'ghost' is removed after, so the key names a
  // profile that is gone.
  await h.addProfile('redpanda', 'ghost');
  appKey = await h.addKey('app', ['oidc', 'console', 'down', 'sendcloud-basic', 'operate-cookie', 'ghost']);
  await h.core.engine.removeProfile('ghost');
  otherKey = await h.addKey('other', ['console']);
});

after(async () => {
  await h.close();
  await upstream.close();
});

describe('the token relay answers', () => {
  it('client_secret_basic: the profile token as RFC 6749 section 5.1 JSON, no-store, no CORS', async () => {
    const answer = await relay('oidc', form({ grant_type: 'client_credentials' }), { ...FORM, Authorization: basic('app', appKey) });
    assert.equal(answer.status, 200, answer.body);
    assert.equal(answer.headers['cache-control'], 'no-store');
    assert.equal(answer.headers.pragma, 'no-cache');
    assert.match(String(answer.headers['content-type']), /^application\/json/);
    assert.deepEqual(corsHeaders(answer.headers), []);
    const body = JSON.parse(answer.body) as { access_token: string; token_type: string; expires_in: number; scope: string };
    assert.deepEqual(Object.keys(body).sort(), ['access_token', 'expires_in', 'scope', 'token_type']);
    assert.equal(body.token_type, 'Bearer');
    assert.equal(body.scope, UPSTREAM_CLIENT.scope);
    assert.equal(body.access_token, (await h.core.engine.getToken('oidc')).accessToken);
    const info = await upstream.introspect(body.access_token);
    assert.equal(info.active, true);
    assert.equal(info.client_id, UPSTREAM_CLIENT.id);
    // Counted from now: at most the upstream lifetime, and what the token really has left.
    const left = ((info.exp as number) * 1000 - Date.now()) / 1000;
    assert.ok(body.expires_in <= 600 && body.expires_in >= Math.floor(left) - 5, `${body.expires_in} vs ${left}`);
  });

  it('client_secret_post, and a JSON body exactly as in Camunda\'s curl example (seed 001)', async () => {
    const post = await relay('oidc', form({ grant_type: 'client_credentials', client_id: 'app', client_secret: appKey, audience: 'zeebe.camunda.io' }));
    assert.equal(post.status, 200, post.body);
    const camunda = await relay(
      'console',
      `{"grant_type":"client_credentials", "audience":"api.cloud.camunda.io", "client_id":"app", "client_secret":"${appKey}"}`,
      JSON_TYPE,
    );
    assert.equal(camunda.status, 200, camunda.body);
    assert.equal((JSON.parse(camunda.body) as { access_token: string }).access_token, (await h.core.engine.getToken('console')).accessToken);
  });

  it('ignores parameters it does not use, and a scope', async () => {
    const answer = await relay('oidc', form({ grant_type: 'client_credentials', client_id: 'app', client_secret: appKey, scope: 'anything', foo: 'bar' }));
    assert.equal(answer.status, 200, answer.body);
    const json = await relay('oidc', JSON.stringify({ grant_type: 'client_credentials', client_id: 'app', client_secret: appKey, extra: { nested: [1] } }), JSON_TYPE);
    assert.equal(json.status, 200, json.body);
  });

  it('Basic credentials are form-urlencoded before base64 (RFC 6749 section 2.3.1), and decoded so', async () => {
    // Every character percent-encoded, as a client may: still the same name and key.
    const encode = (s: string): string => [...s].map((c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`).join('');
    const ok = await relay('oidc', form({ grant_type: 'client_credentials' }), { ...FORM, Authorization: basic(encode('app'), encode(appKey)) });
    assert.equal(ok.status, 200, ok.body);
    // A `+` is a space in form encoding, so a key with `_` spelled `+` is a different secret.
    const plus = await relay('oidc', form({ grant_type: 'client_credentials' }), { ...FORM, Authorization: basic('app', appKey.replace(/_/g, '+').replace(/^ttk/, 'ttk+')) });
    assertOAuthError(plus, 401, 'invalid_client');
    // Malformed percent-encoding is unreadable, not a crash.
    const broken = await relay('oidc', form({ grant_type: 'client_credentials' }), { ...FORM, Authorization: basic('app', '%E0%A4%A') });
    assertOAuthError(broken, 401, 'invalid_client');
    assert.equal(broken.headers['www-authenticate'], 'Basic realm="tokentray"');
  });
});

describe('the token relay refuses', () => {
  it('invalid_client 401 for a wrong secret, a wrong name, a revoked key, no credentials; the Basic challenge only after Basic', async () => {
    const wrongBasic = await relay('oidc', form({ grant_type: 'client_credentials' }), { ...FORM, Authorization: basic('app', `${appKey}x`) });
    const described = assertOAuthError(wrongBasic, 401, 'invalid_client');
    assert.equal(wrongBasic.headers['www-authenticate'], 'Basic realm="tokentray"');
    const wrongPost = await relay('oidc', form({ grant_type: 'client_credentials', client_id: 'app', client_secret: 'ttk_nope' }));
    assert.equal(assertOAuthError(wrongPost, 401, 'invalid_client'), described);
    assert.equal(wrongPost.headers['www-authenticate'], undefined);
    // The right key under another key's name.
    const wrongName = await relay('console', JSON.stringify({ grant_type: 'client_credentials', client_id: 'other', client_secret: appKey }), JSON_TYPE);
    assert.equal(assertOAuthError(wrongName, 401, 'invalid_client'), described);
    const none = await relay('oidc', form({ grant_type: 'client_credentials' }));
    assertOAuthError(none, 401, 'invalid_client');
    const bearer = await relay('oidc', form({ grant_type: 'client_credentials' }), { ...FORM, Authorization: `Bearer ${appKey}` });
    assertOAuthError(bearer, 401, 'invalid_client');

    const revokedKey = await h.addKey('revoked', null);
    const before = await relay('oidc', form({ grant_type: 'client_credentials', client_id: 'revoked', client_secret: revokedKey }));
    assert.equal(before.status, 200, before.body);
    await h.core.rpc['clients:remove']('revoked');
    const afterRevoke = await relay('oidc', form({ grant_type: 'client_credentials', client_id: 'revoked', client_secret: revokedKey }));
    assertOAuthError(afterRevoke, 401, 'invalid_client');
  });

  it('wrong secrets cost a growing delay per client_id; the right secret is never delayed', async () => {
    const attempt = async (id: string): Promise<number> => {
      const started = Date.now();
      const answer = await relay('oidc', form({ grant_type: 'client_credentials', client_id: id, client_secret: 'ttk_wrong' }));
      assertOAuthError(answer, 401, 'invalid_client');
      return Date.now() - started;
    };
    // A fresh name: first refusal after the base delay, the next after twice that, then four times.
    const first = await attempt('prober');
    const second = await attempt('prober');
    const third = await attempt('prober');
    assert.ok(first >= FAILURE_DELAY_MS - 5, `first ${first}`);
    assert.ok(second >= 2 * FAILURE_DELAY_MS - 5, `second ${second}`);
    assert.ok(third >= 4 * FAILURE_DELAY_MS - 5, `third ${third}`);
    // Another name starts over: its refusal waits only the base delay again, whatever prober did.
    // (Upper bounds are not asserted on a loaded machine; the exact sequence is in the unit tests.)
    const ok = await relay('oidc', form({ grant_type: 'client_credentials', client_id: 'app', client_secret: appKey }));
    assert.equal(ok.status, 200, ok.body);
  });

  it('invalid_request 400 for a malformed request', async () => {
    const auth = { client_id: 'app', client_secret: appKey };
    assertOAuthError(await relay('oidc', form(auth)), 400, 'invalid_request');
    assertOAuthError(await relay('oidc', `${form({ grant_type: 'client_credentials', ...auth })}&grant_type=client_credentials`), 400, 'invalid_request');
    assertOAuthError(await relay('oidc', '{"grant_type":', JSON_TYPE), 400, 'invalid_request');
    assertOAuthError(await relay('oidc', '["client_credentials"]', JSON_TYPE), 400, 'invalid_request');
    assertOAuthError(await relay('oidc', JSON.stringify({ grant_type: 'client_credentials', client_id: 'app', client_secret: 42 }), JSON_TYPE), 400, 'invalid_request');
    assertOAuthError(await relay('oidc', 'grant_type=client_credentials', { 'Content-Type': 'text/plain' }), 400, 'invalid_request');
    // Two authentication methods at once (RFC 6749 section 2.3).
    assertOAuthError(
      await relay('oidc', form({ grant_type: 'client_credentials', ...auth }), { ...FORM, Authorization: basic('app', appKey) }),
      400,
      'invalid_request',
    );
  });

  it('unsupported_grant_type 400 for any grant but client_credentials', async () => {
    const answer = await relay('oidc', form({ grant_type: 'password', username: 'u', password: 'p', client_id: 'app', client_secret: appKey }));
    assertOAuthError(answer, 400, 'unsupported_grant_type');
  });

  it('invalid_target 400 for another audience or resource, naming the profile\'s (provider defaults resolved)', async () => {
    const other = await relay('console', JSON.stringify({ grant_type: 'client_credentials', audience: 'zeebe.camunda.io', client_id: 'app', client_secret: appKey }), JSON_TYPE);
    assert.match(assertOAuthError(other, 400, 'invalid_target'), /"api\.cloud\.camunda\.io"/);
    const resource = await relay('oidc', form({ grant_type: 'client_credentials', client_id: 'app', client_secret: appKey, resource: 'https://elsewhere.example' }));
    assert.match(assertOAuthError(resource, 400, 'invalid_target'), /"zeebe\.camunda\.io"/);
    const same = await relay('oidc', form({ grant_type: 'client_credentials', client_id: 'app', client_secret: appKey, resource: 'zeebe.camunda.io' }));
    assert.equal(same.status, 200, same.body);
  });

  it('unauthorized_client 400 for a profile the key may not use, the same whether it exists or not', async () => {
    const exists = await relay('oidc', form({ grant_type: 'client_credentials', client_id: 'other', client_secret: otherKey }));
    const missing = await relay('no-such-profile', form({ grant_type: 'client_credentials', client_id: 'other', client_secret: otherKey }));
    const d1 = assertOAuthError(exists, 400, 'unauthorized_client');
    const d2 = assertOAuthError(missing, 400, 'unauthorized_client');
    assert.equal(d1.replace('"oidc"', '"X"'), d2.replace('"no-such-profile"', '"X"'));
    // A key that may use the id learns that it does not exist.
    const ghost = await relay('ghost', form({ grant_type: 'client_credentials', client_id: 'app', client_secret: appKey }));
    assert.match(assertOAuthError(ghost, 400, 'invalid_request'), /no profile "ghost"/);
    const unlimited = await relay('ghost', form({ grant_type: 'client_credentials' }), { ...FORM, Authorization: `Basic ${Buffer.from(`tester:${h.key}`).toString('base64')}` });
    assertOAuthError(unlimited, 400, 'invalid_request');
  });

  it('unauthorized_client 400 for cookie and Basic profiles, saying why', async () => {
    const auth = form({ grant_type: 'client_credentials', client_id: 'app', client_secret: appKey });
    assert.match(assertOAuthError(await relay('operate-cookie', auth), 400, 'unauthorized_client'), /session cookie/);
    assert.match(assertOAuthError(await relay('sendcloud-basic', auth), 400, 'unauthorized_client'), /HTTP Basic/);
  });

  it('temporarily_unavailable 503 with Retry-After when no valid token can be had', async () => {
    const answer = await relay('down', form({ grant_type: 'client_credentials', client_id: 'app', client_secret: appKey }));
    assertOAuthError(answer, 503, 'temporarily_unavailable');
    assert.match(String(answer.headers['retry-after']), /^[1-9]\d*$/);
  });

  it('413 past the body bound, and the connection is closed after it', async () => {
    const answer = await relay('oidc', `grant_type=client_credentials&pad=${'a'.repeat(8000)}`);
    assertOAuthError(answer, 413, 'invalid_request');
    assert.equal(answer.headers.connection, 'close');
  });

  it('the front door applies: foreign Host, foreign Origin, cross-site fetch, X-Forwarded-For', async () => {
    const body = form({ grant_type: 'client_credentials', client_id: 'app', client_secret: appKey });
    const refused: Record<string, string>[] = [
      { Host: `evil.example:${h.port}` },
      { Origin: 'http://evil.example' },
      { 'Sec-Fetch-Site': 'cross-site' },
      { 'X-Forwarded-For': '10.0.0.1' },
    ];
    for (const headers of refused) {
      const answer = await relay('oidc', body, { ...FORM, ...headers });
      assert.equal(answer.status, 403, JSON.stringify(headers));
      assert.ok(!answer.body.includes('access_token'));
    }
  });

  it('only POST on the token path', async () => {
    const answer = await h.call('GET', '/v1/profiles/oidc/oauth/token', { key: null });
    assert.equal(answer.status, 405);
    assert.equal(answer.headers.allow, 'POST');
  });
});

describe('RFC 8414 metadata', () => {
  it('is served at the RFC\'s path and the appended one, without a key, the same for unknown profiles', async () => {
    const expected = (id: string): Record<string, unknown> => ({
      issuer: `http://127.0.0.1:${h.port}/v1/profiles/${id}`,
      token_endpoint: `http://127.0.0.1:${h.port}/v1/profiles/${id}/oauth/token`,
      grant_types_supported: ['client_credentials'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      response_types_supported: [],
    });
    for (const id of ['oidc', 'no-such-profile']) {
      for (const path of [`/.well-known/oauth-authorization-server/v1/profiles/${id}`, `/v1/profiles/${id}/.well-known/oauth-authorization-server`]) {
        const answer = await h.call('GET', path, { key: null });
        assert.equal(answer.status, 200, path);
        assert.deepEqual(JSON.parse(answer.body), expected(id));
      }
    }
    // The issuer follows the Host the client used (already checked by the front door).
    const localhost = await h.call('GET', '/.well-known/oauth-authorization-server/v1/profiles/oidc', { key: null, headers: { Host: `localhost:${h.port}` } });
    assert.equal((JSON.parse(localhost.body) as { issuer: string }).issuer, `http://localhost:${h.port}/v1/profiles/oidc`);
    const foreign = await h.call('GET', '/.well-known/oauth-authorization-server/v1/profiles/oidc', { key: null, headers: { Host: 'evil.example' } });
    assert.equal(foreign.status, 403);
  });
});

describe('GET /v1/activity', () => {
  it('needs a key, and shows only what the key may see, newest last', async () => {
    assert.equal((await h.call('GET', '/v1/activity', { key: null })).status, 401);
    const ok = await relay('console', JSON.stringify({ grant_type: 'client_credentials', client_id: 'other', client_secret: otherKey }), JSON_TYPE);
    assert.equal(ok.status, 200, ok.body);

    const all = JSON.parse((await h.call('GET', '/v1/activity')).body) as ActivityEntry[];
    const seqs = all.map((e) => e.seq);
    assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b));
    assert.deepEqual(all.at(-1), { ...all.at(-1), kind: 'token-issued', profileId: 'console', client: 'other' });
    // The unlimited key also sees entries about no profile (keys added and removed).
    assert.ok(all.some((e) => e.kind === 'client-added' && e.client === 'other'));

    const limited = JSON.parse((await h.call('GET', '/v1/activity', { key: otherKey })).body) as ActivityEntry[];
    assert.ok(limited.length > 0);
    assert.deepEqual(limited, all.filter((e) => e.profileId === 'console'));
    assert.equal((await h.call('POST', '/v1/activity')).status, 405);
  });

  it('has every relayed token under the key\'s name', async () => {
    const before = (JSON.parse((await h.call('GET', '/v1/activity')).body) as ActivityEntry[]).at(-1)?.seq ?? 0;
    const auth = form({ grant_type: 'client_credentials', client_id: 'app', client_secret: appKey });
    for (const id of ['oidc', 'console', 'oidc']) assert.equal((await relay(id, auth)).status, 200);
    assertOAuthError(await relay('oidc', form({ grant_type: 'client_credentials', client_id: 'app', client_secret: 'ttk_bad' })), 401, 'invalid_client');
    const entries = (JSON.parse((await h.call('GET', '/v1/activity')).body) as ActivityEntry[]).filter((e) => e.seq > before && e.kind === 'token-issued');
    assert.deepEqual(
      entries.map((e) => [e.profileId, e.client]),
      [
        ['oidc', 'app'],
        ['console', 'app'],
        ['oidc', 'app'],
      ],
    );
  });
});
