// The CLI on the encrypted file vault: --vault / TOKENTRAY_VAULT and
// auto, the passphrase from the environment or a file, `vault status`, `vault migrate` both ways
// (real gnome-keyring on the other side), and exit 5 with plain words for a wrong passphrase or a
// damaged file, which stays byte for byte. Real child processes; no D-Bus where a test says so.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { KeytarLike } from '../../main/node/keytar-vault.js';
import { printed, removeTempConfigDirs, runCli, tempConfigDir, WITH_APP } from '../support/cli.js';
import { startProviderServer, type ProviderServer } from '../support/servers/index.js';

const PASS = 'a long passphrase for the cli test';
const SECRET = 'cli-vault-secret-%&+';
const keytar = createRequire(import.meta.url)('keytar') as KeytarLike;
// A keychain service of this file's own: migrate moves everything in the service, and other test
// files share scripts/test.sh's one while they run in parallel.
const service = `${process.env.TOKENTRAY_KEYCHAIN_SERVICE ?? 'tokentray-test'}-cli-vault-${randomBytes(4).toString('hex')}`;

/** No session bus at all, as on a fresh headless machine. */
function noDbus(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { DBUS_SESSION_BUS_ADDRESS: '', DISPLAY: '', TOKENTRAY_VAULT_PASSPHRASE: '', TOKENTRAY_VAULT_PASSPHRASE_FILE: '', ...extra };
}

let server: ProviderServer;
before(async () => {
  server = await startProviderServer('redpanda', { clientSecret: SECRET });
});
after(async () => {
  for (const { account } of await keytar.findCredentials(service)) await keytar.deletePassword(service, account);
  await server.close();
  await removeTempConfigDirs();
});

