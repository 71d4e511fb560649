// Token answer parsing, lifetimes, Retry-After and Set-Cookie parsing: the pure parts under the
// providers (the providers themselves are tested against local servers in test/integration).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { TokentrayError } from '../../main/core/errors.js';
import { errorFromResponse, hostOf, parseRetryAfter } from '../../main/core/providers/http-errors.js';
import { resolveProfile } from '../../main/core/profiles.js';
import { parseSetCookie } from '../../main/core/providers/camunda-operate-cookie.js';
import { basicClientAuth, formEncode } from '../../main/core/providers/token-request.js';
import { bearerToken, lifetimeOf, parseTokenAnswer } from '../../main/core/providers/token-answer-parser.js';

const NOW = Date.parse('2030-01-01T00:00:00Z');
const profile = resolveProfile({ id: 'p', name: 'p', provider: 'oauth2', tokenUrl: 'https://auth.example/token', defaultLifetimeSec: 120 });
const key = new TextEncoder().encode('0123456789abcdef0123456789abcdef');

function jwt(claims: { iat?: number; exp?: number }): Promise<string> {
  const token = new SignJWT({}).setProtectedHeader({ alg: 'HS256' });
  if (claims.iat !== undefined) token.setIssuedAt(claims.iat);
  if (claims.exp !== undefined) token.setExpirationTime(claims.exp);
  return token.sign(key);
}

describe('token answers', () => {
  it('accepts a number or a numeric string expires_in, and treats null as absent', () => {
    assert.equal(parseTokenAnswer({ access_token: 'a', expires_in: 60 }, 'h').expires_in, 60);
    assert.equal(parseTokenAnswer({ access_token: 'a', expires_in: '3600' }, 'h').expires_in, 3600);
    const answer = parseTokenAnswer({ access_token: 'a', expires_in: null }, 'h');
    assert.deepEqual(lifetimeOf(answer, profile, NOW), { lifetimeMs: 120_000, source: 'default' });
  });

  for (const [label, value] of [
    ['no access_token', { token_type: 'Bearer' }],
    ['an empty access_token', { access_token: '' }],
    ['a numeric access_token', { access_token: 42 }],
    ['a negative expires_in', { access_token: 'a', expires_in: -1 }],
    ['a zero expires_in', { access_token: 'a', expires_in: 0 }],
    ['a non-numeric expires_in', { access_token: 'a', expires_in: 'one hour' }],
    ['an array', [{ access_token: 'a' }]],
  ] as const) {
    it(`rejects ${label} as bad_response`, () => {
      assert.throws(
        () => parseTokenAnswer(value, 'auth.example'),
        (error: unknown) => error instanceof TokentrayError && error.kind === 'bad_response' && /token URL/.test(error.hint ?? ''),
      );
    });
  }

  it('reads the JWT exp claim: exp - iat when iat is there, else exp - now', async () => {
    const nowSec = NOW / 1000;
    const withIat = parseTokenAnswer({ access_token: await jwt({ iat: nowSec - 5000, exp: nowSec - 5000 + 900 }) }, 'h');
    assert.deepEqual(lifetimeOf(withIat, profile, NOW), { lifetimeMs: 900_000, source: 'jwt' });
    const withoutIat = parseTokenAnswer({ access_token: await jwt({ exp: nowSec + 600 }) }, 'h');
    assert.deepEqual(lifetimeOf(withoutIat, profile, NOW), { lifetimeMs: 600_000, source: 'jwt' });
    const expired = parseTokenAnswer({ access_token: await jwt({ exp: nowSec - 1 }) }, 'h');
    assert.throws(() => lifetimeOf(expired, profile, NOW), (e: unknown) => e instanceof TokentrayError && e.kind === 'bad_response');
  });

  it('expires_in wins over the JWT exp; opaque tokens use the default', async () => {
    const token = await jwt({ iat: NOW / 1000, exp: NOW / 1000 + 900 });
    assert.equal(bearerToken(parseTokenAnswer({ access_token: token, expires_in: 30 }, 'h'), profile, NOW).expiresAt, NOW + 30_000);
    const opaque = bearerToken(parseTokenAnswer({ access_token: 'a.b.c' }, 'h'), profile, NOW);
    assert.equal(opaque.expiresAt, NOW + 120_000);
    assert.deepEqual(opaque.headers, { Authorization: 'Bearer a.b.c' });
  });
});

describe('http errors', () => {
  it('Retry-After: seconds or an HTTP date', () => {
    assert.equal(parseRetryAfter('120', NOW), 120_000);
    assert.equal(parseRetryAfter(new Date(NOW + 5000).toUTCString(), NOW), 5000);
    assert.equal(parseRetryAfter(new Date(NOW - 5000).toUTCString(), NOW), 0);
    assert.equal(parseRetryAfter('soon', NOW), undefined);
    assert.equal(parseRetryAfter(null, NOW), undefined);
  });

  it('names the host only, never the path or query', () => {
    assert.equal(hostOf('http://localhost:8080/api/login?username=a&password=b'), 'localhost:8080');
    assert.equal(hostOf('not a url'), 'the provider');
  });

  it('Acquia phrasing in the message alone is still additional_authentication_required', () => {
    const error = errorFromResponse(403, new Headers(), JSON.stringify({ message: 'This resource requires additional authentication.' }), 'h', { now: NOW });
    assert.equal(error.kind, 'additional_authentication_required');
    assert.match(error.hint ?? '', /organization:<uuid>/);
  });

  it('403 without an OAuth code is an http_error, not a credential stop', () => {
    const error = errorFromResponse(403, new Headers(), 'Forbidden', 'h', { now: NOW });
    assert.equal(error.kind, 'http_error');
    assert.equal(error.isCredentialError, false);
  });
});

describe('encodings', () => {
  it('form-encodes the client id and secret before HTTP Basic (RFC 6749 2.3.1)', () => {
    assert.equal(formEncode('a b&c+d%e/f'), 'a+b%26c%2Bd%25e%2Ff');
    assert.equal(basicClientAuth('id:1', 's s'), `Basic ${Buffer.from('id%3A1:s+s').toString('base64')}`);
  });

  it('parses Set-Cookie: Max-Age wins over Expires', () => {
    assert.deepEqual(parseSetCookie('S=abc; Path=/; HttpOnly; Max-Age=60', NOW), { name: 'S', value: 'abc', expiresAt: NOW + 60_000 });
    const expires = new Date(NOW + 10_000).toUTCString();
    assert.deepEqual(parseSetCookie(`S=a=b; Expires=${expires}`, NOW), { name: 'S', value: 'a=b', expiresAt: NOW + 10_000 });
    assert.deepEqual(parseSetCookie(`S=x; Expires=${expires}; Max-Age=5`, NOW)?.expiresAt, NOW + 5000);
    assert.equal(parseSetCookie('garbage', NOW), null);
  });
});
