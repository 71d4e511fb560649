// Every provider against a local server that behaves as its seed document describes (shared/seeds/):
// request encodings byte for byte, lifetimes, every error answer and transport failure mapped to a
// TokentrayError whose message and hint never contain a secret.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import type { ProfileConfig, ProfileSecrets } from '../../common/contract.js';
import { PROVIDER_IDS } from '../../common/providers.js';
import type { Clock } from '../../main/core/clock.js';
import { systemClock } from '../../main/core/clock.js';
import { TokentrayError, type ErrorKind } from '../../main/core/errors.js';
import { resolveProfile } from '../../main/core/profiles.js';
import { createProviderRegistry } from '../../main/core/providers/index.js';
import type { Token } from '../../main/core/types.js';
import {
  startProviderServer,
  startSelfSignedTlsServer,
  type ProviderServer,
  type ProviderServerOptions,
  type ServerKind,
  type ServerMode,
} from '../support/servers/index.js';

const registry = createProviderRegistry();
const servers: { close(): Promise<void> }[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

async function start(kind: ServerKind, options: ProviderServerOptions = {}): Promise<ProviderServer> {
  const server = await startProviderServer(kind, options);
  servers.push(server);
  return server;
}

/** A clock frozen at a known instant, so lifetimes are exact. */
function frozenClock(at = 1_700_000_000_000): Clock {
  return { ...systemClock, now: () => at };
}

interface ObtainOptions {
  clock?: Clock;
  signal?: AbortSignal;
}

function obtain(profile: ProfileConfig, secrets: ProfileSecrets, options: ObtainOptions = {}): Promise<Token> {
  const provider = registry.get(profile.provider);
  assert.ok(provider, `provider ${profile.provider}`);
  return provider.obtain(resolveProfile(profile), secrets, {
    fetch: (input, init) => fetch(input, init),
    clock: options.clock ?? systemClock,
    ...(options.signal ? { signal: options.signal } : {}),
  });
}

/** Asserts the promise fails with a TokentrayError of this kind that leaks none of the given strings. */
async function expectFailure(
  promise: Promise<unknown>,
  kind: ErrorKind,
  secrets: string[],
  checks: { message?: RegExp; hint?: RegExp } = {},
): Promise<TokentrayError> {
  const error = await promise.then(
    () => assert.fail(`expected ${kind}, got a token`),
    (e: unknown) => e,
  );
  assert.ok(error instanceof TokentrayError, `expected TokentrayError, got ${String(error)}`);
  assert.equal(error.kind, kind, `kind of "${error.message}"`);
  assert.ok(error.message.length > 0);
  assert.ok(error.hint && error.hint.length > 0, 'has a hint');
  if (checks.message) assert.match(error.message, checks.message);
  if (checks.hint) assert.match(error.hint, checks.hint);
  const visible = [error.message, error.hint, error.stack ?? '', JSON.stringify(error.cause ?? null), JSON.stringify(error.toInfo())];
  for (const secret of secrets) {
    for (const text of visible) {
      assert.ok(!text.includes(secret), `error text must not contain a secret: ${text}`);
      assert.ok(!text.includes(encodeURIComponent(secret)), `error text must not contain an encoded secret: ${text}`);
    }
  }
  return error;
}

async function whoami(server: ProviderServer, token: Token): Promise<number> {
  const response = await fetch(`${server.apiUrl}/whoami`, { headers: token.headers });
  await response.arrayBuffer();
  return response.status;
}

function lastRequest(server: ProviderServer) {
  const request = server.requests.at(-1);
  assert.ok(request, 'the server received a request');
  return request;
}

/** application/x-www-form-urlencoded of one value, written out independently of the code under test. */
function formEncoded(value: string): string {
  return encodeURIComponent(value).replace(/%20/g, '+').replace(/[!'()*~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

const SECRET = 'p@ss word&x=1+2%3/4?ü';

describe('provider registry', () => {
  it('has a provider for each of the nine ids', () => {
    assert.deepEqual([...registry.keys()].sort(), [...PROVIDER_IDS].sort());
    for (const [id, provider] of registry) assert.equal(provider.id, id);
  });

  it('applies the seed timeouts: Acquia 25 s, others 10 s', () => {
    assert.equal(resolveProfile({ id: 'a', name: 'a', provider: 'acquia' }).timeoutMs, 25_000);
    assert.equal(resolveProfile({ id: 'r', name: 'r', provider: 'redpanda' }).timeoutMs, 10_000);
  });
});

describe('a slow answer', () => {
  it('counts the token\'s lifetime from when the request left, never from when the answer came', async () => {
    // An opaque token whose expiry the server keeps to the millisecond (a JWT's exp is in seconds).
    const server = await start('oauth2', { lifetimeSec: 60 });
    server.setAnswerDelay(700);
    const sent = Date.now();
    const token = await obtain(server.profile(), server.secrets());
    const issued = server.issued.at(-1);
    assert.ok(issued !== undefined);
    assert.ok(Date.now() - sent >= 700, 'the answer was slow');
    // The server started the clock on receiving the request; counting from the answer would claim
    // the token valid 700 ms past the server's own expiry.
    assert.ok(token.expiresAt !== null && token.expiresAt <= issued.expiresAt, `${token.expiresAt} after the server's ${issued.expiresAt}`);
    assert.ok(token.obtainedAt >= sent && token.obtainedAt <= lastRequest(server).at);
  });
});

describe('redpanda (seed 000)', () => {
  it('posts a form body with the client credentials and gets a one-hour token', async () => {
    const server = await start('redpanda', { clientSecret: SECRET });
    const clock = frozenClock();
    const token = await obtain(server.profile(), server.secrets(), { clock });
    const request = lastRequest(server);
    assert.equal(request.method, 'POST');
    assert.equal(request.path, '/oauth/token');
    assert.equal(request.headers['content-type'], 'application/x-www-form-urlencoded');
    assert.equal(request.headers.accept, 'application/json');
    assert.equal(
      request.body,
      `grant_type=client_credentials&client_id=redpanda-client&client_secret=${formEncoded(SECRET)}`,
    );
    assert.equal(token.tokenType, 'Bearer');
    assert.equal(token.obtainedAt, clock.now());
    assert.equal(token.expiresAt, clock.now() + 3600 * 1000);
    assert.deepEqual(token.headers, { Authorization: `Bearer ${server.issued[0]?.accessToken}` });
    assert.equal(await whoami(server, token), 200);
  });

  it('adds the audience when the profile sets one', async () => {
    const server = await start('redpanda');
    await obtain(server.profile({ audience: 'cloudv2-production.redpanda.cloud' }), server.secrets());
    assert.match(lastRequest(server).body, /&audience=cloudv2-production\.redpanda\.cloud$/);
  });

  it('a wrong secret is a credential error', async () => {
    const server = await start('redpanda');
    const error = await expectFailure(obtain(server.profile(), { clientSecret: 'wrong secret' }), 'access_denied', ['wrong secret']);
    assert.ok(error.isCredentialError);
    assert.equal(error.status, 401);
  });
});

describe('camunda-console (seed 001)', () => {
  it('posts the JSON body of the seed and reads the lifetime from the JWT exp claim', async () => {
    const server = await start('camunda-console', { clientSecret: SECRET, lifetimeSec: 5400 });
    const clock = frozenClock();
    const token = await obtain(server.profile(), server.secrets(), { clock });
    const request = lastRequest(server);
    assert.equal(request.headers['content-type'], 'application/json');
    assert.equal(
      request.body,
      JSON.stringify({ grant_type: 'client_credentials', audience: 'api.cloud.camunda.io', client_id: 'camunda-console-client', client_secret: SECRET }),
    );
    assert.equal(token.expiresAt, clock.now() + 5400 * 1000, 'lifetime from exp - iat, not a default');
    assert.equal(await whoami(server, token), 200);
  });

  it('answers 429 with Retry-After when the client asks too often (rate limiting)', async () => {
    const server = await start('camunda-console', { rateLimit: { max: 2, windowMs: 60_000, retryAfterSec: 45 } });
    await obtain(server.profile(), server.secrets());
    await obtain(server.profile(), server.secrets());
    const error = await expectFailure(obtain(server.profile(), server.secrets()), 'rate_limited', [server.credentials.clientSecret], {
      message: /rate limiting/,
    });
    assert.equal(error.retryAfterMs, 45_000);
    assert.equal(error.status, 429);
    assert.equal(error.isCredentialError, false);
  });

  it('a wrong audience is refused by the server', async () => {
    const server = await start('camunda-console');
    await expectFailure(obtain(server.profile({ audience: 'zeebe.camunda.io' }), server.secrets()), 'access_denied', [
      server.credentials.clientSecret,
    ]);
  });
});

describe('camunda-operate (seed 003)', () => {
  it('SaaS: JSON body with audience operate.camunda.io, lifetime from expires_in', async () => {
    const server = await start('camunda-operate');
    const clock = frozenClock();
    const token = await obtain(server.profile(), server.secrets(), { clock });
    assert.equal(
      lastRequest(server).body,
      JSON.stringify({
        grant_type: 'client_credentials',
        audience: 'operate.camunda.io',
        client_id: 'camunda-operate-client',
        client_secret: server.credentials.clientSecret,
      }),
    );
    assert.equal(token.expiresAt, clock.now() + 58_847 * 1000);
    assert.equal(await whoami(server, token), 200);
  });

  it('Identity: form body with audience and scope against the Keycloak token URL', async () => {
    const server = await start('camunda-operate-identity', { lifetimeSec: 300 });
    const clock = frozenClock();
    const token = await obtain(server.profile({ audience: 'operate-api', scope: 'openid operate' }), server.secrets(), { clock });
    const request = lastRequest(server);
    assert.equal(request.path, '/auth/realms/camunda-platform/protocol/openid-connect/token');
    assert.equal(
      request.body,
      `grant_type=client_credentials&client_id=camunda-operate-identity-client&client_secret=${formEncoded(server.credentials.clientSecret)}&audience=operate-api&scope=openid+operate`,
    );
    assert.equal(token.expiresAt, clock.now() + 300_000);
    assert.equal(token.scope, 'openid operate');
    assert.equal(await whoami(server, token), 200);
  });

  it('Identity: a wrong secret is unauthorized_client (Keycloak)', async () => {
    const server = await start('camunda-operate-identity');
    const error = await expectFailure(obtain(server.profile(), { clientSecret: 'nope nope' }), 'unauthorized_client', ['nope nope']);
    assert.ok(error.isCredentialError);
  });
});

describe('camunda-operate-cookie (seed 003)', () => {
  it('logs in with the url-encoded query, keeps every cookie and the CSRF header', async () => {
    const server = await start('camunda-operate-cookie', { password: SECRET });
    const clock = frozenClock();
    const token = await obtain(server.profile({ sessionLifetimeSec: 900 }), server.secrets(), { clock });
    const request = lastRequest(server);
    assert.equal(request.method, 'POST');
    assert.equal(request.path, `/api/login?username=demo&password=${formEncoded(SECRET)}`);
    const session = server.issued[0];
    assert.ok(session?.cookies && session.csrfToken);
    assert.equal(token.tokenType, 'Cookie');
    assert.equal(token.accessToken, session.cookies.join('; '));
    assert.deepEqual(token.headers, { Cookie: session.cookies.join('; '), 'X-CSRF-TOKEN': session.csrfToken });
    assert.equal(session.cookies.length, 2);
    assert.equal(token.expiresAt, clock.now() + 900_000);
    assert.equal(await whoami(server, token), 200);
  });

  it('the session expires server-side; a new login gives a working session again', async () => {
    let serverNow = Date.now();
    const server = await start('camunda-operate-cookie', { now: () => serverNow, lifetimeSec: 60, csrf: false });
    const token = await obtain(server.profile({ sessionLifetimeSec: 60 }), server.secrets());
    assert.equal(token.headers['X-CSRF-TOKEN'], undefined, 'no CSRF header when the server sends none');
    assert.equal(await whoami(server, token), 200);
    serverNow += 61_000;
    assert.equal(await whoami(server, token), 401);
    const again = await obtain(server.profile(), server.secrets());
    assert.equal(await whoami(server, again), 200);
    assert.equal(server.tokenRequestCount(), 2);
  });

  it('a cookie Max-Age shorter than the session lifetime wins', async () => {
    const server = await start('camunda-operate-cookie', { cookieMaxAgeSec: 120 });
    const clock = frozenClock();
    const token = await obtain(server.profile({ sessionLifetimeSec: 1800 }), server.secrets(), { clock });
    assert.equal(token.expiresAt, clock.now() + 120_000);
  });

  it('a wrong password is a credential error that never shows the password or the login URL', async () => {
    const server = await start('camunda-operate-cookie');
    const wrong = 'hunter2 &secret';
    const error = await expectFailure(obtain(server.profile(), { password: wrong }), 'invalid_client', [wrong, '/api/login', 'password='], {
      message: /username or password was rejected/,
    });
    assert.ok(error.isCredentialError);
    assert.equal(error.status, 401);
  });

  it('a timeout or refused login never shows the password or the login URL', async () => {
    const server = await start('camunda-operate-cookie', { mode: 'hang' });
    const password = server.credentials.password;
    await expectFailure(obtain(server.profile({ timeoutMs: 200 }), server.secrets()), 'timeout', [password, '/api/login', 'password=']);
    const closed = await start('camunda-operate-cookie');
    await closed.close();
    await expectFailure(obtain(closed.profile(), closed.secrets()), 'connection_refused', [password, '/api/login', 'password=']);
  });

  it('an answer without a cookie (not Operate) is a bad response', async () => {
    const server = await start('camunda-operate-cookie', { mode: 'html' });
    await expectFailure(obtain(server.profile(), server.secrets()), 'bad_response', [server.credentials.password], {
      hint: /base URL/,
    });
  });
});

describe('acquia (seed 002)', () => {
  it('posts a url-encoded form in the order of the seed, tokens last 300 s', async () => {
    const server = await start('acquia', { clientSecret: SECRET });
    const clock = frozenClock();
    const token = await obtain(server.profile(), server.secrets(), { clock });
    assert.equal(
      lastRequest(server).body,
      `client_id=acquia-client&client_secret=${formEncoded(SECRET)}&grant_type=client_credentials`,
    );
    assert.equal(token.expiresAt, clock.now() + 300_000);
    assert.equal(await whoami(server, token), 200);
  });

  it('Federated Authentication: without scope organization:<uuid> the error says what to add', async () => {
    const server = await start('acquia', { federated: true });
    const error = await expectFailure(
      obtain(server.profile({ scope: '' }), server.secrets()),
      'additional_authentication_required',
      [server.credentials.clientSecret],
      { hint: /organization:<uuid>/ },
    );
    assert.ok(error.isCredentialError);
    const token = await obtain(server.profile(), server.secrets());
    assert.equal(lastRequest(server).body.split('&').at(-1), `scope=organization%3A${server.organizationUuid}`);
    assert.equal(token.scope, `organization:${server.organizationUuid}`);
    assert.equal(await whoami(server, token), 200);
  });
});

describe('sendcloud (seed 004)', () => {
  it('OAuth2: HTTP Basic client auth with form-encoded id and secret, scope=api, ory_at_ tokens for 3599 s', async () => {
    const server = await start('sendcloud', { clientId: 'pub key+1', clientSecret: SECRET });
    const clock = frozenClock();
    const token = await obtain(server.profile(), server.secrets(), { clock });
    const request = lastRequest(server);
    const expected = Buffer.from(`${formEncoded('pub key+1')}:${formEncoded(SECRET)}`, 'utf8').toString('base64');
    assert.equal(request.headers.authorization, `Basic ${expected}`);
    assert.equal(request.headers['content-type'], 'application/x-www-form-urlencoded');
    assert.equal(request.body, 'grant_type=client_credentials&scope=api');
    assert.match(token.accessToken, /^ory_at_/);
    assert.equal(token.tokenType, 'Bearer');
    assert.equal(token.expiresAt, clock.now() + 3599 * 1000);
    assert.equal(token.scope, 'api');
    assert.equal(await whoami(server, token), 200);
  });

  it('Basic: no request, a static Authorization header that never expires', async () => {
    const server = await start('sendcloud', { clientSecret: SECRET });
    const token = await obtain(server.profile({ provider: 'sendcloud-basic', tokenUrl: undefined }), server.secrets());
    assert.equal(server.tokenRequestCount(), 0);
    assert.equal(token.tokenType, 'Basic');
    assert.equal(token.expiresAt, null);
    assert.deepEqual(token.headers, {
      Authorization: `Basic ${Buffer.from(`sendcloud-client:${SECRET}`, 'utf8').toString('base64')}`,
    });
    assert.equal(await whoami(server, token), 200);
  });

  it('a wrong secret is invalid_client with the plain-words message', async () => {
    const server = await start('sendcloud');
    await expectFailure(obtain(server.profile(), { clientSecret: 'bad+secret' }), 'invalid_client', ['bad+secret'], {
      message: /client id or secret was rejected/,
    });
  });
});

describe('oauth2: encodings against a recording server', () => {
  it('client_secret_basic (default): credentials only in the Authorization header', async () => {
    const server = await start('oauth2', { authMethod: 'client_secret_basic', clientId: 'my app', clientSecret: SECRET });
    await obtain(server.profile({ scope: 'read write', audience: 'https://api.example/' }), server.secrets());
    const request = lastRequest(server);
    assert.equal(request.headers.authorization, `Basic ${Buffer.from(`my+app:${formEncoded(SECRET)}`).toString('base64')}`);
    assert.equal(request.body, 'grant_type=client_credentials&audience=https%3A%2F%2Fapi.example%2F&scope=read+write');
  });

  it('client_secret_post: credentials in the form body, extra parameters after them', async () => {
    const server = await start('oauth2', { authMethod: 'client_secret_post', clientSecret: SECRET });
    await obtain(
      server.profile({ authMethod: 'client_secret_post', extraParams: { resource: 'urn:x&y', grant_type: 'password' } }),
      server.secrets(),
    );
    const request = lastRequest(server);
    assert.equal(request.headers.authorization, undefined);
    assert.equal(
      request.body,
      `grant_type=client_credentials&client_id=oauth2-client&client_secret=${formEncoded(SECRET)}&resource=urn%3Ax%26y`,
      'extra parameters never override the grant',
    );
  });

  it('json: a JSON body with audience, scope and extra parameters', async () => {
    const server = await start('oauth2', { authMethod: 'json', clientSecret: SECRET });
    const token = await obtain(
      server.profile({ authMethod: 'json', audience: 'aud', scope: 'a b', extraParams: { tenant: 't1' } }),
      server.secrets(),
    );
    const request = lastRequest(server);
    assert.equal(request.headers['content-type'], 'application/json');
    assert.equal(
      request.body,
      JSON.stringify({ grant_type: 'client_credentials', client_id: 'oauth2-client', client_secret: SECRET, audience: 'aud', scope: 'a b', tenant: 't1' }),
    );
    assert.equal(await whoami(server, token), 200);
  });

  it('uses the profile default lifetime when the answer has neither expires_in nor a JWT', async () => {
    const recorder = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json;charset=utf-8' });
      res.end('{"access_token":"opaque-token","token_type":"bearer"}');
    });
    await new Promise<void>((resolve) => recorder.listen(0, '127.0.0.1', resolve));
    servers.push({ close: () => new Promise<void>((resolve) => recorder.close(() => resolve())) });
    const clock = frozenClock();
    const tokenUrl = `http://127.0.0.1:${(recorder.address() as AddressInfo).port}/token`;
    const token = await obtain(
      { id: 'o', name: 'o', provider: 'oauth2', tokenUrl, clientId: 'c', defaultLifetimeSec: 777 },
      { clientSecret: 's' },
      { clock },
    );
    assert.equal(token.expiresAt, clock.now() + 777_000);
  });
});

/** What each failure mode must become (docs/providers.md). */
const MODE_EXPECTATIONS: { mode: ServerMode; kind: ErrorKind; credential: boolean; message?: RegExp; hint?: RegExp; status?: number; retryAfterMs?: number }[] = [
  { mode: 'invalid_client', kind: 'invalid_client', credential: true, message: /client id or secret was rejected/, status: 401 },
  { mode: 'unauthorized_client', kind: 'unauthorized_client', credential: true, status: 400 },
  { mode: 'invalid_scope', kind: 'invalid_scope', credential: true, message: /scope/ },
  { mode: 'access_denied', kind: 'access_denied', credential: true, status: 403 },
  { mode: 'additional_authentication_required', kind: 'additional_authentication_required', credential: true, hint: /organization:<uuid>/ },
  { mode: 'rate_limited', kind: 'rate_limited', credential: false, status: 429, retryAfterMs: 30_000 },
  { mode: 'server_error', kind: 'server_error', credential: false, status: 500 },
  { mode: 'service_unavailable', kind: 'server_error', credential: false, status: 503, retryAfterMs: 30_000 },
  { mode: 'bad_request', kind: 'invalid_request', credential: true, status: 400 },
  { mode: 'unauthorized', kind: 'invalid_client', credential: true, status: 401 },
  { mode: 'not_found', kind: 'http_error', credential: false, status: 404, hint: /token URL/ },
  { mode: 'html', kind: 'bad_response', credential: false, message: /HTML/, hint: /token URL/ },
  { mode: 'not_json', kind: 'bad_response', credential: false, message: /not JSON/, hint: /token URL/ },
  { mode: 'no_access_token', kind: 'bad_response', credential: false, message: /access_token/ },
  { mode: 'empty_access_token', kind: 'bad_response', credential: false, message: /access_token/ },
  { mode: 'negative_expires_in', kind: 'bad_response', credential: false, message: /expires_in/ },
  { mode: 'zero_expires_in', kind: 'bad_response', credential: false, message: /expires_in/ },
  { mode: 'non_numeric_expires_in', kind: 'bad_response', credential: false, message: /expires_in/ },
  { mode: 'reset', kind: 'connection_reset', credential: false },
];

const TOKEN_KINDS: ServerKind[] = ['redpanda', 'camunda-console', 'camunda-operate', 'camunda-operate-identity', 'acquia', 'sendcloud', 'oauth2'];

describe('every failure mode of every token endpoint', () => {
  for (const kind of TOKEN_KINDS) {
    it(`${kind}: each mode becomes the right error kind, message and hint`, async () => {
      const server = await start(kind, { clientSecret: SECRET });
      const profile = server.profile();
      for (const expected of MODE_EXPECTATIONS) {
        server.setMode(expected.mode);
        const error = await expectFailure(obtain(profile, server.secrets()), expected.kind, [SECRET, formEncoded(SECRET)], {
          message: expected.message ?? new RegExp(`127\\.0\\.0\\.1:\\d+`),
          ...(expected.hint ? { hint: expected.hint } : {}),
        });
        assert.equal(error.isCredentialError, expected.credential, `${expected.mode}: credential error?`);
        if (expected.status !== undefined) assert.equal(error.status, expected.status, `${expected.mode}: status`);
        if (expected.retryAfterMs !== undefined) assert.equal(error.retryAfterMs, expected.retryAfterMs, `${expected.mode}: retry after`);
        assert.ok(!/[?&]/.test(error.message.replace(/\?$/, '')), `no query string in: ${error.message}`);
      }
      // A numeric string expires_in is still a valid token.
      server.setMode('string_expires_in');
      const clock = frozenClock();
      const token = await obtain(profile, server.secrets(), { clock });
      assert.ok(token.expiresAt !== null && token.expiresAt > clock.now());
      server.setMode('ok');
      assert.equal(await whoami(server, await obtain(profile, server.secrets())), 200);
    });
  }

  it('Retry-After as an HTTP date becomes milliseconds from now', async () => {
    const server = await start('camunda-console');
    const clock = frozenClock(Date.parse('2030-01-01T00:00:00Z'));
    server.setMode('rate_limited', { retryAfter: 'Tue, 01 Jan 2030 00:02:00 GMT' });
    const error = await expectFailure(obtain(server.profile(), server.secrets(), { clock }), 'rate_limited', []);
    assert.equal(error.retryAfterMs, 120_000);
  });

  it('a 502 HTML page from a proxy is a server error', async () => {
    const server = await start('redpanda');
    server.setMode('html', { status: 502 });
    const error = await expectFailure(obtain(server.profile(), server.secrets()), 'server_error', []);
    assert.equal(error.status, 502);
  });
});

describe('transport failures', () => {
  it('timeout: a server that never answers fails after the profile timeout', async () => {
    const server = await start('acquia', { mode: 'hang', clientSecret: SECRET });
    const error = await expectFailure(obtain(server.profile({ timeoutMs: 300 }), server.secrets()), 'timeout', [SECRET], {
      message: /did not answer within 0\.3 s/,
    });
    assert.equal(error.isCredentialError, false);
    assert.equal(server.tokenRequestCount(), 1);
  });

  it('the caller can cancel a request', async () => {
    const server = await start('redpanda', { mode: 'hang' });
    const controller = new AbortController();
    const pending = obtain(server.profile(), server.secrets(), { signal: controller.signal });
    await server.nextRequest();
    controller.abort();
    await expectFailure(pending, 'cancelled', [server.credentials.clientSecret]);
  });

  it('connection refused: nothing listens on the port', async () => {
    const server = await start('redpanda');
    await server.close();
    await expectFailure(obtain(server.profile(), server.secrets()), 'connection_refused', [server.credentials.clientSecret], {
      message: /refused/,
    });
  });

  it('connection reset: the server drops the socket', async () => {
    const server = await start('sendcloud', { mode: 'reset' });
    await expectFailure(obtain(server.profile(), server.secrets()), 'connection_reset', [server.credentials.clientSecret]);
  });

  it('DNS: a host under .invalid does not resolve', async () => {
    await expectFailure(
      obtain(
        { id: 'd', name: 'd', provider: 'redpanda', tokenUrl: 'https://tokentray-test.invalid/oauth/token', clientId: 'c' },
        { clientSecret: SECRET },
      ),
      'dns',
      [SECRET],
      { message: /tokentray-test\.invalid/ },
    );
  });

  it('TLS: a self-signed certificate is refused', async () => {
    const tls = await startSelfSignedTlsServer();
    servers.push(tls);
    await expectFailure(
      obtain({ id: 't', name: 't', provider: 'oauth2', tokenUrl: `${tls.url}/token`, clientId: 'c' }, { clientSecret: SECRET }),
      'tls',
      [SECRET],
      { hint: /certificate/ },
    );
  });

  it('a redirect is not followed (the secret never goes to another address)', async () => {
    const target = await start('oauth2');
    const redirector = createServer((_req, res) => {
      res.writeHead(307, { location: target.tokenUrl });
      res.end();
    });
    await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve));
    servers.push({ close: () => new Promise<void>((resolve) => redirector.close(() => resolve())) });
    const tokenUrl = `http://127.0.0.1:${(redirector.address() as AddressInfo).port}/token`;
    await expectFailure(obtain(target.profile({ tokenUrl }), target.secrets()), 'http_error', [target.credentials.clientSecret], {
      hint: /final URL/,
    });
    assert.equal(target.tokenRequestCount(), 0);
  });

  it('missing secret and missing token URL are clear local errors', async () => {
    await expectFailure(
      obtain({ id: 'm', name: 'm', provider: 'oauth2', tokenUrl: 'http://127.0.0.1:9/token', clientId: 'c' }, {}),
      'missing_secret',
      [],
    );
    await expectFailure(obtain({ id: 'm', name: 'm', provider: 'oauth2', clientId: 'c' }, { clientSecret: 's' }), 'config', []);
  });
});
