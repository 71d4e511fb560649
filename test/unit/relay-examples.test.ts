// common/relay.ts, the words and URLs the CLI and the dashboard give OAuth clients: the same issuer and
// token URL as the server's RFC 8414 metadata, the audience the relay itself checks, and examples that
// carry the real URL, key name and key (shell-quoted) or plain placeholders.
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
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
    // The curl example is a real shell command: run through sh -n for syntax, then with curl as a
    // shell function that shows its arguments and its standard input.
    execFileSync('sh', ['-n', '-c', withKey.curl]);
    const run = spawnSync('sh', ['-c', `curl() { printf '%s\\n' "$@" >&2; cat; }\n${withKey.curl}`], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    const body = JSON.parse(run.stdout) as Record<string, string>;
    assert.deepEqual(body, { grant_type: 'client_credentials', audience: 'zeebe.camunda.io', client_id: 'worker', client_secret: "k'$x" });
    assert.ok(!run.stderr.includes("k'$x"), 'the key is not among curl\'s arguments');
    assert.match(run.stderr, /^http:\/\/127\.0\.0\.1:47210\/v1\/profiles\/ops\/oauth\/token$/m);

    const none = relayExamples(endpoints, { id: 'ops', provider: 'redpanda' });
    assert.doesNotMatch(none.camundaEnv, /AUDIENCE/);
    assert.equal(shellQuote("a'b"), `'a'\\''b'`);
  });

  it('the curl example, run by the shell with the real curl, sends exactly its JSON body', async () => {
    const received: Array<{ url: string; type: string; body: string }> = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        received.push({ url: req.url ?? '', type: req.headers['content-type'] ?? '', body });
        res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"access_token":"t","token_type":"Bearer","expires_in":60}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const examples = relayExamples(relayEndpoints(apiBaseUrl(port), 'ops'), { id: 'ops', provider: 'camunda-operate' }, { clientId: 'worker', clientSecret: "s3cr$t'\\\"" });
      // Asynchronously: the server answering it runs in this process.
      const { stdout } = await promisify(execFile)('sh', ['-c', examples.curl], { encoding: 'utf8', timeout: 20_000 });
      assert.equal((JSON.parse(stdout) as { access_token: string }).access_token, 't');
      assert.equal(received.length, 1);
      assert.equal(received[0]?.url, '/v1/profiles/ops/oauth/token');
      assert.equal(received[0]?.type, 'application/json');
      assert.deepEqual(JSON.parse(received[0]?.body ?? ''), {
        grant_type: 'client_credentials',
        audience: 'operate.camunda.io',
        client_id: 'worker',
        client_secret: "s3cr$t'\\\"",
      });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