describe('tokentray on the file vault', () => {
  const add = (dir: string, id: string, env: NodeJS.ProcessEnv, extra: string[] = []) =>
    runCli(['profile', 'add', id, '--provider', 'redpanda', '--client-id', 'redpanda-client', '--token-url', server.tokenUrl, '--secret-stdin', '--config-dir', dir, ...extra], { stdin: `${SECRET}\n`, env });

  test('auto with no D-Bus: the file vault, said in one line; created from the passphrase; tokens cached in it', async () => {
    const dir = await tempConfigDir();
    const added = await add(dir, 'rp', noDbus({ TOKENTRAY_VAULT_PASSPHRASE: PASS }));
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stderr, /^tokentray: vault: the encrypted file .*vault\.json \(auto: no D-Bus session\)$/m);
    const text = await fs.readFile(path.join(dir, 'vault.json'), 'utf8');
    assert.ok(!text.includes(SECRET) && !text.includes(PASS));

    const before = server.requests.length;
    const first = await runCli(['token', 'rp', '--config-dir', dir], { env: noDbus({ TOKENTRAY_VAULT_PASSPHRASE: PASS }) });
    assert.equal(first.code, 0, first.stderr);
    const second = await runCli(['token', 'rp', '--config-dir', dir], { env: noDbus({ TOKENTRAY_VAULT_PASSPHRASE: PASS }) });
    assert.equal(second.stdout, first.stdout, 'the second run reused the token cached in the file vault');
    assert.equal(server.requests.length, before + 1);
    assert.ok(!(await fs.readFile(path.join(dir, 'vault.json'), 'utf8')).includes(first.stdout.trim()), 'the cached token is encrypted');

    const shown = await runCli(['profile', 'show', 'rp', '--config-dir', dir], { env: noDbus({ TOKENTRAY_VAULT_PASSPHRASE: PASS }) });
    assert.match(shown.stdout, /stored in the encrypted vault file/);

    const status = await runCli(['vault', 'status', '--json', '--config-dir', dir], { env: noDbus({ TOKENTRAY_VAULT_PASSPHRASE: PASS }) });
    assert.equal(status.code, 0, status.stderr);
    const info = JSON.parse(status.stdout) as { backend: string; state: string; entries: number; location: string };
    // A running app keeps its CLI client key in the vault too: one entry more.
    assert.deepEqual([info.backend, info.state, info.entries, info.location], ['file', 'unlocked', WITH_APP ? 3 : 2, path.join(dir, 'vault.json')]);
    const locked = await runCli(['vault', 'status', '--config-dir', dir], { env: noDbus() });
    assert.equal(locked.code, 0, locked.stderr);
    assert.match(locked.stdout, /^file\s+locked\s+-\s+.*vault\.json$/m);
  });

  test('profile add, rm and --help name the vault in use, never the keychain for the file', async () => {
    const backends = [
      { backend: 'file', place: 'the encrypted vault file', env: noDbus({ TOKENTRAY_VAULT_PASSPHRASE: PASS }), flags: [] as string[] },
      { backend: 'keychain', place: 'the OS keychain', env: { TOKENTRAY_KEYCHAIN_SERVICE: service }, flags: ['--vault', 'keychain'] },
    ];
    for (const { backend, place, env, flags } of backends) {
      const dir = await tempConfigDir();
      const added = await add(dir, 'words', env, flags);
      assert.equal(added.code, 0, added.stderr);
      assert.match(added.stderr, new RegExp(`^Added profile "words" \\(.+\\); its secret is in ${place}\\.$`, 'm'), backend);
      const removed = await runCli(['profile', 'rm', 'words', '--config-dir', dir, ...flags], { env });
      assert.equal(removed.code, 0, removed.stderr);
      assert.match(removed.stderr, new RegExp(`^Removed profile "words" and its entries in ${place}\\.$`, 'm'), backend);
    }
    // Help is printed before any vault is chosen: it names both and how to choose.
    for (const command of ['add', 'rm']) {
      const help = await runCli(['profile', command, '--help']);
      assert.equal(help.code, 0, help.stderr);
      assert.match(help.stdout.replace(/\s+/g, ' '), /the vault \(the OS keychain or the encrypted vault file, see --vault\)/, command);
    }
  });

  test('the passphrase from TOKENTRAY_VAULT_PASSPHRASE_FILE, one trailing newline removed; an empty one refused', async () => {
    const dir = await tempConfigDir();
    const passFile = path.join(dir, 'passphrase');
    await fs.writeFile(passFile, `${PASS}\n`);
    assert.equal((await add(dir, 'rp', noDbus({ TOKENTRAY_VAULT_PASSPHRASE_FILE: passFile }))).code, 0);
    const token = await runCli(['token', 'rp', '--config-dir', dir], { env: noDbus({ TOKENTRAY_VAULT_PASSPHRASE: PASS }) });
    assert.equal(token.code, 0, `the same passphrase as typed: ${token.stderr}`);

    const fresh = await tempConfigDir();
    const empty = path.join(fresh, 'empty');
    await fs.writeFile(empty, '\n');
    const refused = await add(fresh, 'rp', noDbus({ TOKENTRAY_VAULT_PASSPHRASE_FILE: empty }));
    assert.equal(refused.code, 5, refused.stderr);
    assert.match(refused.stderr, /passphrase file .* is empty/);
    await assert.rejects(fs.stat(path.join(fresh, 'vault.json')), 'no vault was created');
  });

  test('no passphrase anywhere and no terminal: exit 5 naming the ways to give one, nothing saved', async () => {
    const dir = await tempConfigDir();
    const result = await add(dir, 'rp', noDbus(), ['--vault', 'file']);
    assert.equal(result.code, 5, result.stderr);
    assert.match(result.stderr, /needs its passphrase/);
    assert.match(result.stderr, /TOKENTRAY_VAULT_PASSPHRASE/);
    const list = await runCli(['profile', 'list', '--json', '--config-dir', dir]);
    assert.deepEqual(JSON.parse(list.stdout), []);
  });

  test('a wrong passphrase is exit 5 "the passphrase does not open the vault", and the file is unchanged', async () => {
    const dir = await tempConfigDir();
    assert.equal((await add(dir, 'rp', noDbus({ TOKENTRAY_VAULT_PASSPHRASE: PASS }))).code, 0);
    const file = path.join(dir, 'vault.json');
    const bytes = await fs.readFile(file);
    const wrong = await runCli(['token', 'rp', '--config-dir', dir], { env: noDbus({ TOKENTRAY_VAULT_PASSPHRASE: 'not it at all' }) });
    assert.equal(wrong.code, 5, wrong.stderr);
    assert.match(wrong.stderr, /the passphrase does not open the vault/i);
    assert.ok(!wrong.stderr.includes('not it at all'));
    assert.deepEqual(await fs.readFile(file), bytes);
  });

  test('a tampered, truncated or newer file is exit 5 saying what is wrong, and stays byte for byte', async () => {
    const dir = await tempConfigDir();
    assert.equal((await add(dir, 'rp', noDbus({ TOKENTRAY_VAULT_PASSPHRASE: PASS }))).code, 0);
    const file = path.join(dir, 'vault.json');
    const good = await fs.readFile(file, 'utf8');
    const record = /"data":"([A-Za-z0-9+/]{4})/.exec(good);
    assert.ok(record);
    const swapped = record[1] === 'AAAA' ? 'BBBB' : 'AAAA';
    const cases: Array<[string, RegExp]> = [
      [good.replace(`"data":"${record[1]}`, `"data":"${swapped}`), /record "rp:clientSecret" does not open/],
      [good.slice(0, good.length - 20), /not valid JSON/],
      [good.replace('"version":1', '"version":7'), /format version 7/],
    ];
    for (const [content, message] of cases) {
      await fs.writeFile(file, content);
      const result = await runCli(['token', 'rp', '--config-dir', dir], { env: noDbus({ TOKENTRAY_VAULT_PASSPHRASE: PASS }) });
      assert.equal(result.code, 5, result.stderr);
      assert.match(result.stderr, message);
      assert.match(result.stderr, /hint: /);
      assert.equal(await fs.readFile(file, 'utf8'), content, 'left as it was');
    }
  });

  test('--vault and TOKENTRAY_VAULT take only keychain, file or auto', async () => {
    const dir = await tempConfigDir();
    const flag = await runCli(['vault', 'status', '--vault', 'plaintext', '--config-dir', dir]);
    assert.equal(flag.code, 2, flag.stderr);
    assert.match(flag.stderr, /--vault must be keychain, file or auto/);
    const env = await runCli(['vault', 'status', '--config-dir', dir], { env: { TOKENTRAY_VAULT: 'none' } });
    assert.equal(env.code, 2);
    assert.match(env.stderr, /TOKENTRAY_VAULT must be/);
  });

  test('vault migrate to the keychain and back: every secret and cached token moves, is checked, then leaves the source', async () => {
    const dir = await tempConfigDir();
    const own = { TOKENTRAY_KEYCHAIN_SERVICE: service };
    const withPass = { ...own, TOKENTRAY_VAULT_PASSPHRASE: PASS };
    assert.equal((await add(dir, 'mig', withPass, ['--vault', 'file'])).code, 0);
    const token = await runCli(['token', 'mig', '--config-dir', dir], { env: withPass });
    assert.equal(token.code, 0, token.stderr);

    const toKeychain = await runCli(['vault', 'migrate', '--to', 'keychain', '--config-dir', dir], { env: withPass });
    if (WITH_APP) {
      // Migration never runs under a running app that holds the vault open: refused, nothing moved.
      assert.notEqual(toKeychain.code, 0);
      assert.match(toKeychain.stderr, /holds the vault open/);
      assert.equal(await keytar.getPassword(service, 'mig:clientSecret'), null);
      return;
    }
    assert.equal(toKeychain.code, 0, toKeychain.stderr);
    assert.match(toKeychain.stderr, /Moved 2 entries from the file .* to the keychain/);
    assert.equal(await keytar.getPassword(service, 'mig:clientSecret'), SECRET);
    assert.ok((await keytar.getPassword(service, 'mig:token'))?.includes(token.stdout.trim()));
    await assert.rejects(fs.stat(path.join(dir, 'vault.json')), 'the emptied vault file is gone');
    const config = JSON.parse(await fs.readFile(path.join(dir, 'config.json'), 'utf8')) as { settings: { vault?: string } };
    assert.equal(config.settings.vault, 'keychain');
    const before = server.requests.length;
    const again = await runCli(['token', 'mig', '--config-dir', dir], { env: own });
    assert.equal(again.stdout, token.stdout, 'the cached token came along');
    assert.equal(server.requests.length, before);

    const same = await runCli(['vault', 'migrate', '--to', 'keychain', '--config-dir', dir], { env: own });
    assert.equal(same.code, 2);
    assert.match(same.stderr, /already in the keychain vault/);

    const toFile = await runCli(['vault', 'migrate', '--to', 'file', '--json', '--config-dir', dir], { env: withPass });
    assert.equal(toFile.code, 0, toFile.stderr);
    const result = JSON.parse(toFile.stdout) as { moved: number; to: { backend: string; entries: number } };
    assert.deepEqual([result.moved, result.to.backend, result.to.entries], [2, 'file', 2]);
    assert.equal(await keytar.getPassword(service, 'mig:clientSecret'), null, 'deleted from the keychain after the check');
    const fromFile = await runCli(['token', 'mig', '--config-dir', dir], { env: noDbus(withPass) });
    assert.equal(fromFile.stdout, token.stdout);
  });

  test('no secret and no passphrase was ever printed', () => {
    for (const entry of printed) {
      assert.ok(!entry.text.includes(SECRET), `${entry.args.join(' ')} printed the secret`);
      assert.ok(!entry.text.includes(PASS), `${entry.args.join(' ')} printed the passphrase`);
    }
  });
});
