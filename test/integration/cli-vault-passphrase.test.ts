// The file vault's passphrase from the CLI: a weak one creates no vault
// (TOKENTRAY_VAULT_PASSPHRASE or the prompt), and `tokentray vault passphrase` re-encrypts the vault
// under a new one, from stdin or asked twice on a real terminal. Bad input changes nothing, byte for
// byte: a wrong current passphrase (exit 5), a weak or mismatched new one (exit 2), and a process
// killed between writing the new file and renaming it (the old vault opens). While `serve` runs, the
// app re-encrypts its own vault over its socket, and a restart opens it with the new passphrase.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cliCommand, printed, removeTempConfigDirs, ROOT, runCli, tempConfigDir } from '../support/cli.js';
import { until } from '../support/poll.js';
import { startServe, stopServe, type Served } from '../support/serve-process.js';
import { startProviderServer, type ProviderServer } from '../support/servers/index.js';

const PASS = 'a long passphrase for the cli test';
const NEXT = 'lantern orbit velvet cactus';
const WEAK = 'hunter22';
const SECRET = 'cli-passphrase-secret';

/** No session bus, as on a fresh headless machine: `auto` is the file vault. */
function noDbus(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { DBUS_SESSION_BUS_ADDRESS: '', DISPLAY: '', TOKENTRAY_VAULT_PASSPHRASE: '', TOKENTRAY_VAULT_PASSPHRASE_FILE: '', ...extra };
}

