// Real OAuth clients that no one here wrote, against a real `tokentray serve` whose profile is backed
// by a real OAuth server (oidc-provider): openid-client 6 (discovery from the issuer, RFC 8414, then
// the client credentials grant, with client_secret_basic and client_secret_post), simple-oauth2 5
// (header, body, and a JSON body), and curl sending Camunda's own example body (seed 001). Each
// client is its own process; many of them, in a row and at once, cost the upstream one request.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ActivityEntry } from '../../common/contract.js';
import { inParallel, ROOT, runCli } from '../support/cli.js';
import { startServe, stopServe, type Served } from '../support/serve-process.js';
import { startOidcUpstream, UPSTREAM_CLIENT, type OidcUpstream } from '../support/servers/oidc-upstream.js';
import { makeTempDir, removeTempDir } from '../support/temp-dir.js';

const CLIENT_SCRIPT = join(ROOT, 'test/support/relay-client.mjs');
const AUDIENCE = 'zeebe.camunda.io';

interface ClientAnswer {
  access_token?: string;
  token_type?: string;
  expires_in?: number;
  scope?: string;
  error?: string;
  status?: number | null;
  description?: string;
  challenge?: string;
}

let upstream: OidcUpstream;
let configDir: string;
let served: Served;
let issuer: string;
const keys: Record<string, string> = {};

/** Runs one client program; the secret goes in its environment, never its argv. */
function runClient(mode: string, clientId: string, secret: string, issuerUrl = issuer): Promise<ClientAnswer> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLIENT_SCRIPT, mode, issuerUrl, clientId], {
      cwd: ROOT,
      env: { ...process.env, TOKENTRAY_RELAY_SECRET: secret },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.once('error', reject);
    child.once('close', () => {
      try {
        resolve(JSON.parse(stdout) as ClientAnswer);
      } catch {
        reject(new Error(`client ${mode} printed no answer: ${stdout}${stderr}`));
      }
    });
  });
}

/** curl as Camunda's docs call it (seed 001), with the body on stdin so the key is not in argv. */
function curlCamunda(url: string, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('curl', ['--silent', '--show-error', '--header', 'Content-Type: application/json', '--request', 'POST', '--data', '@-', '--write-out', '\n%{http_code}', url]);
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.once('error', reject);
    child.once('close', () => {
      const cut = stdout.lastIndexOf('\n');
      resolve({ status: Number(stdout.slice(cut + 1)), body: stdout.slice(0, cut) });
    });
    child.stdin.end(body);
  });
}

async function activity(key: string): Promise<ActivityEntry[]> {
  const response = await fetch(`http://127.0.0.1:${served.port}/v1/activity`, { headers: { Authorization: `Bearer ${key}` } });
  assert.equal(response.status, 200);
  return (await response.json()) as ActivityEntry[];
}

async function addKey(name: string, profiles?: string): Promise<string> {
  const added = await runCli(['clients', 'add', name, ...(profiles === undefined ? [] : ['--profiles', profiles]), '--json', '--config-dir', configDir]);
  assert.equal(added.code, 0, added.stderr);
  return (JSON.parse(added.stdout) as { key: string }).key;
}

before(async () => {
  upstream = await startOidcUpstream();
  configDir = await makeTempDir('tokentray-relay-');
  served = await startServe(configDir);
  issuer = `http://127.0.0.1:${served.port}/v1/profiles/camunda`;
  const added = await runCli(
    ['profile', 'add', 'camunda', '--provider', 'oauth2', '--client-id', UPSTREAM_CLIENT.id, '--token-url', upstream.tokenUrl, '--scope', UPSTREAM_CLIENT.scope, '--audience', AUDIENCE, '--secret-stdin', '--config-dir', configDir],
    { stdin: UPSTREAM_CLIENT.secret },
  );
  assert.equal(added.code, 0, added.stderr);
  const other = await runCli(['profile', 'add', 'elsewhere', '--provider', 'oauth2', '--client-id', 'x', '--token-url', 'http://127.0.0.1:9/token', '--secret-stdin', '--config-dir', configDir], { stdin: 'unused-secret' });
  assert.equal(other.code, 0, other.stderr);
  keys.worker = await addKey('zeebe-worker', 'camunda');
  keys.elsewhere = await addKey('elsewhere-only', 'elsewhere');
  keys.auditor = await addKey('auditor');
});

after(async () => {
  await stopServe(served);
  await runCli(['profile', 'rm', 'camunda', '--config-dir', configDir]);
  await runCli(['profile', 'rm', 'elsewhere', '--config-dir', configDir]);
  await upstream.close();
  await removeTempDir(configDir);
});

