// A fleet as users run it: three `tokentray serve` processes, each with its own config directory
// and keychain entries, one redis-server on its own port, one local OAuth token endpoint that counts
// every token request. Plus the CLI as a CI job (`--shared-only`), a CLI process killed while it
// holds the fleet's lock, Redis killed under running servers, and bad input at start.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ProfileStatus } from '../../common/contract.js';
import { generateFleetKey } from '../../main/core/fleet/record-crypto.js';
import { cliCommand, removeTempConfigDirs, ROOT, runCli, tempConfigDir } from '../support/cli.js';
import { freePort, startRedis, type RedisServer } from '../support/redis-server.js';
import { startServe, type Served } from '../support/serve-process.js';
import { startProviderServer, type ProviderServer } from '../support/servers/index.js';
import { until } from '../support/poll.js';
import { httpRequest } from '../support/http.js';

const LIFETIME_SEC = 16;
const FLEET_KEY = generateFleetKey();

interface Replica {
  dir: string;
  id: string;
  served: Served;
  socket: string;
}

function overSocket(socketPath: string, path: string, method = 'GET'): Promise<{ status: number; body: string }> {
  return httpRequest({ socketPath }, path, { method });
}

/** The client id of a request's HTTP Basic credentials, or null without them. */
function basicUser(header: string | string[] | undefined): string | null {
  const match = /^Basic (.+)$/.exec(typeof header === 'string' ? header : '');
  if (match === null) return null;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  return decodeURIComponent(decoded.slice(0, decoded.indexOf(':')));
}

