// The encrypted file vault: the Vault contract against a real file, tampering of every
// kind (each one reported, the file left byte for byte), wrong and empty passphrases, locking, the
// lock file, and two real processes writing one vault. It all runs in a child process with
// DBUS_SESSION_BUS_ADDRESS removed, as on a machine without any keychain.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { TokentrayError } from '../../main/core/errors.js';
import { FileVault, VAULT_FILE_NAME, type ScryptParams } from '../../main/node/file-vault.js';
import { vaultContract } from '../support/vault-contract.js';
import { tempDirs } from '../support/temp-dir.js';

const HERE = fileURLToPath(import.meta.url);
const ROOT = path.resolve(path.dirname(HERE), '../..');
/** Cheap parameters where the KDF's cost is not what a test is about (the default is used below too). */
const FAST: ScryptParams = { N: 2 ** 10, r: 8, p: 1 };
const PASS = 'correct horse battery staple';

const dirs = tempDirs();
const tempDir = (): Promise<string> => dirs.make('tokentray-file-vault-');
after(async () => {
  await dirs.removeAll();
});

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code: code ?? -1, out }));
  });
}

function withoutDbus(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.DBUS_SESSION_BUS_ADDRESS;
  delete env.DISPLAY;
  delete env.NODE_TEST_CONTEXT; // else node:test refuses to run a test file from inside a test
  return env;
}

async function rejectsWith(promise: Promise<unknown>, kind: string, message?: RegExp): Promise<TokentrayError> {
  let caught: unknown;
  await assert.rejects(promise, (error: unknown) => {
    caught = error;
    return true;
  });
  assert.ok(caught instanceof TokentrayError, String(caught));
  assert.equal(caught.kind, kind, caught.message);
  if (message) assert.match(caught.message, message);
  return caught;
}

/** A vault with two profiles' secrets and a cached token, closed again; returns its dir and bytes. */
async function sampleVault(): Promise<{ dir: string; file: string; bytes: Buffer }> {
  const dir = await tempDir();
  const vault = new FileVault(dir, { scrypt: FAST, watch: false });
  await vault.create(PASS);
  await vault.setSecret('alpha', 'clientSecret', 'alpha-secret-value');
  await vault.setSecret('beta', 'clientSecret', 'beta-secret-value');
  await vault.setCachedToken('alpha', { accessToken: 'tok', tokenType: 'Bearer', headers: { Authorization: 'Bearer tok' }, obtainedAt: 1, expiresAt: 2 });
  vault.close();
  const file = path.join(dir, VAULT_FILE_NAME);
  return { dir, file, bytes: await fs.readFile(file) };
}

async function openFresh(dir: string, passphrase = PASS): Promise<FileVault> {
  const vault = new FileVault(dir, { watch: false });
  await vault.unlock(passphrase);
  return vault;
}

