// `tokentray` refusing bad input (docs/cli.md): every case a clear message on stderr and the
// documented exit code (2 usage, 3 no such profile, 4 provider, 5 keychain, 1 corrupt config), and
// an invalid request changes nothing. Real child processes, the real keychain (scripts/test.sh).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ProfileConfig } from '../../common/contract.js';
import { removeTempConfigDirs, runCli, tempConfigDir, WITH_APP } from '../support/cli.js';
import { startProviderServer, type ProviderServer } from '../support/servers/index.js';
import { readFilesUnder } from '../support/temp-dir.js';

const servers: ProviderServer[] = [];

after(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await removeTempConfigDirs();
});

describe('tokentray CLI bad input', () => {
  let configDir: string;
  let server: ProviderServer;

  before(async () => {
    configDir = await tempConfigDir();
    server = await startProviderServer('redpanda');
    servers.push(server);
  });

  const add = (id: string, extra: string[], stdin = 'a-secret\n', env?: NodeJS.ProcessEnv) =>
    runCli(['profile', 'add', id, '--config-dir', configDir, '--secret-stdin', ...extra], env ? { stdin, env } : { stdin });

  test('invalid profiles are refused with exit 2, a message that says what to fix, and nothing saved', async () => {
    const cases: Array<{ id: string; extra: string[]; message: RegExp }> = [
      { id: 'p1', extra: ['--provider', 'nope', '--client-id', 'a'], message: /unknown provider "nope"; use one of: redpanda/ },
      { id: 'Bad_ID', extra: ['--provider', 'redpanda', '--client-id', 'a'], message: /id: must be 1-64 characters of a-z, 0-9 and -/ },
      { id: 'p2', extra: ['--provider', 'oauth2', '--client-id', 'a'], message: /tokenUrl: Token URL is required/ },
      { id: 'p3', extra: ['--provider', 'redpanda'], message: /clientId: Client ID is required for Redpanda/ },
      { id: 'p4', extra: ['--provider', 'oauth2', '--client-id', 'a', '--token-url', 'ftp://example.test/token'], message: /tokenUrl: must be an http:\/\/ or https:\/\/ URL/ },
      { id: 'p5', extra: ['--provider', 'redpanda', '--client-id', 'a', '--api-url', 'not a url'], message: /apiUrl: must be an http/ },
      { id: 'p6', extra: ['--provider', 'oauth2', '--client-id', 'a', '--token-url', 'http://x.test', '--auth-method', 'magic'], message: /authMethod/ },
    ];
    const results = await Promise.all(cases.map((c) => add(c.id, c.extra)));
    for (const [index, result] of results.entries()) {
      const c = cases[index]!;
      assert.equal(result.code, 2, `${c.id}: ${result.stderr}`);
      assert.match(result.stderr, c.message);
      assert.match(result.stderr, /Nothing was saved/);
    }
    const empty = await add('p7', ['--provider', 'redpanda', '--client-id', 'a'], '\n');
    assert.equal(empty.code, 2);
    assert.match(empty.stderr, /clientSecret: must not be empty/);
    const missing = await runCli(['profile', 'add', 'p8', '--provider', 'redpanda', '--client-id', 'a', '--config-dir', configDir]);
    assert.equal(missing.code, 2, 'no --secret-stdin and no terminal to ask on');
    assert.match(missing.stderr, /--secret-stdin/);
    const noProvider = await runCli(['profile', 'add', 'p9', '--config-dir', configDir]);
    assert.equal(noProvider.code, 2);
    assert.match(noProvider.stderr, /--provider/);

    const list = await runCli(['profile', 'list', '--json', '--config-dir', configDir]);
    assert.deepEqual(JSON.parse(list.stdout), [], 'no invalid request changed anything');
  });

  test('a secret on the command line is refused and never echoed', async () => {
    for (const flag of [['--client-secret', 'hunter2-argv'], ['--password=hunter2-argv'], ['--secret', 'hunter2-argv']]) {
      const result = await runCli(['profile', 'add', 'argv', '--provider', 'redpanda', '--client-id', 'a', ...flag, '--config-dir', configDir]);
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, /secrets are never taken on the command line/);
      assert.match(result.stderr, /--secret-stdin/);
      assert.ok(!result.stderr.includes('hunter2-argv') && !result.stdout.includes('hunter2-argv'));
    }
  });

  test('usage errors exit 2 with a hint; --help exits 0', async () => {
    const [unknown, help, addHelp, noArgs] = await Promise.all([
      runCli(['frobnicate']),
      runCli(['--help']),
      runCli(['profile', 'add', '--help']),
      runCli(['token', '--config-dir', configDir]),
    ]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command 'frobnicate'/);
    assert.match(unknown.stderr, /--help/);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /profile/);
    assert.equal(addHelp.code, 0);
    assert.match(addHelp.stdout, /--secret-stdin/);
    assert.match(addHelp.stdout, /--config-dir/);
    assert.equal(noArgs.code, 2);
    assert.match(noArgs.stderr, /missing required argument 'id'/);
  });

  test('unknown profile exits 3', async () => {
    const results = await Promise.all([
      runCli(['token', 'no-such', '--config-dir', configDir]),
      runCli(['headers', 'no-such', '--config-dir', configDir]),
      runCli(['profile', 'show', 'no-such', '--config-dir', configDir]),
      runCli(['profile', 'rm', 'no-such', '--config-dir', configDir]),
      runCli(['exec', 'no-such', '--config-dir', configDir, '--', 'true']),
    ]);
    for (const result of results) {
      assert.equal(result.code, 3, result.stderr);
      assert.match(result.stderr, /There is no profile "no-such"/);
      assert.match(result.stderr, /tokentray profile list/);
    }
  });

  test('wrong secret exits 4; an unreachable token URL exits 4; neither message carries a secret', async () => {
    const closed = await startProviderServer('redpanda');
    const unreachableUrl = closed.tokenUrl;
    await closed.close();
    // Saved untested, so the token command meets the refusal and the closed port itself.
    const wrong = await add('wrong-secret', ['--provider', 'redpanda', '--client-id', server.credentials.clientId, '--token-url', server.tokenUrl, '--no-test'], 'not-the-secret\n');
    assert.equal(wrong.code, 0, wrong.stderr);
    const down = await add('unreachable', ['--provider', 'redpanda', '--client-id', 'a', '--token-url', unreachableUrl, '--no-test']);
    assert.equal(down.code, 0, down.stderr);

    const [rejected, refused] = await Promise.all([
      runCli(['token', 'wrong-secret', '--config-dir', configDir]),
      runCli(['token', 'unreachable', '--config-dir', configDir]),
    ]);
    assert.equal(rejected.code, 4, rejected.stderr);
    assert.match(rejected.stderr, /rejected|denied/i);
    assert.match(rejected.stderr, /hint: /);
    assert.equal(rejected.stdout, '');
    assert.ok(!rejected.stderr.includes('not-the-secret'));
    assert.equal(refused.code, 4, refused.stderr);
    assert.match(refused.stderr, /127\.0\.0\.1/);
    assert.match(refused.stderr, /hint: /);
    assert.ok(!refused.stderr.includes('a-secret'));
  });

  test('no Secret Service: exit 5 with a hint, nothing saved, no plaintext fallback', async () => {
    const noKeychain = { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent', DISPLAY: '' };
    // Untested, so the keychain is the first thing to fail (a test would be refused by the provider first).
    const added = await add('no-keychain', ['--provider', 'redpanda', '--client-id', 'a', '--token-url', server.tokenUrl, '--no-test'], 'kc-secret-123\n', noKeychain);
    const list = await runCli(['profile', 'list', '--json', '--config-dir', configDir]);
    if (WITH_APP) {
      // The running app is the one writer and holds its own keychain: the add goes through it, and
      // the CLI's missing Secret Service does not matter.
      assert.equal(added.code, 0, added.stderr);
      assert.ok((JSON.parse(list.stdout) as ProfileConfig[]).some((p) => p.id === 'no-keychain'), 'saved by the app');
    } else {
      assert.equal(added.code, 5, added.stderr);
      assert.match(added.stderr, /keychain/i);
      assert.match(added.stderr, /hint: /);
      assert.ok(!(JSON.parse(list.stdout) as ProfileConfig[]).some((p) => p.id === 'no-keychain'), 'the profile was not saved');
    }
    for (const { text } of await readFilesUnder(configDir)) assert.ok(!text.includes('kc-secret-123'));

    // A profile that exists, but the keychain is gone: the token cannot be had.
    const ok = await add('kc-later', ['--provider', 'redpanda', '--client-id', 'a', '--token-url', server.tokenUrl, '--no-test']);
    assert.equal(ok.code, 0, ok.stderr);
    const token = await runCli(['token', 'kc-later', '--config-dir', configDir], { env: noKeychain });
    if (WITH_APP) {
      // The running app has its keychain; over its socket the CLI needs none of its own,
      // so the request reaches the provider, which refuses this profile's made-up client id.
      assert.equal(token.code, 4, token.stderr);
      assert.doesNotMatch(token.stderr, /keychain/i);
    } else {
      assert.equal(token.code, 5, token.stderr);
      assert.match(token.stderr, /keychain/i);
    }
  });

  test('a corrupt config file is moved aside, reported, and the command exits non-zero', async () => {
    const dir = await tempConfigDir();
    await fs.writeFile(path.join(dir, 'config.json'), '{"profiles": {"half": ');
    const broken = await runCli(['profile', 'list', '--config-dir', dir]);
    assert.equal(broken.code, 1, broken.stderr);
    assert.match(broken.stderr, /not valid JSON/);
    assert.match(broken.stderr, /moved aside to .*config\.json\.corrupt-/);
    const files = await fs.readdir(dir);
    const moved = files.find((f) => f.startsWith('config.json.corrupt-'));
    assert.ok(moved, 'the broken file is kept');
    assert.equal(await fs.readFile(path.join(dir, moved), 'utf8'), '{"profiles": {"half": ');

    await fs.writeFile(path.join(dir, 'config.json'), JSON.stringify({ profiles: { x: { id: 'x', name: 'X', provider: 'nope' } } }));
    const invalid = await runCli(['status', '--config-dir', dir]);
    assert.equal(invalid.code, 1, invalid.stderr);
    assert.match(invalid.stderr, /does not match the schema: profiles\.x\.provider/);

    const fresh = await runCli(['profile', 'list', '--json', '--config-dir', dir]);
    assert.equal(fresh.code, 0, fresh.stderr);
    assert.deepEqual(JSON.parse(fresh.stdout), []);
    assert.equal((await fs.readdir(dir)).filter((f) => f.startsWith('config.json.corrupt-')).length, 2);
  });

  test('clients add prints the key once and stores only its hash; list and rm', async () => {
    const dir = await tempConfigDir();
    const added = await runCli(['clients', 'add', 'ci-bot', '--config-dir', dir]);
    assert.equal(added.code, 0, added.stderr);
    const key = added.stdout.trim();
    assert.match(key, /^ttk_[A-Za-z0-9_-]{43}$/);
    assert.match(added.stderr, /shown only this once/);
    const config = await fs.readFile(path.join(dir, 'config.json'), 'utf8');
    assert.ok(!config.includes(key));
    assert.ok(config.includes(createHash('sha256').update(key).digest('hex')));
    const [dup, unknownProfile, list] = await Promise.all([
      runCli(['clients', 'add', 'ci-bot', '--config-dir', dir]),
      runCli(['clients', 'add', 'other', '--profiles', 'nope', '--config-dir', dir]),
      runCli(['clients', 'list', '--json', '--config-dir', dir]),
    ]);
    assert.equal(dup.code, 2);
    assert.equal(unknownProfile.code, 3);
    const clients = JSON.parse(list.stdout) as Array<{ name: string; profiles: null; hash?: string }>;
    assert.deepEqual(
      clients.map((c) => [c.name, c.profiles, c.hash]),
      [['ci-bot', null, undefined]],
    );
    assert.ok(!list.stdout.includes(key));
    const removed = await runCli(['clients', 'rm', 'ci-bot', '--config-dir', dir]);
    assert.equal(removed.code, 0, removed.stderr);
    const again = await runCli(['clients', 'rm', 'ci-bot', '--config-dir', dir]);
    assert.equal(again.code, 3);
  });
});
