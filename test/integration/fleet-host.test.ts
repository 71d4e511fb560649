// The fleet as the one host lifecycle opens it (main/node/host.ts): the tray app's options under
// plain Node (Electron cannot run here) joining a real redis-server from the setting in config.json
// alone, `tokentray serve` over TLS (rediss:// with TOKENTRAY_SHARED_CACHE_CA, and a certificate it
// does not trust), and serve as the README's ACL user, which may touch Tokentray's keys and nothing else.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { generateFleetKey } from '../../main/core/fleet/record-crypto.js';
import { isTokentrayError } from '../../main/core/errors.js';
import { openHost } from '../../main/node/host.js';
import { removeTempConfigDirs, ROOT, runCli, tempConfigDir } from '../support/cli.js';
import { createPki, type Pki } from '../support/pki.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { startServe, stopServe, type Served } from '../support/serve-process.js';
import { startProviderServer, type ProviderServer } from '../support/servers/index.js';
import { trayHost as trayHostIn } from '../support/tray-host.js';

const FLEET_KEY = generateFleetKey();
const PASS = 'correct horse battery staple for the fleet host test';

let root: string;
let server: ProviderServer;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'tokentray-fleet-host-'));
  server = await startProviderServer('oauth2', { lifetimeSec: 600 });
});
after(async () => {
  await removeTempConfigDirs();
  await server.close();
  await rm(root, { recursive: true, force: true });
});

