// `profile add --shared-only` while `tokentray serve` runs goes through the app's socket like every
// other add: the app is the one writer, and its shared cache (not the CLI's flags) decides whether
// a profile that only reads the fleet's token makes sense. An app without one refuses, saving nothing.
// `vault migrate` cannot switch a running app's backend, so it refuses with the way out.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { generateFleetKey } from '../../main/core/fleet/record-crypto.js';
import { removeTempConfigDirs, runCli, tempConfigDir } from '../support/cli.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { startServe, stopServe, type Served } from '../support/serve-process.js';

const PASS = 'a long passphrase for the shared-only test';
/** The CLI itself has no shared cache, no keychain and no passphrase: only the app can do this. */
const bare: NodeJS.ProcessEnv = { DBUS_SESSION_BUS_ADDRESS: '', DISPLAY: '', TOKENTRAY_SHARED_CACHE: '', TOKENTRAY_SHARED_KEY: '', TOKENTRAY_VAULT_PASSPHRASE: '' };
const addArgs = (dir: string) => ['profile', 'add', 'ci', '--provider', 'oauth2', '--token-url', 'http://127.0.0.1:9/token', '--client-id', 'fleet-client', '--shared-only', '--config-dir', dir];
const adds = (served: Served) => served.output().split('\n').filter((line) => line.startsWith('tokentray-test: socket POST /v1/admin/profiles:add '));

let redis: RedisServer;
before(async () => {
  redis = await startRedis();
});
after(async () => {
  await redis.close();
  await removeTempConfigDirs();
});

describe('profile add --shared-only with an app running', () => {
  test('goes through the app, which has the shared cache the CLI lacks', async () => {
    const dir = await tempConfigDir();
    const app = await startServe(dir, '0', { ...bare, TOKENTRAY_VAULT: 'file', TOKENTRAY_VAULT_PASSPHRASE: PASS, TOKENTRAY_SHARED_CACHE: redis.url, TOKENTRAY_SHARED_KEY: generateFleetKey(), TOKENTRAY_TEST_HOOKS: '1' });
    try {
      const added = await runCli(addArgs(dir), { env: bare });
      assert.equal(added.code, 0, added.stderr);
      assert.match(added.stderr, /Added profile "ci" .*shared-only/);
      assert.deepEqual(adds(app).map((line) => line.endsWith(' 200')), [true], 'one add, over the socket');
      const listed = await runCli(['status', '--json', '--config-dir', dir], { env: bare });
      assert.equal(listed.code, 0, listed.stderr);
      const ci = (JSON.parse(listed.stdout) as { id: string; sharedOnly?: boolean }[]).find((p) => p.id === 'ci');
      assert.equal(ci?.sharedOnly, true, 'the running app knows it at once');
    } finally {
      await stopServe(app);
    }
  });

  test('an app without a shared cache refuses it: exit 2 with a hint, nothing saved', async () => {
    const dir = await tempConfigDir();
    const app = await startServe(dir, '0', { ...bare, TOKENTRAY_VAULT: 'file', TOKENTRAY_VAULT_PASSPHRASE: PASS, TOKENTRAY_TEST_HOOKS: '1' });
    try {
      const refused = await runCli(addArgs(dir), { env: bare });
      assert.equal(refused.code, 2, refused.stderr);
      assert.match(refused.stderr, /--shared-only needs a shared cache, and the running app has none configured; nothing was saved/);
      assert.match(refused.stderr, /hint: .*--shared-cache/);
      assert.deepEqual(adds(app).map((line) => line.endsWith(' 400')), [true], 'the app refused it');
      const listed = await runCli(['profile', 'list', '--json', '--config-dir', dir], { env: bare });
      assert.deepEqual(JSON.parse(listed.stdout), []);
    } finally {
      await stopServe(app);
    }
  });
});

describe('vault migrate with an app running', () => {
  test('refuses with exit 5 and the way out; nothing moves and the setting stays', async () => {
    const dir = await tempConfigDir();
    const app = await startServe(dir, '0', { ...bare, TOKENTRAY_VAULT: 'file', TOKENTRAY_VAULT_PASSPHRASE: PASS });
    try {
      const vault = await readFile(join(dir, 'vault.json'));
      const config = await readFile(join(dir, 'config.json'), 'utf8');
      const refused = await runCli(['vault', 'migrate', '--to', 'keychain', '--config-dir', dir], { env: { ...bare, TOKENTRAY_VAULT_PASSPHRASE: PASS } });
      assert.equal(refused.code, 5, refused.stderr);
      assert.match(refused.stderr, /holds the vault open, so its backend cannot change under it; nothing was moved/);
      assert.match(refused.stderr, /hint: Quit it \(or stop `tokentray serve`\), migrate, then start it again/);
      assert.deepEqual(await readFile(join(dir, 'vault.json')), vault);
      assert.equal(await readFile(join(dir, 'config.json'), 'utf8'), config);
    } finally {
      await stopServe(app);
    }
  });
});
