// The "secret never follows a changed destination" rule as a pure function: which edits
// need the secret again, which do not, and that defaults and spellings are compared resolved.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ProfileConfig } from '../../common/contract.js';
import { changedDestinations, SECRET_AGAIN, secretFollowErrors } from '../../common/profile-rules.js';

const oauth: ProfileConfig = {
  id: 'p',
  name: 'P',
  provider: 'oauth2',
  tokenUrl: 'https://auth.example.com/oauth/token',
  clientId: 'client-1',
  apiUrl: 'https://api.example.com',
};
const cookie: ProfileConfig = { id: 'c', name: 'C', provider: 'camunda-operate-cookie', baseUrl: 'http://operate:8080', username: 'demo' };
const redpanda: ProfileConfig = { id: 'r', name: 'R', provider: 'redpanda', clientId: 'rp' };

describe('secretFollowErrors', () => {
  const cases: Array<[string, ProfileConfig, ProfileConfig, string]> = [
    ['token URL', oauth, { ...oauth, tokenUrl: 'https://evil.example/token' }, 'tokenUrl'],
    ['token URL on the same host, other path', oauth, { ...oauth, tokenUrl: 'https://auth.example.com/other' }, 'tokenUrl'],
    ['API base URL', oauth, { ...oauth, apiUrl: 'http://127.0.0.1:9/' }, 'apiUrl'],
    ['client authentication', oauth, { ...oauth, authMethod: 'client_secret_post' }, 'authMethod'],
    ['client id', oauth, { ...oauth, clientId: 'client-2' }, 'clientId'],
    ['Operate base URL', cookie, { ...cookie, baseUrl: 'http://evil.example:8080' }, 'baseUrl'],
    ['Operate base URL from the default', { ...cookie, baseUrl: undefined } as ProfileConfig, cookie, 'baseUrl'],
    ['Operate username', cookie, { ...cookie, username: 'admin' }, 'username'],
    // Another provider resolves other default addresses too: each is named.
    ['provider', redpanda, { ...redpanda, provider: 'camunda-console' }, 'provider,tokenUrl,apiUrl'],
    ['a default token URL replaced', redpanda, { ...redpanda, tokenUrl: 'https://evil.example/oauth/token' }, 'tokenUrl'],
  ];
  for (const [what, before, after, field] of cases) {
    it(`a changed ${what} without the secret is refused on ${field.replaceAll(',', ', ')}`, () => {
      const errors = secretFollowErrors(before, after, {});
      assert.deepEqual(errors.map((e) => e.field), field.split(','));
      assert.ok(errors[0]?.message.endsWith(SECRET_AGAIN), errors[0]?.message);
      assert.match(errors[0]?.message ?? '', /changed: enter the secret again to send it to the new address$/);
    });
  }

  it('names every changed field at once, with the provider\'s own label', () => {
    const errors = secretFollowErrors(cookie, { ...cookie, baseUrl: 'http://x:1', username: 'u' }, {});
    assert.deepEqual(errors.map((e) => e.field), ['baseUrl', 'username']);
    assert.match(errors[0]?.message ?? '', /^Operate base URL changed/);
  });

  it('is allowed when the secret is given again', () => {
    assert.deepEqual(secretFollowErrors(oauth, { ...oauth, tokenUrl: 'https://evil.example/token' }, { clientSecret: 'again' }), []);
    assert.deepEqual(secretFollowErrors(cookie, { ...cookie, baseUrl: 'http://x:1' }, { password: 'again' }), []);
    // The wrong kind of secret for the provider is not "the secret again".
    assert.equal(secretFollowErrors(cookie, { ...cookie, baseUrl: 'http://x:1' }, { clientSecret: 'again' }).length, 1);
    assert.equal(secretFollowErrors(oauth, { ...oauth, clientId: 'x' }, { clientSecret: '' }).length, 1);
  });

  it('name, scope, audience, lifetimes, timeout, extra parameters and pause need no secret', () => {
    const edited: ProfileConfig = {
      ...oauth,
      name: 'Renamed',
      scope: 'read write',
      audience: 'aud',
      defaultLifetimeSec: 60,
      timeoutMs: 5000,
      extraParams: { resource: 'x' },
      paused: true,
      updatedAt: new Date().toISOString(),
    };
    assert.deepEqual(secretFollowErrors(oauth, edited, {}), []);
    assert.deepEqual(secretFollowErrors(cookie, { ...cookie, sessionLifetimeSec: 60 }, {}), []);
  });

  it('compares resolved destinations: the default spelled out, or another spelling of one URL, is no change', () => {
    assert.deepEqual(secretFollowErrors(redpanda, { ...redpanda, tokenUrl: 'https://auth.prd.cloud.redpanda.com/oauth/token' }, {}), []);
    assert.deepEqual(secretFollowErrors(redpanda, { ...redpanda, apiUrl: 'https://api.redpanda.com/' }, {}), []);
    assert.deepEqual(secretFollowErrors({ ...redpanda, tokenUrl: '' }, redpanda, {}), []);
    assert.deepEqual(secretFollowErrors(oauth, { ...oauth, authMethod: 'client_secret_basic' }, {}), [], 'oauth2 default method spelled out');
    assert.deepEqual(secretFollowErrors(oauth, { ...oauth, tokenUrl: 'HTTPS://AUTH.example.com:443/oauth/token' }, {}), []);
    assert.deepEqual(secretFollowErrors(cookie, { ...cookie, baseUrl: 'http://operate:8080/' }, {}), []);
  });

  it('a new profile is not this rule\'s business', () => {
    assert.deepEqual(secretFollowErrors(undefined, oauth, {}), []);
  });

  it('changedDestinations lists nothing for an identical profile', () => {
    assert.deepEqual(changedDestinations(oauth, { ...oauth }), []);
  });
});
