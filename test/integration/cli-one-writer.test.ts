// `profile add` tests the credential against a local OAuth server (a refusal is exit 4 and saves
// nothing, an unreachable provider saves with a warning, --no-test skips, a passed test's token is
// the first cached one), and while `tokentray serve` runs on the file vault the CLI's profile,
// client-key and vault commands go through its socket: the README's first example works without a
// passphrase, `profile show` and `vault status` see the app's unlocked vault, and bad input gets the
// same exit codes as without an app. The administration verbs exist on the socket only.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli } from '../support/cli.js';
import { startServe, stopServe, type Served } from '../support/serve-process.js';
import { startProviderServer, type ProviderServer } from '../support/servers/index.js';
import { makeTempDir, removeTempDir } from '../support/temp-dir.js';
import { httpRequest } from '../support/http.js';

const PASS = 'a long passphrase for the one-writer test';
/** No keychain and no passphrase for the CLI: whatever needs the vault must come from the app. */
const noVault = (dir: string): NodeJS.ProcessEnv => ({ XDG_RUNTIME_DIR: dir, DBUS_SESSION_BUS_ADDRESS: '', DISPLAY: '', TOKENTRAY_VAULT_PASSPHRASE: '', TOKENTRAY_VAULT_PASSPHRASE_FILE: '' });

async function post(port: number, path: string, headers: Record<string, string>): Promise<number> {
  return (await httpRequest(port, path, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: '{}' })).status;
}

let provider: ProviderServer;
let dir: string;
before(async () => {
  provider = await startProviderServer('redpanda');
  dir = await makeTempDir('tokentray-one-writer-');
});
after(async () => {
  await provider.close();
  await removeTempDir(dir);
});

const addArgs = (id: string, configDir: string, tokenUrl: string, extra: string[] = []) => [
  'profile', 'add', id, '--provider', 'redpanda', '--client-id', provider.credentials.clientId, '--token-url', tokenUrl, '--secret-stdin', '--config-dir', configDir, ...extra,
];

describe('profile add tests the credential', () => {
  test('rejected: exit 4, nothing saved; unreachable: saved with a warning; --no-test: no request; passed: its token is cached', async () => {
    const configDir = join(dir, 'alone');
    const env = { XDG_RUNTIME_DIR: dir, TOKENTRAY_VAULT: 'file', TOKENTRAY_VAULT_PASSPHRASE: PASS };
    const before = provider.tokenRequestCount();
    const rejected = await runCli(addArgs('bad', configDir, provider.tokenUrl), { stdin: 'not-the-secret', env });
    assert.equal(rejected.code, 4, rejected.stderr);
    assert.match(rejected.stderr, /not saved/);
    assert.equal(provider.tokenRequestCount(), before + 1);

    const unreachable = await runCli(addArgs('far', configDir, 'http://127.0.0.1:9/oauth/token'), { stdin: provider.credentials.clientSecret, env });
    assert.equal(unreachable.code, 0, unreachable.stderr);
    assert.match(unreachable.stderr, /warning: the credential could not be tested/);

    const skipped = await runCli(addArgs('skipped', configDir, provider.tokenUrl, ['--no-test']), { stdin: 'not-the-secret', env });
    assert.equal(skipped.code, 0, skipped.stderr);
    assert.equal(provider.tokenRequestCount(), before + 1, '--no-test sends nothing');

    const good = await runCli(addArgs('good', configDir, provider.tokenUrl), { stdin: provider.credentials.clientSecret, env });
    assert.equal(good.code, 0, good.stderr);
    assert.match(good.stderr, /tested with a token request/);
    const token = await runCli(['token', 'good', '--config-dir', configDir], { env });
    assert.equal(token.code, 0, token.stderr);
    assert.equal(provider.tokenRequestCount(), before + 2, 'the tested token was the first cached one');

    const list = await runCli(['profile', 'list', '--json', '--config-dir', configDir], { env });
    assert.deepEqual((JSON.parse(list.stdout) as { id: string }[]).map((p) => p.id), ['far', 'good', 'skipped']);
  });
});

describe('with `tokentray serve` on the file vault, the CLI goes through the app', () => {
  let served: Served;
  let configDir: string;
  before(async () => {
    configDir = join(dir, 'served');
    served = await startServe(configDir, '0', { XDG_RUNTIME_DIR: dir, TOKENTRAY_VAULT: 'file', TOKENTRAY_VAULT_PASSPHRASE: PASS, DBUS_SESSION_BUS_ADDRESS: '' });
  });
  after(async () => {
    await stopServe(served);
  });

  test("the README's first example, then show, list, vault status and client keys, with no passphrase given", async () => {
    const env = noVault(dir);
    const added = await runCli(addArgs('rp', configDir, provider.tokenUrl), { stdin: provider.credentials.clientSecret, env });
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stderr, /its secret is in the encrypted vault file/);
    const token = await runCli(['token', 'rp', '--config-dir', configDir], { env });
    assert.equal(token.code, 0, token.stderr);
    assert.ok(token.stdout.trim().length > 0);

    const shown = await runCli(['profile', 'show', 'rp', '--config-dir', configDir], { env });
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /clientSecret\s+stored in the encrypted vault file/);
    const status = await runCli(['vault', 'status', '--config-dir', configDir], { env });
    assert.match(status.stdout, /^file\s+unlocked\s+\d+\s+.*vault\.json$/m);

    const key = await runCli(['clients', 'add', 'ci', '--profiles', 'rp', '--config-dir', configDir], { env });
    assert.equal(key.code, 0, key.stderr);
    const listed = await runCli(['clients', 'list', '--json', '--config-dir', configDir], { env });
    assert.ok((JSON.parse(listed.stdout) as { name: string }[]).some((c) => c.name === 'ci'));
    // The verbs are the socket's alone: a client key on TCP meets an unknown path, no key a 401.
    assert.equal(await post(served.port, '/v1/admin/clients:list', { Authorization: `Bearer ${key.stdout.trim()}` }), 404);
    assert.equal(await post(served.port, '/v1/admin/clients:list', {}), 401);
    const removed = await runCli(['clients', 'rm', 'ci', '--config-dir', configDir], { env });
    assert.equal(removed.code, 0, removed.stderr);
  });

  test('bad input: the same exit codes as without an app, and nothing changes', async () => {
    const env = noVault(dir);
    const again = await runCli(addArgs('rp', configDir, provider.tokenUrl), { stdin: provider.credentials.clientSecret, env });
    assert.equal(again.code, 2, again.stderr);
    assert.match(again.stderr, /already exists/);
    const badId = await runCli(addArgs('Not_An_Id', configDir, provider.tokenUrl), { stdin: 'x', env });
    assert.equal(badId.code, 2, badId.stderr);
    const rejected = await runCli(addArgs('wrong', configDir, provider.tokenUrl), { stdin: 'not-the-secret', env });
    assert.equal(rejected.code, 4, rejected.stderr);
    assert.equal((await runCli(['profile', 'show', 'wrong', '--config-dir', configDir], { env })).code, 3);
    assert.equal((await runCli(['profile', 'rm', 'nope', '--config-dir', configDir], { env })).code, 3);
    assert.equal((await runCli(['clients', 'rm', 'nope', '--config-dir', configDir], { env })).code, 3);
    const badName = await runCli(['clients', 'add', 'bad name!', '--config-dir', configDir], { env });
    assert.equal(badName.code, 2, badName.stderr);
    const list = await runCli(['profile', 'list', '--json', '--config-dir', configDir], { env });
    assert.deepEqual((JSON.parse(list.stdout) as { id: string }[]).map((p) => p.id), ['rp']);
  });
});