describe('real OAuth clients through the relay of tokentray serve', () => {
  let upstreamToken = '';

  it('openid-client 6 discovers the token endpoint from the issuer and gets the profile token (Basic and post)', async () => {
    const basic = await runClient('openid-basic', 'zeebe-worker', keys.worker as string);
    assert.equal(basic.error, undefined, basic.description);
    assert.equal(basic.token_type?.toLowerCase(), 'bearer');
    assert.equal(basic.scope, UPSTREAM_CLIENT.scope);
    assert.ok(typeof basic.expires_in === 'number' && basic.expires_in > 500 && basic.expires_in <= 600);
    // The token is the upstream's own, live at the upstream, issued to the profile's real client.
    const info = await upstream.introspect(basic.access_token as string);
    assert.equal(info.active, true);
    assert.equal(info.client_id, UPSTREAM_CLIENT.id);
    upstreamToken = basic.access_token as string;
    const post = await runClient('openid-post', 'zeebe-worker', keys.worker as string);
    assert.equal(post.error, undefined, post.description);
    assert.equal(post.access_token, upstreamToken);
    assert.equal(upstream.tokenRequests(), 1);
  });

  it('simple-oauth2 5 with the secret in the Authorization header, in the form body, and in a JSON body', async () => {
    for (const mode of ['simple-header', 'simple-body', 'simple-json']) {
      const answer = await runClient(mode, 'zeebe-worker', keys.worker as string);
      assert.equal(answer.error, undefined, `${mode}: ${answer.description}`);
      assert.equal(answer.access_token, upstreamToken, mode);
      assert.equal(answer.token_type, 'Bearer');
    }
    assert.equal(upstream.tokenRequests(), 1);
  });

  it('curl with the JSON body of Camunda\'s docs (seed 001)', async () => {
    const body = `{"grant_type":"client_credentials", "audience":"${AUDIENCE}", "client_id":"zeebe-worker", "client_secret":"${keys.worker}"}`;
    const answer = await curlCamunda(`${issuer}/oauth/token`, body);
    assert.equal(answer.status, 200, answer.body);
    assert.equal((JSON.parse(answer.body) as { access_token: string }).access_token, upstreamToken);
    // Another audience is refused by name.
    const wrong = await curlCamunda(`${issuer}/oauth/token`, body.replace(AUDIENCE, 'operate.camunda.io'));
    assert.equal(wrong.status, 400);
    assert.deepEqual(Object.keys(JSON.parse(wrong.body) as object), ['error', 'error_description']);
    assert.match(wrong.body, /"invalid_target".*zeebe\.camunda\.io/);
  });

  it('the clients see the errors OAuth defines: a wrong secret, a key limited to another profile', async () => {
    const wrong = await runClient('openid-basic', 'zeebe-worker', `${keys.worker}x`);
    assert.equal(wrong.error, 'invalid_client', wrong.description);
    assert.equal(wrong.status, 401);
    // openid-client parsed our WWW-Authenticate challenge itself.
    assert.equal(wrong.challenge, 'basic');
    const wrongBody = await runClient('simple-body', 'zeebe-worker', 'ttk_not-a-key');
    assert.equal(wrongBody.error, 'invalid_client');
    const limited = await runClient('openid-post', 'elsewhere-only', keys.elsewhere as string);
    assert.equal(limited.error, 'unauthorized_client');
    assert.equal(limited.status, 400);
  });

  it('many client processes in a row and at once share the one upstream token', async () => {
    const before = upstream.tokenRequests();
    const modes = ['openid-basic', 'simple-header', 'simple-json', 'openid-post', 'simple-body'];
    const tokens: string[] = [];
    for (const mode of modes) tokens.push((await runClient(mode, 'zeebe-worker', keys.worker as string)).access_token ?? 'none');
    // At once: 2 cores are shared with other tests, so 10 processes 5 at a time.
    await inParallel([...modes, ...modes], 5, async (mode) => {
      tokens.push((await runClient(mode, 'zeebe-worker', keys.worker as string)).access_token ?? 'none');
    });
    assert.equal(tokens.length, 15);
    assert.deepEqual(new Set(tokens), new Set([upstreamToken]));
    assert.equal(upstream.tokenRequests(), before);
    assert.equal(before, 1);
  });

  it('every relayed token is in the activity log under the key\'s name, exactly', async () => {
    const entries = await activity(keys.auditor as string);
    const issued = entries.filter((e) => e.kind === 'token-issued');
    // 2 openid + 3 simple + 1 curl + 15 many = 21, all for this key and profile; no refusal counted.
    assert.deepEqual(
      issued.map((e) => `${e.profileId}:${e.client}`),
      Array.from({ length: 21 }, () => 'camunda:zeebe-worker'),
    );
    // The limited keys see only their own profiles' entries.
    const worker = await activity(keys.worker as string);
    assert.ok(worker.length > 0 && worker.every((e) => e.profileId === 'camunda'));
    assert.deepEqual(worker.filter((e) => e.kind === 'token-issued'), issued);
    const elsewhere = await activity(keys.elsewhere as string);
    assert.ok(elsewhere.every((e) => e.profileId === 'elsewhere'));
    assert.ok(!elsewhere.some((e) => e.kind === 'token-issued'));
  });
});