describe('a fleet of tokentray serve processes sharing one Redis', () => {
  let redis: RedisServer;
  let server: ProviderServer;
  let env: NodeJS.ProcessEnv;
  const replicas: Replica[] = [];

  async function addProfile(dir: string, id: string, extra: string[] = [], options: { stdin?: string; env?: NodeJS.ProcessEnv } = {}) {
    const profile = server.profile();
    return runCli(['profile', 'add', id, '--provider', 'oauth2', '--token-url', profile.tokenUrl!, '--client-id', profile.clientId!, '--no-test', '--config-dir', dir, ...extra], {
      ...(options.stdin === undefined ? {} : { stdin: options.stdin }),
      env: { ...env, ...options.env },
    });
  }

  /** Asserts a token answer is valid now, by the server's own record of what it issued. */
  function checkToken(answer: { status: number; body: string }, replica: string): string {
    assert.equal(answer.status, 200, `${replica}: ${answer.body}`);
    const token = JSON.parse(answer.body) as { access_token: string; expires_in: number };
    assert.ok(token.expires_in > 0, `${replica} handed out a token with expires_in ${token.expires_in}`);
    const issued = server.issued.find((t) => t.accessToken === token.access_token);
    assert.ok(issued !== undefined, `${replica} handed out a token the server never issued`);
    assert.ok(issued.expiresAt > Date.now(), `${replica} handed out an expired token`);
    return token.access_token;
  }

  before(async () => {
    redis = await startRedis();
    server = await startProviderServer('oauth2', { lifetimeSec: LIFETIME_SEC });
    env = { TOKENTRAY_SHARED_CACHE: redis.url, TOKENTRAY_SHARED_KEY: FLEET_KEY };
    const dirs = await Promise.all(['a', 'b', 'c'].map(async (name) => ({ name, dir: await tempConfigDir() })));
    // Other profile ids on each machine, one credential: the fleet shares by credential.
    await Promise.all(dirs.map(({ name, dir }) => addProfile(dir, `svc-${name}`, ['--secret-stdin'], { stdin: server.credentials.clientSecret }).then((r) => assert.equal(r.code, 0, r.stderr))));
    const started = await Promise.all(dirs.map(({ dir }) => startServe(dir, '0', env)));
    for (const [i, { name, dir }] of dirs.entries()) {
      const runtime = JSON.parse(await readFile(join(dir, 'runtime.json'), 'utf8')) as { socket: string };
      replicas.push({ dir, id: `svc-${name}`, served: started[i]!, socket: runtime.socket });
    }
  });

  after(async () => {
    await Promise.all(
      replicas.map(async ({ served }) => {
        if (served.child.exitCode !== null) return;
        const closed = once(served.child, 'close');
        served.child.kill('SIGTERM');
        await closed;
      }),
    );
    await removeTempConfigDirs();
    await server.close();
    await redis.close();
  });

  it('spends about one upstream request per token lifetime for the whole fleet, and never hands out an expired token', async () => {
    const health = JSON.parse((await overSocket(replicas[0]!.socket, '/v1/health')).body) as Record<string, unknown>;
    assert.equal(health.sharedCache, 'connected');
    const startedAt = Date.now();
    const seen = new Set<string>();
    // Over two and a half lifetimes, every replica is asked every 300 ms.
    while (Date.now() - startedAt < LIFETIME_SEC * 2.5 * 1000) {
      const answers = await Promise.all(replicas.map((r) => overSocket(r.socket, `/v1/profiles/${r.id}/token`)));
      answers.forEach((answer, i) => seen.add(checkToken(answer, replicas[i]!.id)));
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    const elapsedSec = (Date.now() - startedAt) / 1000;
    // One machine alone renews at ~75% of the lifetime: its ideal count over the run, plus the first.
    const ideal = Math.ceil(elapsedSec / (LIFETIME_SEC * 0.75)) + 1;
    const requests = server.tokenRequestCount();
    assert.ok(requests <= ideal + 1, `${requests} upstream requests for three replicas; one machine's ideal is ${ideal}`);
    assert.ok(requests < replicas.length * (ideal - 1), 'fewer than the replicas would spend alone');
    assert.equal(seen.size, requests, 'every replica handed out the fleet\'s tokens, no others');

    // /v1/profiles shows the fleet's count on every replica (read from Redis every few seconds).
    for (const replica of replicas) {
      const status = await until('the fleet counts', async () => {
        const list = JSON.parse((await overSocket(replica.socket, '/v1/profiles')).body) as ProfileStatus[];
        const found = list.find((s) => s.id === replica.id);
        return found?.fleet?.requestsLastHour === server.tokenRequestCount() ? found : undefined;
      });
      assert.equal(status.requestsLastHour, server.tokenRequestCount());
    }
  });

  it('lets a CI job read the fleet\'s token with --shared-only and no secret, and refuses it without a shared cache', async () => {
    const dir = await tempConfigDir();
    const refused = await addProfile(dir, 'ci', ['--shared-only'], { env: { TOKENTRAY_SHARED_CACHE: '', TOKENTRAY_SHARED_KEY: '' } });
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /--shared-only needs a shared cache/);
    assert.match(refused.stderr, /hint: .*--shared-cache/);
    const listed = await runCli(['profile', 'list', '--json', '--config-dir', dir]);
    assert.deepEqual(JSON.parse(listed.stdout), [], 'nothing was saved');

    const added = await addProfile(dir, 'ci', ['--shared-only', '--shared-cache', redis.url], { env: { TOKENTRAY_SHARED_CACHE: '' } });
    assert.equal(added.code, 0, added.stderr);
    const before = server.tokenRequestCount();
    const token = await runCli(['token', 'ci', '--json', '--shared-cache', redis.url, '--config-dir', dir], { env: { ...env, TOKENTRAY_SHARED_CACHE: '' } });
    assert.equal(token.code, 0, token.stderr);
    checkToken({ status: 200, body: token.stdout }, 'the CI job');
    // The replicas keep refreshing meanwhile; a request from the CI job would carry no secret at all.
    assert.ok(server.requests.every((r) => basicUser(r.headers.authorization) === server.credentials.clientId), 'the CI job never asked the provider');
    const config = await readFile(join(dir, 'config.json'), 'utf8');
    assert.match(config, /"sharedOnly": ?true/);

    // A credential the fleet holds nothing for: exit 5 with a hint, and no request upstream.
    const other = await runCli(['profile', 'add', 'none', '--provider', 'oauth2', '--token-url', `${server.url}/token`, '--client-id', 'nobody', '--shared-only', '--config-dir', dir], { env });
    assert.equal(other.code, 0, other.stderr);
    const none = await runCli(['token', 'none', '--config-dir', dir], { env });
    assert.equal(none.code, 5, none.stderr);
    assert.match(none.stderr, /shared-only and the fleet holds no valid token/);
    assert.match(none.stderr, /hint: /);
    assert.equal(none.stdout, '');
    assert.ok(server.requests.every((r) => basicUser(r.headers.authorization) !== 'nobody'));
    assert.ok(server.tokenRequestCount() >= before);
  });

  it('refreshes after a holder was killed in the middle of its request, once its lock runs out', async () => {
    const hold = await startProviderServer('oauth2', { lifetimeSec: 600, mode: 'hang' });
    try {
      const [first, second] = await Promise.all([tempConfigDir(), tempConfigDir()]);
      const args = (dir: string) => ['profile', 'add', 'hold', '--provider', 'oauth2', '--token-url', hold.tokenUrl, '--client-id', hold.credentials.clientId, '--secret-stdin', '--no-test', '--config-dir', dir];
      for (const dir of [first, second]) assert.equal((await runCli(args(dir), { env, stdin: hold.credentials.clientSecret })).code, 0);
      // The provider's timeout is 10 s by default: the lock lasts 15 s, longer than any answer it waits for.
      const cli = cliCommand(['token', 'hold', '--config-dir', first]);
      const holder = spawn(cli.command, cli.args, { cwd: ROOT, env: { ...process.env, TOKENTRAY_CONFIG_DIR: '', ...env }, stdio: 'ignore' });
      const arrived = await hold.nextRequest();
      holder.kill('SIGKILL');
      await once(holder, 'close');
      hold.setMode('ok');
      const answer = await runCli(['token', 'hold', '--json', '--config-dir', second], { env });
      assert.equal(answer.code, 0, answer.stderr);
      assert.equal(hold.tokenRequestCount(), 2);
      const retried = hold.requests[1]!;
      assert.ok(retried.at - arrived.at >= 14_000, `the second request came ${retried.at - arrived.at} ms after the first, before the dead holder's lock ran out`);
      assert.equal(JSON.parse(answer.stdout).access_token, hold.issued[0]!.accessToken);
    } finally {
      await hold.close();
    }
  });

  it('keeps answering while Redis is killed, says so once in health and the log, and rejoins an empty Redis', async () => {
    // A busy machine may have seen a slow answer earlier: "once" counts this outage's lines only.
    const before = replicas.map((r) => r.served.output().length);
    await redis.kill();
    for (const replica of replicas) {
      const health = await until('unavailable', async () => {
        const body = JSON.parse((await overSocket(replica.socket, '/v1/health')).body) as { sharedCache: string; sharedCacheReason?: string };
        return body.sharedCache === 'unavailable' ? body : undefined;
      });
      assert.ok((health.sharedCacheReason ?? '') !== '');
      const started = Date.now();
      checkToken(await overSocket(replica.socket, `/v1/profiles/${replica.id}/token`), replica.id);
      assert.ok(Date.now() - started < 1_000);
    }
    await redis.restart();
    for (const [i, replica] of replicas.entries()) {
      await until('connected again', async () => {
        const body = JSON.parse((await overSocket(replica.socket, '/v1/health')).body) as { sharedCache: string };
        return body.sharedCache === 'connected' ? true : undefined;
      });
      const lines = replica.served.output().slice(before[i]).split('\n').filter((line) => line.includes('the shared cache is unavailable'));
      assert.equal(lines.length, 1, replica.served.output());
    }
  });

  it('refuses bad shared-cache input at start, and serves alone when Redis cannot be reached', async () => {
    const dir = await tempConfigDir();
    const bad = await runCli(['serve', '--port', '0', '--shared-cache', 'http://example.com', '--config-dir', dir], { env: { TOKENTRAY_SHARED_KEY: FLEET_KEY } });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /must start with redis:\/\/ or rediss:\/\//);
    const keyless = await runCli(['serve', '--port', '0', '--shared-cache', redis.url, '--config-dir', dir], { env: { TOKENTRAY_SHARED_KEY: 'c2hvcnQ=' } });
    assert.equal(keyless.code, 2);
    assert.match(keyless.stderr, /not 32 bytes of base64/);
    assert.doesNotMatch(keyless.stderr, /c2hvcnQ=/);
    const closed = `redis://127.0.0.1:${await freePort()}`;
    const alone = await startServe(dir, '0', { TOKENTRAY_SHARED_CACHE: closed, TOKENTRAY_SHARED_KEY: FLEET_KEY });
    try {
      assert.match(alone.output(), /the shared cache redis:\/\/127\.0\.0\.1:\d+ is unavailable \(.+\); working alone/);
      const runtime = JSON.parse(await readFile(join(dir, 'runtime.json'), 'utf8')) as { socket: string };
      const health = JSON.parse((await overSocket(runtime.socket, '/v1/health')).body) as Record<string, unknown>;
      assert.equal(health.status, 'ok');
      assert.equal(health.sharedCache, 'unavailable');
    } finally {
      const exited = once(alone.child, 'close');
      alone.child.kill('SIGTERM');
      await exited;
    }
  });
});