function overSocket(socketPath: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((done, fail) => {
    const req = request({ socketPath, path }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => done({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', fail);
    req.end();
  });
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, withinMs = 30_000): Promise<T> {
  const end = Date.now() + withinMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** A config directory with the given settings in config.json, and the options main/index.ts passes. */
function trayHost(settings: Record<string, unknown>, env: NodeJS.ProcessEnv) {
  return trayHostIn(root, settings, env, PASS);
}

/** Sends the README's `redis-cli ACL SETUSER …` line to Redis word for word (its shell quoting undone). */
async function loadReadmeAcl(redis: Redis): Promise<string> {
  const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
  const match = /redis-cli (ACL SETUSER (?:[^\n]*\\\n)*[^\n]*)/.exec(readme);
  assert.ok(match !== null, 'the README shows an ACL SETUSER line');
  const words = match[1]!.replace(/\\\n/g, ' ').trim().split(/\s+/).map((word) => word.replace(/^'(.*)'$/, '$1').replace(/\\\|/g, '|'));
  assert.equal(await redis.call(words[0]!, ...words.slice(1)), 'OK');
  const password = words.find((word) => word.startsWith('>'));
  assert.ok(password !== undefined);
  return password.slice(1);
}

describe('the tray app\'s host joins the fleet', () => {
  let redis: RedisServer;
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis.close();
  });

  test('from the setting in config.json alone: a second machine adopts the first one\'s token, sealed in Redis', async () => {
    const hosts = await Promise.all([trayHost({ sharedCache: redis.url }, { TOKENTRAY_SHARED_KEY: FLEET_KEY }), trayHost({ sharedCache: redis.url }, { TOKENTRAY_SHARED_KEY: FLEET_KEY })]);
    const opened = [];
    // Counted from before the hosts start: a host may refresh as it starts.
    const before = server.tokenRequestCount();
    const client = redis.client();
    try {
      for (const { options } of hosts) {
        const host = await openHost(options);
        opened.push(host);
        await host.vault.setSecret('api', 'clientSecret', server.credentials.clientSecret);
        host.store.putProfile(server.profile({ id: 'api' }));
        const started = await host.start();
        assert.ok(started.socket !== null, started.socketRefused?.message);
        assert.equal(host.sharedCache?.health().state, 'connected');
        const health = JSON.parse((await overSocket(started.socket as string, '/v1/health')).body) as Record<string, unknown>;
        assert.equal(health.sharedCache, 'connected');
      }
      assert.match(hosts[0]!.lines.join('\n'), /sharing tokens through redis:\/\/127\.0\.0\.1:\d+ \(fleet key /);
      const first = await opened[0]!.core.engine.getToken('api');
      const second = await opened[1]!.core.engine.getToken('api');
      assert.equal(second.accessToken, first.accessToken);
      assert.equal(server.tokenRequestCount(), before + 1, 'one upstream request for two machines');
      const keys = await client.keys('tokentray:*');
      assert.ok(keys.some((key) => key.endsWith(':token')), keys.join(', '));
      for (const key of keys.filter((k) => k.endsWith(':token'))) assert.ok(!(await client.get(key))?.includes(first.accessToken), 'no token in clear');
    } finally {
      for (const host of opened) await host.stop();
    }
    // Stop closed both hosts' connections: only the test's own client is left.
    await until('the hosts to disconnect', async () => (String(await client.call('CLIENT', 'LIST')).trim().split('\n').length === 1 ? true : undefined));
  });

  test('with a password in the environment: it never lands in config.json or the log, even when Redis refuses it', async () => {
    const locked = await startRedis({ extraArgs: ['--requirepass', 'pw-from-the-env-only-4711'] });
    try {
      const good = `redis://default:pw-from-the-env-only-4711@127.0.0.1:${locked.port}`;
      const bad = `redis://default:wrong-pw-never-logged-0815@127.0.0.1:${locked.port}`;
      for (const [url, state] of [[good, 'connected'], [bad, 'unavailable']] as const) {
        const { configDir, options, lines } = await trayHost({}, { TOKENTRAY_SHARED_CACHE: url, TOKENTRAY_SHARED_KEY: FLEET_KEY });
        const host = await openHost(options);
        try {
          const started = await host.start();
          assert.equal(host.sharedCache?.health().state, state);
          const health = (await overSocket(started.socket as string, '/v1/health')).body;
          assert.equal((JSON.parse(health) as Record<string, unknown>).sharedCache, state);
          const password = new URL(url).password;
          assert.ok(!health.includes(password));
          assert.ok(lines.length > 0);
          assert.ok(!lines.join('\n').includes(password), lines.join('\n'));
          assert.ok(!(await readFile(join(configDir, 'config.json'), 'utf8')).includes(password));
          assert.ok(!(await readFile(join(configDir, 'runtime.json'), 'utf8')).includes(password));
        } finally {
          await host.stop();
        }
      }
    } finally {
      await locked.close();
    }
  });

  test('a setting it cannot use: the tray runs alone and says why; serve\'s policy stops with nothing created', async () => {
    const { options, lines } = await trayHost({ sharedCache: 'http://redis.internal:6379' }, { TOKENTRAY_SHARED_KEY: FLEET_KEY });
    const host = await openHost(options);
    try {
      assert.equal(host.sharedCache, null);
      assert.match(host.sharedCacheRefused?.message ?? '', /from the setting sharedCache must start with redis:\/\/ or rediss:\/\//);
      assert.ok(host.sharedCacheRefused?.hint);
      await host.start();
      assert.match(lines.join('\n'), /the shared cache is not used; refreshing alone/);
    } finally {
      await host.stop();
    }
    const cases: Array<[NodeJS.ProcessEnv, RegExp]> = [
      [{ TOKENTRAY_SHARED_CACHE: redis.url }, /no fleet key/],
      [{ TOKENTRAY_SHARED_CACHE: redis.url, TOKENTRAY_SHARED_KEY: 'c2hvcnQ=' }, /not 32 bytes of base64/],
      [{ TOKENTRAY_SHARED_CACHE: redis.url, TOKENTRAY_SHARED_KEY: FLEET_KEY, TOKENTRAY_SHARED_CACHE_CA: join(root, 'absent.pem') }, /TOKENTRAY_SHARED_CACHE_CA is set but the shared cache URL is not rediss:\/\//],
      [{ TOKENTRAY_SHARED_CACHE: redis.url.replace('redis:', 'rediss:'), TOKENTRAY_SHARED_KEY: FLEET_KEY, TOKENTRAY_SHARED_CACHE_CA: join(root, 'absent.pem') }, /The CA file .*absent\.pem .* cannot be read \(ENOENT\)/],
      [{ TOKENTRAY_SHARED_CACHE: 'redis://127.0.0.1:notaport', TOKENTRAY_SHARED_KEY: FLEET_KEY }, /is not a URL/],
    ];
    for (const [env, words] of cases) {
      const strict = await trayHost({}, env);
      const error = await openHost({ ...strict.options, mode: 'headless', busyPort: 'exit', refusedSocket: 'exit', brokenConfig: 'exit', badSharedCache: 'exit' }).then(
        () => assert.fail('the host started'),
        (caught: unknown) => caught,
      );
      assert.ok(isTokentrayError(error));
      assert.equal(error.kind, 'usage');
      assert.match(error.message, words);
      assert.ok(error.hint);
      assert.ok(!existsSync(join(strict.configDir, 'vault.json')), 'no vault was created');
      assert.ok(!existsSync(join(strict.configDir, 'runtime.json')));
    }
  });
});

/** Adds the provider's profile with its secret in a new config directory and starts serve there. */
async function serveWith(env: NodeJS.ProcessEnv): Promise<{ served: Served; socket: string }> {
  const dir = await tempConfigDir();
  const profile = server.profile();
  const added = await runCli(['profile', 'add', 'api', '--provider', 'oauth2', '--token-url', profile.tokenUrl!, '--client-id', profile.clientId!, '--secret-stdin', '--no-test', '--config-dir', dir], {
    stdin: server.credentials.clientSecret,
    env: { TOKENTRAY_SHARED_CACHE: '', TOKENTRAY_SHARED_KEY: '' },
  });
  assert.equal(added.code, 0, added.stderr);
  const served = await startServe(dir, '0', env);
  const runtime = JSON.parse(await readFile(join(dir, 'runtime.json'), 'utf8')) as { socket: string };
  return { served, socket: runtime.socket };
}

function tokenOf(answer: { status: number; body: string }): string {
  assert.equal(answer.status, 200, answer.body);
  return (JSON.parse(answer.body) as { access_token: string }).access_token;
}

describe('serve over TLS (rediss://)', () => {
  let pki: Pki;
  let redis: RedisServer;
  before(async () => {
    pki = await createPki();
    const tls = { certFile: await pki.write('redis.pem', pki.server.cert), keyFile: await pki.write('redis.key', pki.server.key), caFile: pki.caFile };
    redis = await startRedis({ tls });
  });
  after(async () => {
    await redis.close();
    await pki.close();
  });

  test('joins with the CA from TOKENTRAY_SHARED_CACHE_CA, and runs alone saying why when it does not trust the certificate', async () => {
    assert.match(redis.url, /^rediss:\/\//);
    const trusting = await serveWith({ TOKENTRAY_SHARED_CACHE: redis.url, TOKENTRAY_SHARED_KEY: FLEET_KEY, TOKENTRAY_SHARED_CACHE_CA: pki.caFile });
    const doubting = await serveWith({ TOKENTRAY_SHARED_CACHE: redis.url, TOKENTRAY_SHARED_KEY: FLEET_KEY });
    try {
      const joined = JSON.parse((await overSocket(trusting.socket, '/v1/health')).body) as Record<string, unknown>;
      assert.equal(joined.sharedCache, 'connected', trusting.served.output());
      const token = tokenOf(await overSocket(trusting.socket, '/v1/profiles/api/token'));
      const records = await redis.client().keys('tokentray:*:token');
      assert.equal(records.length, 1, 'the record went to Redis over TLS');

      const alone = JSON.parse((await overSocket(doubting.socket, '/v1/health')).body) as { status: string; sharedCache: string; sharedCacheReason?: string };
      assert.equal(alone.status, 'ok');
      assert.equal(alone.sharedCache, 'unavailable');
      assert.match(alone.sharedCacheReason ?? '', /TLS certificate is not trusted \(.+\); name the CA that signed it in TOKENTRAY_SHARED_CACHE_CA/);
      assert.match(doubting.served.output(), /the shared cache rediss:\/\/127\.0\.0\.1:\d+ is unavailable \(Redis's TLS certificate is not trusted/);
      // It works alone: a token of its own, never the fleet's record.
      const own = tokenOf(await overSocket(doubting.socket, '/v1/profiles/api/token'));
      assert.notEqual(own, token);
    } finally {
      await Promise.all([stopServe(trusting.served), stopServe(doubting.served)]);
    }
  });
});

describe("serve as the README's ACL user", () => {
  let redis: RedisServer;
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis.close();
  });

  test('shares tokens with every command it needs allowed, and cannot read or write other keys', async () => {
    const admin = redis.client();
    const password = await loadReadmeAcl(admin);
    await admin.set('payroll:secret', 'not for tokentray');
    await admin.call('ACL', 'LOG', 'RESET');
    const env = { TOKENTRAY_SHARED_CACHE: `redis://tokentray:${encodeURIComponent(password)}@127.0.0.1:${redis.port}`, TOKENTRAY_SHARED_KEY: FLEET_KEY };
    // Counted from before the replicas start: each may refresh as it starts.
    const before = server.tokenRequestCount();
    const replicas = [await serveWith(env), await serveWith(env)];
    try {
      for (const replica of replicas) {
        const health = JSON.parse((await overSocket(replica.socket, '/v1/health')).body) as Record<string, unknown>;
        assert.equal(health.sharedCache, 'connected', replica.served.output());
      }
      const tokens = await Promise.all(replicas.map((r) => overSocket(r.socket, '/v1/profiles/api/token').then(tokenOf)));
      assert.equal(tokens[1], tokens[0], 'both replicas hand out the fleet\'s token');
      assert.equal(server.tokenRequestCount(), before + 1, 'the lock let one replica ask');
      // The fleet's request counts reach /v1/profiles through the same user.
      await until('the fleet counts', async () => {
        const list = JSON.parse((await overSocket(replicas[1]!.socket, '/v1/profiles')).body) as Array<{ id: string; fleet?: { requestsLastHour: number } }>;
        return (list.find((s) => s.id === 'api')?.fleet?.requestsLastHour ?? 0) >= 1 ? true : undefined;
      });
      const status = await runCli(['shared-cache', 'status', '--json', '--config-dir', await tempConfigDir()], { env });
      assert.equal(status.code, 0, status.stderr);
      assert.deepEqual(await admin.call('ACL', 'LOG'), [], 'Redis refused none of the fleet\'s commands');
      for (const replica of replicas) assert.doesNotMatch(replica.served.output(), /NOPERM|unavailable/);

      const user = new Redis({ port: redis.port, host: '127.0.0.1', username: 'tokentray', password, maxRetriesPerRequest: 0 });
      try {
        await assert.rejects(user.get('payroll:secret'), /NOPERM/);
        await assert.rejects(user.set('payroll:secret', 'x'), /NOPERM/);
        await assert.rejects(user.keys('*'), /NOPERM/);
        await assert.rejects(user.call('FLUSHALL'), /NOPERM/);
        assert.equal(await admin.get('payroll:secret'), 'not for tokentray');
      } finally {
        user.disconnect();
      }
    } finally {
      await Promise.all(replicas.map((r) => stopServe(r.served)));
    }
  });
});
