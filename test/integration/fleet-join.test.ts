// Joining a fleet from the dashboard (docs/shared-cache.md, "Joining from the dashboard"), through
// the real RPC verbs of the one host lifecycle with the tray's options, against a real redis-server
// that requires a password: the password and fleet key go to the vault and never to config.json,
// the engine shares at once, a restart joins from the setting and the vault alone, a locked vault
// joins when it unlocks (before the first refresh), and bad input saves nothing.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import type { FleetStatusInfo } from '../../common/contract.js';
import { dispatchRpc } from '../../main/core/rpc.js';
import { generateFleetKey } from '../../main/core/fleet/record-crypto.js';
import { FileVault } from '../../main/node/file-vault.js';
import type { KeytarLike } from '../../main/node/keytar-vault.js';
import { FLEET_KEY_ACCOUNT, FLEET_PASSWORD_ACCOUNT } from '../../main/node/shared-cache/fleet-vault.js';
import { openHost, type Host } from '../../main/node/host.js';
import { removeTempConfigDirs, runCli } from '../support/cli.js';
import { httpGet } from '../support/http.js';
import { untilTrue } from '../support/poll.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { startProviderServer, type ProviderServer } from '../support/servers/index.js';
import { makeTempDir, removeTempDir } from '../support/temp-dir.js';
import { trayHost } from '../support/tray-host.js';

const keytar = createRequire(import.meta.url)('keytar') as KeytarLike;
const service = `${process.env.TOKENTRAY_KEYCHAIN_SERVICE ?? 'tokentray-test'}-fleet-join-${randomBytes(4).toString('hex')}`;
const FLEET_KEY = generateFleetKey();
const PASS = 'correct horse battery staple for the fleet join test';
// Characters a URL must escape: the password has to reach Redis as typed.
const REDIS_PASSWORD = 'p@ss:w/rd%41 fleet-join';

let root: string;
let server: ProviderServer;
let redis: RedisServer;
let admin: Redis;
before(async () => {
  root = await makeTempDir('tokentray-fleet-join-');
  server = await startProviderServer('oauth2', { lifetimeSec: 600 });
  redis = await startRedis({ extraArgs: ['--requirepass', REDIS_PASSWORD] });
  admin = new Redis({ port: redis.port, host: '127.0.0.1', password: REDIS_PASSWORD, maxRetriesPerRequest: 2 });
  admin.on('error', () => {});
});
after(async () => {
  for (const { account } of await keytar.findCredentials(service)) await keytar.deletePassword(service, account);
  admin.disconnect();
  await redis.close();
  await server.close();
  await removeTempConfigDirs();
  await removeTempDir(root);
});

async function rpc<T>(host: Host, channel: string, ...args: unknown[]): Promise<{ ok: true; value: T } | { ok: false; error: { kind: string; message: string; hint?: string } }> {
  return (await dispatchRpc(host.core.rpc, channel, args)) as { ok: true; value: T } | { ok: false; error: { kind: string; message: string; hint?: string } };
}

async function health(socket: string): Promise<Record<string, unknown>> {
  return JSON.parse((await httpGet({ socketPath: socket }, '/v1/health')).body) as Record<string, unknown>;
}

/** A started tray host with the provider's profile `api` and its secret, on a fresh config directory. */
async function startedTray(env: NodeJS.ProcessEnv = {}, settings: Record<string, unknown> = {}) {
  const setup = await trayHost(root, settings, env, PASS);
  const host = await openHost(setup.options);
  await host.vault.setSecret('api', 'clientSecret', server.credentials.clientSecret);
  host.store.putProfile(server.profile({ id: 'api' }));
  const started = await host.start();
  assert.ok(started.socket !== null, started.socketRefused?.message);
  return { ...setup, host, socket: started.socket };
}

/** Every file in the config directory, as text: none may hold the Redis password or the fleet key. */
async function configFiles(configDir: string): Promise<string> {
  const names = ['config.json', 'vault.json', 'runtime.json'];
  const texts = await Promise.all(names.map((name) => readFile(join(configDir, name), 'utf8').catch(() => '')));
  return texts.join('\n');
}