const shellQuote = (value: string): string => `'${value.replace(/'/g, `'\\''`)}'`;

/** Runs the CLI under a pty (util-linux `script`), typing each step's keys once its prompt shows. */
function runOnTerminal(args: string[], env: NodeJS.ProcessEnv, steps: Array<{ prompt: string; keys: string }>): Promise<{ code: number | null; screen: string }> {
  const cli = cliCommand(args);
  const commandLine = [cli.command, ...cli.args].map(shellQuote).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qfec', commandLine, '/dev/null'], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let screen = '';
    let next = 0;
    let seen = 0;
    const onOutput = (chunk: Buffer): void => {
      screen += chunk.toString('utf8');
      const step = steps[next];
      const at = step === undefined ? -1 : screen.indexOf(step.prompt, seen);
      if (step !== undefined && at >= 0) {
        seen = at + step.prompt.length;
        next += 1;
        child.stdin.write(step.keys);
      }
    };
    child.stdout.on('data', onOutput);
    child.stderr.on('data', onOutput);
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, screen }));
  });
}

let server: ProviderServer;
before(async () => {
  server = await startProviderServer('redpanda', { clientSecret: SECRET });
});
after(async () => {
  await server.close();
  await removeTempConfigDirs();
});

const add = (dir: string, env: NodeJS.ProcessEnv) =>
  runCli(['profile', 'add', 'rp', '--provider', 'redpanda', '--client-id', 'redpanda-client', '--token-url', server.tokenUrl, '--secret-stdin', '--config-dir', dir], {
    stdin: `${SECRET}\n`,
    env,
  });
const token = (dir: string, passphrase: string) => runCli(['token', 'rp', '--config-dir', dir], { env: noDbus({ TOKENTRAY_VAULT_PASSPHRASE: passphrase }) });
const change = (dir: string, current: string, next: string, extra: string[] = []) =>
  runCli(['vault', 'passphrase', '--new-passphrase-stdin', '--config-dir', dir, ...extra], { stdin: next, env: noDbus({ TOKENTRAY_VAULT_PASSPHRASE: current }) });
/**
 * The app's unlock throttle refuses any attempt within a second of a wrong passphrase (however
 * slowly the CLI starts under load): a person would wait as told, and so does this.
 */
const changeOnceUnthrottled = (dir: string, current: string, next: string) =>
  until('a change the throttle lets through', async () => {
    const result = await change(dir, current, next);
    return /Too many wrong passphrases: wait/.test(result.stderr) ? undefined : result;
  }, { intervalMs: 250 });

/** A config directory with a file vault (PASS) holding one profile's secret. */
async function vaultWithProfile(): Promise<{ dir: string; file: string }> {
  const dir = await tempConfigDir();
  const added = await add(dir, noDbus({ TOKENTRAY_VAULT_PASSPHRASE: PASS }));
  assert.equal(added.code, 0, added.stderr);
  return { dir, file: path.join(dir, 'vault.json') };
}

describe('the file vault passphrase from the CLI', () => {
  test('a weak TOKENTRAY_VAULT_PASSPHRASE creates no vault: exit 2, the reason, and nothing written', async () => {
    const dir = await tempConfigDir();
    const added = await add(dir, noDbus({ TOKENTRAY_VAULT_PASSPHRASE: WEAK }));
    assert.equal(added.code, 2, added.stderr);
    assert.match(added.stderr, /^tokentray: The passphrase is too weak \(strength [0-3] of 4; 4 is needed\)/m);
    assert.match(added.stderr, /hint: .*random words/);
    assert.ok(!added.stderr.includes(WEAK));
    await assert.rejects(fs.stat(path.join(dir, 'vault.json')), 'no vault file');
    const listed = await runCli(['profile', 'list', '--json', '--config-dir', dir], { env: noDbus() });
    assert.deepEqual(JSON.parse(listed.stdout), [], 'and no profile');
  });

  test('vault passphrase --new-passphrase-stdin re-encrypts: the new passphrase opens it, the old one no longer does', async () => {
    const { dir, file } = await vaultWithProfile();
    const before = JSON.parse(await fs.readFile(file, 'utf8')) as { kdf: { salt: string } };
    const changed = await change(dir, PASS, `${NEXT}\n`);
    assert.equal(changed.code, 0, changed.stderr);
    assert.match(changed.stderr, /The vault's passphrase was changed: [1-9]\d* entries re-encrypted in .*vault\.json/);
    const after = JSON.parse(await fs.readFile(file, 'utf8')) as typeof before;
    assert.notEqual(after.kdf.salt, before.kdf.salt, 'a new salt');
    assert.equal((await fs.stat(file)).mode & 0o777, 0o600);

    const old = await token(dir, PASS);
    assert.equal(old.code, 5, old.stderr);
    assert.match(old.stderr, /The passphrase does not open the vault/);
    const fresh = await token(dir, NEXT);
    assert.equal(fresh.code, 0, fresh.stderr);
    assert.equal(fresh.stdout.trim(), server.issued.at(-1)?.accessToken);
    const status = await runCli(['vault', 'status', '--json', '--config-dir', dir], { env: noDbus({ TOKENTRAY_VAULT_PASSPHRASE: NEXT }) });
    assert.equal((JSON.parse(status.stdout) as { state: string }).state, 'unlocked');
  });

  test('bad input changes nothing, byte for byte: a wrong current passphrase (5), a weak, empty or unchanged new one (2), no new one (2)', async () => {
    const { dir, file } = await vaultWithProfile();
    const bytes = await fs.readFile(file);

    const wrong = await change(dir, 'not the passphrase at all', NEXT);
    assert.equal(wrong.code, 5, wrong.stderr);
    assert.match(wrong.stderr, /The passphrase does not open the vault\./);

    const weak = await change(dir, PASS, `${WEAK}\n`);
    assert.equal(weak.code, 2, weak.stderr);
    assert.match(weak.stderr, /too weak \(strength [0-3] of 4; 4 is needed\)/);
    assert.ok(!weak.stderr.includes(WEAK), 'the passphrase is never echoed');

    const empty = await change(dir, PASS, '');
    assert.equal(empty.code, 2, empty.stderr);
    assert.match(empty.stderr, /no new passphrase on stdin; nothing was changed/);

    const same = await change(dir, PASS, PASS);
    assert.equal(same.code, 2, same.stderr);
    assert.match(same.stderr, /the same as the current one; nothing was changed/);

    const noTty = await runCli(['vault', 'passphrase', '--config-dir', dir], { env: noDbus({ TOKENTRAY_VAULT_PASSPHRASE: PASS }) });
    assert.equal(noTty.code, 2, noTty.stderr);
    assert.match(noTty.stderr, /--new-passphrase-stdin/);

    const noCurrent = await runCli(['vault', 'passphrase', '--new-passphrase-stdin', '--config-dir', dir], { stdin: NEXT, env: noDbus() });
    assert.equal(noCurrent.code, 5, noCurrent.stderr);
    assert.match(noCurrent.stderr, /needs its current passphrase/);

    assert.deepEqual(await fs.readFile(file), bytes);
    assert.equal((await token(dir, PASS)).code, 0, 'the old passphrase still opens it');

    const none = await change(await tempConfigDir(), PASS, NEXT, ['--vault', 'file']);
    assert.equal(none.code, 5, none.stderr);
    assert.match(none.stderr, /no passphrase yet/);
    const keychain = await runCli(['vault', 'passphrase', '--new-passphrase-stdin', '--vault', 'keychain', '--config-dir', await tempConfigDir()], { stdin: NEXT });
    assert.equal(keychain.code, 2, keychain.stderr);
    assert.match(keychain.stderr, /OS keychain .* has no Tokentray passphrase/);
  });

  test('killed between writing the new file and renaming it: the old vault is whole and opens with the old passphrase', async () => {
    const { dir, file } = await vaultWithProfile();
    const bytes = await fs.readFile(file);
    const cli = cliCommand(['vault', 'passphrase', '--new-passphrase-stdin', '--config-dir', dir]);
    const child = spawn(cli.command, cli.args, {
      cwd: ROOT,
      env: { ...process.env, ...noDbus({ TOKENTRAY_VAULT_PASSPHRASE: PASS, TOKENTRAY_TEST_HOOKS: '1', TOKENTRAY_TEST_HALT: 'vault-replace' }) },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    child.stdin.end(NEXT);
    let stderr = '';
    await new Promise<void>((resolve, reject) => {
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString('utf8');
        if (stderr.includes('the new vault file is written, not yet renamed')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`exited with ${code} before the halt: ${stderr}`)));
    });
    const temps = (await fs.readdir(dir)).filter((name) => name.endsWith('.tmp'));
    assert.equal(temps.length, 1, 'the new file is complete beside the old one');
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;

    assert.deepEqual(await fs.readFile(file), bytes, 'the old file is byte for byte as it was');
    const old = await token(dir, PASS);
    assert.equal(old.code, 0, old.stderr);
    assert.equal((await token(dir, NEXT)).code, 5, 'the half-done change did not take');
    // The next change completes, and takes the dead writer's temporary file away.
    assert.equal((await change(dir, PASS, NEXT)).code, 0);
    assert.deepEqual((await fs.readdir(dir)).filter((name) => name.endsWith('.tmp')), []);
    assert.equal((await token(dir, NEXT)).code, 0);
  });

  test('while the app runs: the app re-encrypts its own vault over its socket; bad input changes nothing; a restart opens with the new one', async () => {
    const { dir, file } = await vaultWithProfile();
    // The running app writes to the vault itself (its client key, cached tokens): the key is what must not change.
    const keyOf = async () => {
      const { kdf, keyCheck } = JSON.parse(await fs.readFile(file, 'utf8')) as { kdf: unknown; keyCheck: string };
      return { kdf, keyCheck };
    };
    const key = await keyOf();
    const traced = (served: Served, verb: string) => served.output().split('\n').filter((line) => line.startsWith(`tokentray-test: socket POST /v1/admin/${verb} `));
    let app = await startServe(dir, '0', noDbus({ TOKENTRAY_VAULT_PASSPHRASE: PASS, TOKENTRAY_TEST_HOOKS: '1' }));
    try {
      const wrong = await change(dir, 'not the passphrase at all', NEXT);
      assert.equal(wrong.code, 5, wrong.stderr);
      assert.match(wrong.stderr, /The passphrase does not open the vault\./);
      assert.equal(traced(app, 'vault:check-passphrase').length, 1, 'the app checked it, not the CLI');
      assert.deepEqual(await keyOf(), key, 'the same salt and key');

      const weak = await changeOnceUnthrottled(dir, PASS, `${WEAK}\n`);
      assert.equal(weak.code, 2, weak.stderr);
      assert.match(weak.stderr, /too weak \(strength [0-3] of 4; 4 is needed\)/);
      assert.deepEqual(await keyOf(), key, 'a weak one changes nothing');
      // The weak one from stdin reached the app, which judged and refused it.
      assert.deepEqual(traced(app, 'vault:passphrase').map((line) => line.endsWith(' 400')), [true]);

      const changed = await change(dir, PASS, NEXT);
      assert.equal(changed.code, 0, changed.stderr);
      assert.match(changed.stderr, /The vault's passphrase was changed: [1-9]\d* entries re-encrypted in .*vault\.json/);
      assert.match(traced(app, 'vault:passphrase').at(-1) ?? '', / 200$/, 'through the socket');
      assert.notDeepEqual(await keyOf(), key, 'a new salt and key');
      // The app keeps serving with its re-keyed vault.
      const served = await runCli(['token', 'rp', '--config-dir', dir], { env: noDbus() });
      assert.equal(served.code, 0, served.stderr);
    } finally {
      await stopServe(app);
    }
    assert.equal((await token(dir, PASS)).code, 5, 'the old passphrase no longer opens it');
    app = await startServe(dir, '0', noDbus({ TOKENTRAY_VAULT_PASSPHRASE: NEXT }));
    try {
      const status = await runCli(['vault', 'status', '--json', '--config-dir', dir], { env: noDbus() });
      assert.equal((JSON.parse(status.stdout) as { state: string }).state, 'unlocked', 'the restarted app opened it with the new one');
    } finally {
      await stopServe(app);
    }
  });

  test('on a terminal: the current passphrase, then the new one twice; a weak one is refused before it is asked again', async () => {
    const { dir } = await vaultWithProfile();
    const env = noDbus({ TOKENTRAY_CONFIG_DIR: '' });
    const weak = await runOnTerminal(['vault', 'passphrase', '--config-dir', dir], env, [
      { prompt: 'Current passphrase for', keys: `${PASS}\r` },
      { prompt: 'New vault passphrase', keys: `${WEAK}\r` },
    ]);
    assert.equal(weak.code, 2, weak.screen);
    assert.match(weak.screen, /too weak/);
    assert.ok(!weak.screen.includes('The same passphrase again'), 'not asked again');

    const mismatch = await runOnTerminal(['vault', 'passphrase', '--config-dir', dir], env, [
      { prompt: 'Current passphrase for', keys: `${PASS}\r` },
      { prompt: 'New vault passphrase', keys: `${NEXT}\r` },
      { prompt: 'The same passphrase again', keys: `${NEXT}x\r` },
    ]);
    assert.equal(mismatch.code, 2, mismatch.screen);
    assert.match(mismatch.screen, /the two passphrases differ; nothing was changed/);

    const done = await runOnTerminal(['vault', 'passphrase', '--config-dir', dir], env, [
      { prompt: 'Current passphrase for', keys: `${PASS}\r` },
      { prompt: 'New vault passphrase', keys: `${NEXT}\r` },
      { prompt: 'The same passphrase again', keys: `${NEXT}\r` },
    ]);
    assert.equal(done.code, 0, done.screen);
    assert.match(done.screen, /passphrase was changed/);
    for (const run of [weak, mismatch, done]) assert.ok(!run.screen.includes(PASS) && !run.screen.includes(NEXT), 'echo off');
    assert.equal((await token(dir, NEXT)).code, 0);
  });

  test('no passphrase and no secret was ever printed', () => {
    for (const output of printed) {
      for (const secret of [PASS, NEXT, SECRET]) assert.ok(!output.text.includes(secret), `${output.args.join(' ')} printed a secret`);
    }
  });
});
