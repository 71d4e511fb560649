// `tokentray relay ID` as a person runs it: a real CLI process and config directory,
// then a real `tokentray serve` whose profile is backed by a real OAuth server (oidc-provider). What
// it prints is what OAuth clients are given: the token URL answers the profile's token to a client
// key, and the issuer's RFC 8414 metadata names that same token URL. Exit codes per docs/cli.md.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_SETTINGS } from '../../common/contract.js';
import { runCli } from '../support/cli.js';
import { startServe, stopServe, type Served } from '../support/serve-process.js';
import { startOidcUpstream, UPSTREAM_CLIENT, type OidcUpstream } from '../support/servers/oidc-upstream.js';
import { makeTempDir, removeTempDir } from '../support/temp-dir.js';

const AUDIENCE = 'zeebe.camunda.io';

interface RelayJson {
  profile: string;
  issuer: string;
  tokenUrl: string;
  metadataUrl: string;
  audience: string | null;
  running: boolean;
}

let upstream: OidcUpstream;
let configDir: string;
let served: Served | undefined;

const relay = (...args: string[]) => runCli(['relay', ...args, '--config-dir', configDir]);

before(async () => {
  upstream = await startOidcUpstream();
  configDir = await makeTempDir('tokentray-cli-relay-');
  const added = await runCli(
    ['profile', 'add', 'camunda', '--provider', 'oauth2', '--client-id', UPSTREAM_CLIENT.id, '--token-url', upstream.tokenUrl, '--scope', UPSTREAM_CLIENT.scope, '--audience', AUDIENCE, '--secret-stdin', '--config-dir', configDir],
    { stdin: UPSTREAM_CLIENT.secret },
  );
  assert.equal(added.code, 0, added.stderr);
  const basic = await runCli(['profile', 'add', 'parcels', '--provider', 'sendcloud-basic', '--client-id', 'public-key', '--secret-stdin', '--config-dir', configDir], { stdin: 'basic-secret' });
  assert.equal(basic.code, 0, basic.stderr);
  const cookie = await runCli(['profile', 'add', 'operate', '--provider', 'camunda-operate-cookie', '--username', 'demo', '--secret-stdin', '--config-dir', configDir], { stdin: 'demo-password' });
  assert.equal(cookie.code, 0, cookie.stderr);
});

after(async () => {
  await stopServe(served);
  for (const id of ['camunda', 'parcels', 'operate']) await runCli(['profile', 'rm', id, '--config-dir', configDir]);
  await upstream.close();
  await removeTempDir(configDir);
});

describe('tokentray relay ID', () => {
  it('with no app running: the configured port, and says how to make the URL answer', async () => {
    const printed = await relay('camunda');
    assert.equal(printed.code, 0, printed.stderr);
    const base = `http://127.0.0.1:${DEFAULT_SETTINGS.port}`;
    assert.equal(
      printed.stdout,
      `Token URL: ${base}/v1/profiles/camunda/oauth/token\nIssuer:    ${base}/v1/profiles/camunda\nAudience:  ${AUDIENCE}\n`,
    );
    assert.match(printed.stderr, /not running/);
    assert.match(printed.stderr, /tokentray clients add NAME --profiles camunda/);
  });

  it('usage errors exit 2, an unknown profile 3', async () => {
    const missing = await runCli(['relay', '--config-dir', configDir]);
    assert.equal(missing.code, 2, missing.stderr);
    const unknown = await relay('ghost');
    assert.equal(unknown.code, 3, unknown.stderr);
    assert.match(unknown.stderr, /no profile "ghost"/);
    assert.equal(unknown.stdout, '');
  });

  it('refuses cookie and Basic profiles, saying why and what to use instead (exit 2)', async () => {
    const basic = await relay('parcels', '--json');
    assert.equal(basic.code, 2);
    assert.equal(basic.stdout, '');
    assert.match(basic.stderr, /"parcels" cannot be relayed.*HTTP Basic, not a bearer token/);
    assert.match(basic.stderr, /tokentray headers parcels/);
    const cookie = await relay('operate');
    assert.equal(cookie.code, 2);
    assert.match(cookie.stderr, /session cookie, not a bearer token/);
    assert.ok(!basic.stderr.includes('basic-secret') && !cookie.stderr.includes('demo-password'));
  });

  it('with serve running: its port, and the printed URLs are the ones a client key gets the token from', async () => {
    served = await startServe(configDir);
    const printed = await relay('camunda', '--json');
    assert.equal(printed.code, 0, printed.stderr);
    const info = JSON.parse(printed.stdout) as RelayJson;
    const base = `http://127.0.0.1:${served.port}`;
    assert.deepEqual(info, {
      profile: 'camunda',
      issuer: `${base}/v1/profiles/camunda`,
      tokenUrl: `${base}/v1/profiles/camunda/oauth/token`,
      metadataUrl: `${base}/.well-known/oauth-authorization-server/v1/profiles/camunda`,
      audience: AUDIENCE,
      running: true,
    });

    // The issuer's metadata (RFC 8414) names the same issuer and token URL.
    const metadata = (await (await fetch(info.metadataUrl)).json()) as { issuer: string; token_endpoint: string };
    assert.equal(metadata.issuer, info.issuer);
    assert.equal(metadata.token_endpoint, info.tokenUrl);

    const key = await runCli(['clients', 'add', 'worker', '--profiles', 'camunda', '--json', '--config-dir', configDir]);
    assert.equal(key.code, 0, key.stderr);
    const secret = (JSON.parse(key.stdout) as { key: string }).key;
    // The JSON body Camunda's docs send.
    const answer = await fetch(info.tokenUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ grant_type: 'client_credentials', audience: info.audience, client_id: 'worker', client_secret: secret }),
    });
    const body = (await answer.json()) as { access_token?: string; token_type?: string; error_description?: string };
    assert.equal(answer.status, 200, body.error_description);
    assert.equal(body.token_type, 'Bearer');
    const introspected = await upstream.introspect(body.access_token as string);
    assert.equal(introspected.active, true);
  });
});