if (process.env.DBUS_SESSION_BUS_ADDRESS) {
  // scripts/test.sh gives every test a D-Bus session; this file proves the file vault needs none.
  test('the file vault tests, in a child process with no D-Bus session', async () => {
    const result = await run(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=tap', HERE], withoutDbus());
    assert.equal(result.code, 0, result.out);
    assert.match(result.out, /# pass [1-9]/);
    assert.match(result.out, /# fail 0/);
  });
} else {
  test('runs without a D-Bus session', () => {
    assert.equal(process.env.DBUS_SESSION_BUS_ADDRESS, undefined);
  });

  vaultContract('encrypted file', async () => {
    const dir = await tempDir();
    const vault = new FileVault(dir, { scrypt: FAST });
    await vault.create(PASS);
    // Read behind the vault's back: a second instance unlocking the file as another process would.
    return { vault, accounts: async () => (await openFresh(dir)).accounts() };
  });

  describe('FileVault', () => {
    test('creates with the default scrypt parameters, unlocks, mode 0600, no plaintext and no temp files', async () => {
      const dir = await tempDir();
      const vault = new FileVault(dir);
      assert.equal(vault.state, 'absent');
      await vault.create(PASS);
      assert.equal(vault.state, 'unlocked');
      await vault.setSecret('alpha', 'clientSecret', 'plain-secret-never-on-disk');
      const file = path.join(dir, VAULT_FILE_NAME);
      const text = await fs.readFile(file, 'utf8');
      assert.ok(!text.includes('plain-secret-never-on-disk'));
      assert.ok(!text.includes(PASS));
      const parsed = JSON.parse(text) as { format: string; version: number; kdf: { name: string; N: number; r: number; p: number } };
      assert.deepEqual([parsed.format, parsed.version, parsed.kdf.name, parsed.kdf.N, parsed.kdf.r, parsed.kdf.p], ['tokentray-vault', 1, 'scrypt', 65536, 8, 1]);
      assert.equal((await fs.stat(file)).mode & 0o777, 0o600);
      assert.deepEqual(await fs.readdir(dir), [VAULT_FILE_NAME], 'no temp or lock file stays behind');
      vault.close();
      const again = new FileVault(dir, { watch: false });
      assert.equal(again.state, 'locked');
      await again.unlock(PASS);
      assert.equal(await again.getSecret('alpha', 'clientSecret'), 'plain-secret-never-on-disk');
    });

    test('two vaults with the same passphrase have different salts and ciphertexts', async () => {
      const a = await sampleVault();
      const b = await sampleVault();
      const [ja, jb] = [JSON.parse(a.bytes.toString('utf8')), JSON.parse(b.bytes.toString('utf8'))] as Array<{ kdf: { salt: string }; records: Record<string, { data: string }> }>;
      assert.notEqual(ja?.kdf.salt, jb?.kdf.salt);
      assert.notEqual(ja?.records['alpha:clientSecret']?.data, jb?.records['alpha:clientSecret']?.data);
    });

    test('an empty passphrase is refused when creating, and nothing is written', async () => {
      const dir = await tempDir();
      const vault = new FileVault(dir, { scrypt: FAST, watch: false });
      await rejectsWith(vault.create(''), 'usage', /empty passphrase/);
      assert.deepEqual(await fs.readdir(dir), []);
      assert.equal(vault.state, 'absent');
    });

    test('while absent or locked every use is vault_locked; lock forgets the key, unlock brings it back', async () => {
      const dir = await tempDir();
      const vault = new FileVault(dir, { scrypt: FAST, watch: false });
      await rejectsWith(vault.getSecret('a', 'clientSecret'), 'vault_locked', /no passphrase yet/);
      const states: string[] = [];
      vault.onDidChangeState((state) => states.push(state));
      await vault.create(PASS);
      await vault.setSecret('a', 'clientSecret', 'v');
      vault.lock();
      assert.equal(vault.state, 'locked');
      await rejectsWith(vault.getSecret('a', 'clientSecret'), 'vault_locked', /locked/);
      await rejectsWith(vault.setSecret('a', 'clientSecret', 'w'), 'vault_locked');
      await vault.unlock(PASS);
      assert.equal(await vault.getSecret('a', 'clientSecret'), 'v');
      assert.deepEqual(states, ['unlocked', 'locked', 'unlocked']);
    });

    test('a wrong passphrase is told apart from damage, and the file is untouched', async () => {
      const { dir, file, bytes } = await sampleVault();
      const vault = new FileVault(dir, { watch: false });
      const error = await rejectsWith(vault.unlock('not the passphrase'), 'vault_passphrase', /^The passphrase does not open the vault\.$/);
      assert.ok(!error.message.includes('not the passphrase') && !(error.hint ?? '').includes('not the passphrase'));
      assert.equal(vault.state, 'locked');
      assert.deepEqual(await fs.readFile(file), bytes);
    });

    test('every single flipped byte is reported as damage (never as a wrong passphrase), and the file stays as it was', async () => {
      const { dir, file, bytes } = await sampleVault();
      const reasons = new Set<string>();
      for (let i = 0; i < bytes.length; i += 1) {
        const flipped = Buffer.from(bytes);
        flipped[i] = (flipped[i] as number) ^ 0x01;
        await fs.writeFile(file, flipped);
        const error = await rejectsWith(openFresh(dir), 'vault_damaged');
        reasons.add(error.message.replace(/"[^"]*"/g, '"…"'));
        assert.deepEqual(await fs.readFile(file), flipped, `byte ${i}: the damaged file is left as it is`);
      }
      // Different damage gets different words: JSON, checksum, a record that does not open, the seal…
      assert.ok(reasons.size >= 4, [...reasons].join('\n'));
      await fs.writeFile(file, bytes);
      assert.equal(await (await openFresh(dir)).getSecret('alpha', 'clientSecret'), 'alpha-secret-value');
    });

    test('truncation at any length is reported, and the file is left as it was', async () => {
      const { dir, file, bytes } = await sampleVault();
      for (const length of [0, 1, 10, Math.floor(bytes.length / 2), bytes.length - 2, bytes.length - 3]) {
        const cut = bytes.subarray(0, length);
        await fs.writeFile(file, cut);
        const error = await rejectsWith(openFresh(dir), 'vault_damaged', /damaged or was tampered with/);
        assert.ok(error.hint, 'with a hint');
        assert.deepEqual(await fs.readFile(file), cut);
      }
    });

    test('records swapped between profiles, moved to another field, removed or rolled back do not open', async () => {
      const { dir, file, bytes } = await sampleVault();
      const original = JSON.parse(bytes.toString('utf8')) as { records: Record<string, { nonce: string; data: string }> };
      const write = async (mutate: (records: Record<string, { nonce: string; data: string }>) => void): Promise<string> => {
        const copy = structuredClone(original);
        mutate(copy.records);
        const text = JSON.stringify(copy, null, 2);
        await fs.writeFile(file, text);
        return text;
      };

      let text = await write((r) => {
        const a = r['alpha:clientSecret'];
        r['alpha:clientSecret'] = r['beta:clientSecret'] as { nonce: string; data: string };
        r['beta:clientSecret'] = a as { nonce: string; data: string };
      });
      await rejectsWith(openFresh(dir), 'vault_damaged', /record "(alpha|beta):clientSecret" does not open/);
      assert.equal(await fs.readFile(file, 'utf8'), text);

      text = await write((r) => {
        r['alpha:password'] = r['alpha:clientSecret'] as { nonce: string; data: string };
        delete r['alpha:clientSecret'];
      });
      await rejectsWith(openFresh(dir), 'vault_damaged', /record "alpha:password" does not open/);
      assert.equal(await fs.readFile(file, 'utf8'), text);

      text = await write((r) => {
        delete r['beta:clientSecret'];
      });
      await rejectsWith(openFresh(dir), 'vault_damaged', /records were removed, added or replaced/);
      assert.equal(await fs.readFile(file, 'utf8'), text);

      // An older version of a record, validly encrypted for the same place, replayed into the file.
      await fs.writeFile(file, bytes);
      const vault = await openFresh(dir);
      await vault.setSecret('alpha', 'clientSecret', 'rotated');
      const rotated = JSON.parse(await fs.readFile(file, 'utf8')) as typeof original & Record<string, unknown>;
      rotated.records['alpha:clientSecret'] = original.records['alpha:clientSecret'] as { nonce: string; data: string };
      text = JSON.stringify(rotated, null, 2);
      await fs.writeFile(file, text);
      await rejectsWith(openFresh(dir), 'vault_damaged', /replaced by older ones/);
      // The open instance notices on its next read too, and its next write does not "repair" the file.
      await rejectsWith(vault.getSecret('alpha', 'clientSecret'), 'vault_damaged');
      await rejectsWith(vault.setSecret('alpha', 'clientSecret', 'again'), 'vault_damaged');
      assert.equal(await fs.readFile(file, 'utf8'), text);
    });

    test('an unknown format version says so, and the file is left as it was', async () => {
      const { dir, file, bytes } = await sampleVault();
      const newer = bytes.toString('utf8').replace('"version":1', '"version":2');
      assert.notEqual(newer, bytes.toString('utf8'));
      await fs.writeFile(file, newer);
      await rejectsWith(openFresh(dir), 'vault_damaged', /format version 2, which this Tokentray does not read \(it reads version 1\)/);
      assert.equal(await fs.readFile(file, 'utf8'), newer);
      await fs.writeFile(file, '{"format":"something-else"}');
      await rejectsWith(openFresh(dir), 'vault_damaged', /not a Tokentray vault file/);
    });

    test('header parameters out of bounds are refused before any key derivation', async () => {
      const { dir, file, bytes } = await sampleVault();
      const huge = bytes.toString('utf8').replace('"N":1024', '"N":1073741824');
      assert.notEqual(huge, bytes.toString('utf8'));
      await fs.writeFile(file, huge);
      await rejectsWith(openFresh(dir), 'vault_damaged', /out of range/);
      assert.equal(await fs.readFile(file, 'utf8'), huge);
    });

    test('a write by another instance is seen by the next read, without unlocking again', async () => {
      const dir = await tempDir();
      const first = new FileVault(dir, { scrypt: FAST });
      await first.create(PASS);
      const second = await openFresh(dir);
      await second.setSecret('new', 'clientSecret', 'from the other writer');
      assert.equal(await first.getSecret('new', 'clientSecret'), 'from the other writer');
      await first.setSecret('mine', 'clientSecret', 'kept');
      assert.equal(await second.getSecret('new', 'clientSecret'), 'from the other writer', 'merged, not overwritten');
      assert.equal(await second.getSecret('mine', 'clientSecret'), 'kept');
      first.close();
    });

    test('the watcher reports a write by another instance', async () => {
      const dir = await tempDir();
      const watching = new FileVault(dir, { scrypt: FAST });
      await watching.create(PASS);
      const changed = new Promise<void>((resolve) => watching.onDidChange(() => resolve()));
      await (await openFresh(dir)).setSecret('w', 'clientSecret', 'x');
      await changed;
      assert.equal(await watching.getSecret('w', 'clientSecret'), 'x');
      watching.close();
    });

    test('a lock file left by a process that is gone is taken over', async () => {
      const { dir, file } = await sampleVault();
      const vault = await openFresh(dir);
      await fs.writeFile(`${file}.lock`, '999999999\n');
      await vault.setSecret('after', 'clientSecret', 'stale lock ignored');
      assert.equal(await (await openFresh(dir)).getSecret('after', 'clientSecret'), 'stale lock ignored');
      await assert.rejects(fs.stat(`${file}.lock`), 'the lock is released');
    });

    test('two processes writing the same vault at once lose nothing', async () => {
      const { dir } = await sampleVault();
      const script = `
        import { FileVault } from './main/node/file-vault.ts';
        const vault = new FileVault(process.argv[1], { watch: false });
        await vault.unlock(process.env.PASS);
        for (let i = 0; i < 25; i += 1) await vault.setSecret(process.argv[2] + '-' + i, 'clientSecret', process.argv[2] + ' value ' + i);
        process.stdout.write('done');
      `;
      const env = { ...withoutDbus(), PASS };
      const writers = ['left', 'right'].map((name) => run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, dir, name], env));
      for (const result of await Promise.all(writers)) assert.equal(result.code, 0, result.out);
      const vault = await openFresh(dir);
      const accounts = await vault.accounts();
      for (const name of ['left', 'right']) {
        for (let i = 0; i < 25; i += 1) assert.equal(await vault.getSecret(`${name}-${i}`, 'clientSecret'), `${name} value ${i}`);
      }
      assert.ok(accounts.includes('alpha:clientSecret') && accounts.includes('beta:clientSecret'), 'what was there before stays');
      assert.equal(accounts.length, 50 + 3);
    });
  });

  describe('passphrase strength and change', () => {
    const NEXT = 'lantern orbit velvet cactus';

    test('a weak passphrase does not create a vault: the reason and advice, never the passphrase, and nothing written', async () => {
      const dir = await tempDir();
      const vault = new FileVault(dir, { scrypt: FAST, watch: false });
      for (const weak of ['short', 'password1', 'Summer2024!', 'tokentray vault']) {
        const error = await rejectsWith(vault.create(weak), 'usage', /^The passphrase is too weak \(strength [0-3] of 4; 4 is needed\)/);
        assert.ok(error.hint && error.hint.length > 0, 'with advice');
        assert.ok(!error.message.includes(weak) && !(error.hint ?? '').includes(weak), 'never echoed');
      }
      assert.deepEqual(await fs.readdir(dir), []);
      assert.equal(vault.state, 'absent');
      await vault.create(PASS);
      assert.equal(vault.state, 'unlocked');
    });

    test('changePassphrase re-encrypts every entry under a new salt: the new passphrase opens it, the old one no longer does', async () => {
      const { dir, file, bytes } = await sampleVault();
      const vault = await openFresh(dir);
      await vault.changePassphrase(PASS, NEXT);
      assert.equal(vault.state, 'unlocked');
      assert.equal(await vault.getSecret('beta', 'clientSecret'), 'beta-secret-value', 'the open instance goes on with the new key');
      await vault.setSecret('gamma', 'clientSecret', 'written after the change');
      const before = JSON.parse(bytes.toString('utf8')) as { kdf: { salt: string; N: number }; records: Record<string, { data: string }> };
      const after = JSON.parse(await fs.readFile(file, 'utf8')) as typeof before;
      assert.notEqual(after.kdf.salt, before.kdf.salt);
      assert.equal(after.kdf.N, 65536, 'the current default parameters');
      assert.deepEqual(Object.keys(after.records).sort(), [...Object.keys(before.records), 'gamma:clientSecret'].sort());
      for (const account of Object.keys(before.records)) assert.notEqual(after.records[account]?.data, before.records[account]?.data, account);
      assert.equal((await fs.stat(file)).mode & 0o777, 0o600);
      assert.deepEqual((await fs.readdir(dir)).sort(), [VAULT_FILE_NAME], 'no temp or lock file stays behind');
      await rejectsWith(openFresh(dir, PASS), 'vault_passphrase');
      const reopened = await openFresh(dir, NEXT);
      assert.equal(await reopened.getSecret('alpha', 'clientSecret'), 'alpha-secret-value');
      assert.equal((await reopened.getCachedToken('alpha'))?.accessToken, 'tok');
      assert.equal(await reopened.getSecret('gamma', 'clientSecret'), 'written after the change');
      vault.close();
    });

    test('a wrong current passphrase, a weak new one or the same one change nothing, byte for byte', async () => {
      const { dir, file, bytes } = await sampleVault();
      const locked = new FileVault(dir, { watch: false });
      await rejectsWith(locked.changePassphrase('not the passphrase', NEXT), 'vault_passphrase');
      assert.equal(locked.state, 'locked');
      const vault = await openFresh(dir);
      await rejectsWith(vault.changePassphrase('not the passphrase', NEXT), 'vault_passphrase', /does not open/);
      const weak = await rejectsWith(vault.changePassphrase(PASS, 'abc123'), 'usage', /too weak/);
      assert.equal(weak.field, 'passphrase');
      await rejectsWith(vault.changePassphrase(PASS, PASS), 'usage', /the same as the current one/);
      assert.deepEqual(await fs.readFile(file), bytes);
      assert.equal(await vault.getSecret('alpha', 'clientSecret'), 'alpha-secret-value', 'still open with the old key');
      await rejectsWith(new FileVault(await tempDir(), { watch: false }).changePassphrase(PASS, NEXT), 'vault_locked', /no passphrase yet/);
    });

    test('a change that fails between writing the new file and renaming it leaves the old vault whole and working', async () => {
      const { dir, file, bytes } = await sampleVault();
      let written: string[] = [];
      const vault = new FileVault(dir, {
        watch: false,
        beforeReplace: async () => {
          written = (await fs.readdir(dir)).filter((name) => name.endsWith('.tmp'));
          throw new Error('disk full');
        },
      });
      await vault.unlock(PASS);
      await rejectsWith(vault.changePassphrase(PASS, NEXT), 'keychain_unavailable', /could not be written/);
      assert.equal(written.length, 1, 'the new file was complete in its temporary place');
      assert.deepEqual(await fs.readFile(file), bytes, 'the old file is byte for byte as it was');
      assert.deepEqual((await fs.readdir(dir)).sort(), [VAULT_FILE_NAME], 'the temporary file is removed');
      assert.equal(await vault.getSecret('alpha', 'clientSecret'), 'alpha-secret-value', 'the open instance keeps the old key');
      assert.equal(await (await openFresh(dir, PASS)).getSecret('beta', 'clientSecret'), 'beta-secret-value');
      await rejectsWith(openFresh(dir, NEXT), 'vault_passphrase');
    });

    test('a temporary file left by a killed writer is removed by the next write', async () => {
      const { dir } = await sampleVault();
      const leftover = path.join(dir, `.${VAULT_FILE_NAME}.999999999.0123abcd.tmp`);
      await fs.writeFile(leftover, 'half', { mode: 0o600 });
      const vault = await openFresh(dir);
      await vault.setSecret('alpha', 'clientSecret', 'next write');
      assert.deepEqual((await fs.readdir(dir)).sort(), [VAULT_FILE_NAME]);
    });

    test('writes racing a change are kept, and another open instance is told the passphrase changed', async () => {
      const { dir } = await sampleVault();
      const vault = await openFresh(dir);
      const other = await openFresh(dir);
      const writes = Array.from({ length: 5 }, (_, i) => vault.setSecret(`race-${i}`, 'clientSecret', `v${i}`));
      const change = vault.changePassphrase(PASS, NEXT);
      const later = Array.from({ length: 5 }, (_, i) => vault.setSecret(`late-${i}`, 'clientSecret', `w${i}`));
      await Promise.all([...writes, change, ...later]);
      const reopened = await openFresh(dir, NEXT);
      for (let i = 0; i < 5; i += 1) {
        assert.equal(await reopened.getSecret(`race-${i}`, 'clientSecret'), `v${i}`);
        assert.equal(await reopened.getSecret(`late-${i}`, 'clientSecret'), `w${i}`);
      }
      await rejectsWith(other.getSecret('alpha', 'clientSecret'), 'vault_locked', /replaced by one with another passphrase/);
    });
  });
}
