// common/relay.ts, the words and URLs the CLI and the dashboard give OAuth clients: the same issuer and
// token URL as the server's RFC 8414 metadata, the audience the relay itself checks, and examples that
// carry the real URL, key name and key (shell-quoted) or plain placeholders.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { PROVIDER_IDS } from '../../common/providers.js';
import { apiBaseUrl, CLIENT_SECRET_PLACEHOLDER, relayAudience, relayEndpoints, relayExamples, shellQuote } from '../../common/relay.js';
import { profileAudience, relayMetadata } from '../../main/core/api/relay.js';
import { resolveProfile } from '../../main/core/profiles.js';

describe('relay endpoints and examples (common/relay.ts)', () => {
  it('the same issuer and token URL as the metadata the server answers', () => {
    const endpoints = relayEndpoints(apiBaseUrl(47210), 'prod');
    assert.deepEqual(endpoints, {
      issuer: 'http://127.0.0.1:47210/v1/profiles/prod',
      tokenUrl: 'http://127.0.0.1:47210/v1/profiles/prod/oauth/token',
      metadataUrl: 'http://127.0.0.1:47210/.well-known/oauth-authorization-server/v1/profiles/prod',
    });
    const metadata = relayMetadata('http://127.0.0.1:47210', 'prod');
    assert.equal(metadata.issuer, endpoints.issuer);
    assert.equal(metadata.token_endpoint, endpoints.tokenUrl);
    assert.deepEqual(relayEndpoints('http://127.0.0.1:47210/', 'prod'), endpoints);
  });

  it("the audience is the one the relay checks, for every provider, with or without the profile's own", () => {
    for (const provider of PROVIDER_IDS) {
      for (const extra of [{}, { audience: 'own.example' }, { extraParams: { audience: 'extra.example' } }, { audience: '' }]) {
        const profile = { id: 'p', name: 'p', provider, ...extra };
        assert.equal(relayAudience(profile), profileAudience(resolveProfile(profile)), `${provider} ${JSON.stringify(extra)}`);
      }
    }
  });

  it('examples name the URL, the key and the audience; placeholders until a key was created', () => {
    const endpoints = relayEndpoints(apiBaseUrl(47210), 'ops');
    const generic = relayExamples(endpoints, { id: 'ops', provider: 'camunda-operate' });
    assert.match(generic.camundaEnv, /^export CAMUNDA_OAUTH_URL='http:\/\/127\.0\.0\.1:47210\/v1\/profiles\/ops\/oauth\/token'$/m);
    assert.match(generic.camundaEnv, /^export ZEEBE_CLIENT_SECRET='<client key>'$/m);
    assert.match(generic.camundaEnv, /^export CAMUNDA_OPERATE_OAUTH_AUDIENCE='operate\.camunda\.io'$/m);
    assert.ok(generic.postman.includes(`Client Secret: ${CLIENT_SECRET_PLACEHOLDER}`));

    const withKey = relayExamples(endpoints, { id: 'ops', provider: 'oauth2', audience: 'zeebe.camunda.io' }, { clientId: 'worker', clientSecret: "k'$x" });
    assert.match(withKey.camundaEnv, /^export ZEEBE_TOKEN_AUDIENCE='zeebe\.camunda\.io'$/m);
    assert.match(withKey.postman, /^Access Token URL: http:\/\/127\.0\.0\.1:47210\/v1\/profiles\/ops\/oauth\/token$/m);
    assert.match(withKey.postman, /^Client ID: worker$/m);
    // The curl example is a real shell command: run through sh -n for syntax and echo for the body.
    execFileSync('sh', ['-n', '-c', withKey.curl]);
    const dataArg = withKey.curl.split('--data-raw ')[1] as string;
    const body = JSON.parse(execFileSync('sh', ['-c', `printf %s ${dataArg}`], { encoding: 'utf8' })) as Record<string, string>;
    assert.deepEqual(body, { grant_type: 'client_credentials', audience: 'zeebe.camunda.io', client_id: 'worker', client_secret: "k'$x" });

    const none = relayExamples(endpoints, { id: 'ops', provider: 'redpanda' });
    assert.doesNotMatch(none.camundaEnv, /AUDIENCE/);
    assert.equal(shellQuote("a'b"), `'a'\\''b'`);
  });
});