describe('joining a fleet from the dashboard', () => {
  test('the password and key go to the vault, the URL to config.json, and the engine shares at once and after a restart', async () => {
    const first = await startedTray();
    const second = await startedTray();
    try {
      assert.equal('sharedCache' in (await health(first.socket)), false, 'no fleet before the join');
      // The password is given inside the URL here, as people paste it; it is split off.
      const url = new URL(redis.url);
      url.password = encodeURIComponent(REDIS_PASSWORD);
      const joined = await rpc<FleetStatusInfo>(first.host, 'fleet:join', { url: url.href, password: null, key: FLEET_KEY });
      assert.ok(joined.ok, joined.ok ? '' : joined.error.message);
      assert.equal(joined.value.configured, true);
      assert.equal(joined.value.state, 'connected');
      assert.equal(joined.value.source, 'setting');
      assert.equal(joined.value.location, redis.url);
      assert.equal((await health(first.socket)).sharedCache, 'connected');
      assert.match(first.lines.join('\n'), /sharing tokens through redis:\/\/127\.0\.0\.1:\d+ \(fleet key /);

      // The second machine gives the password in its own field.
      const other = await rpc<FleetStatusInfo>(second.host, 'fleet:join', { url: redis.url, password: REDIS_PASSWORD, key: FLEET_KEY });
      assert.ok(other.ok && other.value.state === 'connected');

      // A profile added after the join: the first machine asks the provider under the fleet's lock,
      // the second finds its token in Redis.
      const before = server.tokenRequestCount();
      const secrets = { clientSecret: server.credentials.clientSecret };
      await first.host.core.engine.addProfile(server.profile({ id: 'shared' }), secrets);
      const token = await first.host.core.engine.getToken('shared');
      await untilTrue('the first machine\'s refresh is counted', () => server.tokenRequestCount() === before + 1);
      await second.host.core.engine.addProfile(server.profile({ id: 'shared' }), secrets);
      const adopted = await second.host.core.engine.getToken('shared');
      assert.equal(adopted.accessToken, token.accessToken, 'the second machine adopted the fleet\'s token');
      assert.equal(server.tokenRequestCount(), before + 1, 'one upstream request for two machines');
      assert.ok((await admin.keys('tokentray:*')).length > 0, 'the record is in Redis');

      for (const { configDir } of [first, second]) {
        const settings = (JSON.parse(await readFile(join(configDir, 'config.json'), 'utf8')) as { settings: { sharedCache?: string } }).settings;
        assert.equal(settings.sharedCache, redis.url);
        const files = await configFiles(configDir);
        assert.ok(!files.includes(REDIS_PASSWORD) && !files.includes(encodeURIComponent(REDIS_PASSWORD)), 'the password is in no file in clear');
        assert.ok(!files.includes(FLEET_KEY), 'the fleet key is in no file in clear');
      }
      assert.ok(!first.lines.join('\n').includes(REDIS_PASSWORD), 'the password is never logged');

      // A restart joins from the setting and the vault alone: no Redis URL or key in the environment.
      await first.host.stop();
      const again = await openHost(first.options);
      try {
        assert.equal(again.sharedCache?.health().state, 'connected');
        const started = await again.start();
        assert.equal((await health(started.socket as string)).sharedCache, 'connected');
        const kept = await again.core.engine.getToken('shared');
        assert.equal(kept.accessToken, token.accessToken);
      } finally {
        await again.stop();
      }
    } finally {
      await first.host.stop();
      await second.host.stop();
    }
  });

  test('a locked vault at start: the fleet is joined when it unlocks, before the first refresh', async () => {
    const joined = await startedTray();
    const ok = await rpc<FleetStatusInfo>(joined.host, 'fleet:join', { url: redis.url, password: REDIS_PASSWORD, key: FLEET_KEY });
    assert.ok(ok.ok);
    const shared = await joined.host.core.engine.refresh('api');
    await joined.host.stop();
    // Without its own cached token the engine must obtain one as it starts: from the fleet if it
    // has joined by then, else from the provider.
    const vault = new FileVault(joined.configDir, { watch: false });
    await vault.unlock(PASS);
    await vault.setCachedToken('api', null);
    vault.close();

    // The same config directory, started without a passphrase: the vault waits for the lock screen.
    const { TOKENTRAY_VAULT_PASSPHRASE: _dropped, ...env } = joined.options.env;
    const host = await openHost({ ...joined.options, env });
    try {
      assert.equal(host.sharedCache, null, 'nothing to join with until the vault opens');
      const started = await host.start();
      assert.equal((await health(started.socket as string)).status, 'locked');
      const waiting = await rpc<FleetStatusInfo>(host, 'fleet:status');
      assert.ok(waiting.ok && waiting.value.source === 'setting');
      const before = server.tokenRequestCount();
      const unlocked = await rpc(host, 'vault:unlock', PASS);
      assert.ok(unlocked.ok, unlocked.ok ? '' : unlocked.error.message);
      await untilTrue('the fleet is joined', async () => (await health(started.socket as string)).sharedCache === 'connected');
      const token = await host.core.engine.getToken('api');
      assert.equal(token.accessToken, shared.accessToken);
      assert.equal(server.tokenRequestCount(), before, 'no upstream request: the fleet was joined before the engine started');
    } finally {
      await host.stop();
    }
  });

  test('leaving forgets the setting and what the vault kept, and the engine refreshes alone', async () => {
    const tray = await startedTray();
    // What the tray's fleet notices follow (main/electron/desktop.ts).
    const followed: Array<string | null> = [];
    tray.host.onDidChangeSharedCache((cache) => followed.push(cache?.location ?? null));
    try {
      const ok = await rpc<FleetStatusInfo>(tray.host, 'fleet:join', { url: redis.url, password: REDIS_PASSWORD, key: FLEET_KEY });
      assert.ok(ok.ok);
      assert.ok((await tray.host.vault.getItem(FLEET_PASSWORD_ACCOUNT)) !== null);
      const left = await rpc<FleetStatusInfo>(tray.host, 'fleet:leave');
      assert.ok(left.ok);
      assert.equal(left.value.configured, false);
      assert.equal('sharedCache' in (await health(tray.socket)), false);
      assert.equal(tray.host.store.getSettings().sharedCache, undefined);
      assert.equal(await tray.host.vault.getItem(FLEET_PASSWORD_ACCOUNT), null);
      assert.equal(await tray.host.vault.getItem(FLEET_KEY_ACCOUNT), null);
      const before = server.tokenRequestCount();
      await tray.host.core.engine.refresh('api');
      assert.equal(server.tokenRequestCount(), before + 1, 'alone, it asks the provider itself');
      assert.equal(tray.host.sharedCache, null);
      assert.deepEqual(followed, [redis.url, null], 'the host said when it joined and when it left');
    } finally {
      await tray.host.stop();
    }
  });

  test('bad input and a refused password save nothing', async () => {
    const tray = await startedTray();
    try {
      const cases: Array<[Record<string, unknown>, RegExp]> = [
        [{ url: redis.url, password: 'not the password', key: FLEET_KEY }, /refused the password/],
        [{ url: redis.url, password: null, key: FLEET_KEY }, /refused a connection without a password/],
        [{ url: 'not a url', password: REDIS_PASSWORD, key: FLEET_KEY }, /is not a URL/],
        [{ url: `http://127.0.0.1:${redis.port}`, password: REDIS_PASSWORD, key: FLEET_KEY }, /must start with redis:\/\/ or rediss:\/\//],
        [{ url: `${redis.url}/99`, password: REDIS_PASSWORD, key: FLEET_KEY }, /database number/],
        [{ url: redis.url, password: REDIS_PASSWORD, key: 'c2hvcnQ=' }, /not 32 bytes of base64/],
        [{ url: redis.url, password: REDIS_PASSWORD, key: null }, /no fleet key/],
        [{ url: redis.url.replace('//', '//:one@'), password: 'another', key: FLEET_KEY }, /one password and the password field another/],
      ];
      for (const [input, words] of cases) {
        const answer = await rpc(tray.host, 'fleet:join', input);
        assert.equal(answer.ok, false, `refused: ${JSON.stringify(input.url)}`);
        if (answer.ok) continue;
        assert.equal(answer.error.kind, 'usage');
        assert.match(answer.error.message, words);
        assert.ok(!answer.error.message.includes(REDIS_PASSWORD), 'the error never repeats the password');
        assert.equal(tray.host.store.getSettings().sharedCache, undefined, 'nothing saved');
        assert.equal(await tray.host.vault.getItem(FLEET_PASSWORD_ACCOUNT), null);
        assert.equal(await tray.host.vault.getItem(FLEET_KEY_ACCOUNT), null);
        assert.equal('sharedCache' in (await health(tray.socket)), false);
      }
      // A malformed payload never reaches the host.
      const malformed = await rpc(tray.host, 'fleet:join', { url: redis.url });
      assert.equal(malformed.ok, false);
      // Nor does the settings verb write a fleet's URL behind the fleet's back.
      const bare = await rpc(tray.host, 'settings:update', { sharedCache: redis.url });
      assert.equal(bare.ok, false);
      if (!bare.ok) assert.match(bare.error.hint ?? '', /Join or leave the fleet/);
      assert.equal(tray.host.store.getSettings().sharedCache, undefined);
    } finally {
      await tray.host.stop();
    }
  });

  test('a fleet named in the environment is not the dashboard\'s to change', async () => {
    const url = new URL(redis.url);
    url.password = encodeURIComponent(REDIS_PASSWORD);
    const tray = await startedTray({ TOKENTRAY_SHARED_CACHE: url.href, TOKENTRAY_SHARED_KEY: FLEET_KEY });
    try {
      const status = await rpc<FleetStatusInfo>(tray.host, 'fleet:status');
      assert.ok(status.ok && status.value.source === 'environment' && status.value.state === 'connected');
      for (const [channel, args] of [['fleet:join', [{ url: redis.url, password: REDIS_PASSWORD, key: null }]], ['fleet:leave', []]] as const) {
        const answer = await rpc(tray.host, channel, ...args);
        assert.equal(answer.ok, false);
        if (!answer.ok) assert.match(answer.error.message, /named by TOKENTRAY_SHARED_CACHE/);
      }
      assert.equal((await health(tray.socket)).sharedCache, 'connected', 'still sharing');
    } finally {
      await tray.host.stop();
    }
    // One the tray refused at start still wins at the next start, so the dashboard joins nothing over it.
    const refused = await startedTray({ TOKENTRAY_SHARED_CACHE: `http://127.0.0.1:${redis.port}`, TOKENTRAY_SHARED_KEY: FLEET_KEY });
    try {
      assert.match(refused.host.sharedCacheRefused?.message ?? '', /must start with redis:\/\//);
      const answer = await rpc(refused.host, 'fleet:join', { url: redis.url, password: REDIS_PASSWORD, key: null });
      assert.equal(answer.ok, false);
      if (!answer.ok) assert.match(answer.error.message, /named by TOKENTRAY_SHARED_CACHE/);
      assert.equal(refused.host.store.getSettings().sharedCache, undefined);
    } finally {
      await refused.host.stop();
    }
  });

  test('the CLI without an app finds the fleet from the setting and the vault', async () => {
    const tray = await startedTray();
    const ok = await rpc<FleetStatusInfo>(tray.host, 'fleet:join', { url: redis.url, password: REDIS_PASSWORD, key: FLEET_KEY });
    assert.ok(ok.ok);
    await tray.host.stop();
    const result = await runCli(['shared-cache', 'status', '--json', '--config-dir', tray.configDir, '--vault', 'file'], {
      env: { TOKENTRAY_VAULT_PASSPHRASE: PASS, TOKENTRAY_SHARED_CACHE: '', TOKENTRAY_SHARED_KEY: '' },
    });
    assert.equal(result.code, 0, result.stderr);
    const info = JSON.parse(result.stdout) as FleetStatusInfo;
    assert.equal(info.state, 'connected');
    assert.equal(info.location, redis.url);
    assert.equal(info.keyId, ok.ok ? ok.value.keyId : null);
    assert.ok(!result.stdout.includes(REDIS_PASSWORD) && !result.stderr.includes(REDIS_PASSWORD));
  });

  test('vault migrate moves what the vault keeps for the fleet; the CLI then finds it in the keychain', async () => {
    const tray = await startedTray();
    const ok = await rpc<FleetStatusInfo>(tray.host, 'fleet:join', { url: redis.url, password: REDIS_PASSWORD, key: FLEET_KEY });
    assert.ok(ok.ok);
    await tray.host.stop();
    const own = { TOKENTRAY_KEYCHAIN_SERVICE: service, TOKENTRAY_SHARED_CACHE: '', TOKENTRAY_SHARED_KEY: '' };
    const moved = await runCli(['vault', 'migrate', '--to', 'keychain', '--config-dir', tray.configDir], { env: { ...own, TOKENTRAY_VAULT_PASSPHRASE: PASS } });
    assert.equal(moved.code, 0, moved.stderr);
    assert.ok((await keytar.getPassword(service, FLEET_PASSWORD_ACCOUNT)) !== null, 'the password moved');
    assert.equal(await keytar.getPassword(service, FLEET_KEY_ACCOUNT), FLEET_KEY, 'the key moved');
    const status = await runCli(['shared-cache', 'status', '--json', '--config-dir', tray.configDir], { env: own });
    assert.equal(status.code, 0, status.stderr);
    const info = JSON.parse(status.stdout) as FleetStatusInfo;
    assert.equal(info.state, 'connected');
    assert.equal(info.keyId, ok.ok ? ok.value.keyId : null);

    // And back: the keychain is shared by every config directory, so only this one's entries move,
    // the fleet's among them.
    const back = await runCli(['vault', 'migrate', '--to', 'file', '--config-dir', tray.configDir], { env: { ...own, TOKENTRAY_VAULT_PASSPHRASE: PASS } });
    assert.equal(back.code, 0, back.stderr);
    assert.equal(await keytar.getPassword(service, FLEET_KEY_ACCOUNT), null, 'gone from the keychain');
    const fromFile = await runCli(['shared-cache', 'status', '--json', '--config-dir', tray.configDir], { env: { ...own, TOKENTRAY_VAULT_PASSPHRASE: PASS } });
    assert.equal(fromFile.code, 0, fromFile.stderr);
    assert.equal((JSON.parse(fromFile.stdout) as FleetStatusInfo).state, 'connected');
  });
});
