// KeytarVault against the real keychain: gnome-keyring on a private D-Bus session (scripts/test.sh)
// under a throwaway service name. And without a Secret Service, a clear keychain_unavailable error.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { VaultInfo } from '../../common/contract.js';
import { TokentrayError } from '../../main/core/errors.js';
import { isLockable } from '../../main/core/storage/vault-control.js';
import { KeytarVault, isTransientKeychainError, keychainError, type KeytarLike } from '../../main/node/keytar-vault.js';
import { vaultContract } from '../support/vault-contract.js';
import { dashboardRpc, loginDashboard, startHarness } from './api-harness.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const keytar = createRequire(import.meta.url)('keytar') as KeytarLike;
// A service of its own inside the throwaway one, so parallel test files never see each other's entries.
const service = `${process.env.TOKENTRAY_KEYCHAIN_SERVICE ?? 'tokentray-test'}-vault-${randomBytes(4).toString('hex')}`;

after(async () => {
  for (const { account } of await keytar.findCredentials(service)) await keytar.deletePassword(service, account);
});

vaultContract('keychain (gnome-keyring through keytar)', async () => ({
  vault: new KeytarVault({ service: `${service}-contract` }),
  accounts: async () => (await keytar.findCredentials(`${service}-contract`)).map((c) => c.account),
}));

after(async () => {
  for (const { account } of await keytar.findCredentials(`${service}-contract`)) await keytar.deletePassword(`${service}-contract`, account);
});

describe('KeytarVault with gnome-keyring', () => {
  const vault = new KeytarVault({ service });

  test('the service name comes from the option, else TOKENTRAY_KEYCHAIN_SERVICE, else tokentray', () => {
    assert.equal(vault.service, service);
    assert.equal(new KeytarVault().service, process.env.TOKENTRAY_KEYCHAIN_SERVICE || 'tokentray');
  });

  test('probe succeeds on an unlocked keychain and leaves nothing behind', async () => {
    await vault.probe();
    assert.deepEqual(await keytar.findCredentials(service), []);
  });

  test('stores, reads and deletes a secret under `${profileId}:${field}`', async () => {
    const secret = `s3cr&t+ ü ${randomBytes(8).toString('hex')}`;
    assert.equal(await vault.getSecret('alpha', 'clientSecret'), null);
    await vault.setSecret('alpha', 'clientSecret', secret);
    assert.equal(await vault.getSecret('alpha', 'clientSecret'), secret);
    assert.equal(await keytar.getPassword(service, 'alpha:clientSecret'), secret, 'the entry is in the real keychain');
    await vault.setSecret('alpha', 'clientSecret', `${secret}-2`);
    assert.equal(await vault.getSecret('alpha', 'clientSecret'), `${secret}-2`, 'overwrites');
    await vault.deleteSecret('alpha', 'clientSecret');
    assert.equal(await vault.getSecret('alpha', 'clientSecret'), null);
    await vault.deleteSecret('alpha', 'clientSecret'); // deleting nothing is fine
  });

  test('an unreadable cache entry is dropped, not served', async () => {
    await keytar.setPassword(service, 'gamma:token', '{"accessToken": 42}');
    assert.equal(await vault.getCachedToken('gamma'), null);
    assert.equal(await keytar.getPassword(service, 'gamma:token'), null);
  });

  test('deleteProfile removes every entry of that profile and nothing else', async () => {
    await vault.setSecret('delta', 'clientSecret', 'one');
    await vault.setSecret('delta', 'password', 'two');
    await vault.setCachedToken('delta', { accessToken: 't', tokenType: 'Bearer', headers: {}, obtainedAt: 1, expiresAt: 2 });
    await vault.setItem('delta:extra', 'three');
    await vault.setSecret('delta-2', 'clientSecret', 'keep'); // shares a prefix but not `delta:`
    await vault.setItem('cli:client-key', 'keep too');
    await vault.deleteProfile('delta');
    const accounts = (await keytar.findCredentials(service)).map((c) => c.account).sort();
    assert.ok(!accounts.some((a) => a.startsWith('delta:')), `left: ${accounts.join(', ')}`);
    assert.ok(accounts.includes('delta-2:clientSecret'));
    assert.equal(await vault.getItem('cli:client-key'), 'keep too');
    await vault.deleteItem('cli:client-key');
    assert.equal(await vault.getItem('cli:client-key'), null);
  });
});

describe('KeytarVault has no lock part', () => {
  test('it is not lockable, and the dashboard\'s lock verbs refuse it plainly over HTTP, changing nothing', async () => {
    assert.equal(isLockable(new KeytarVault({ service })), false, 'the OS unlocks the keychain: no passphrase, no lock');
    const h = await startHarness();
    try {
      const login = await loginDashboard(h);
      const before = await dashboardRpc<VaultInfo>(h, login, 'vault:state', []);
      assert.ok(before.result.ok);
      assert.equal(before.result.value.backend, 'keychain');
      assert.equal(before.result.value.state, 'unlocked');
      assert.equal(before.result.value.location, process.env.TOKENTRAY_KEYCHAIN_SERVICE || 'tokentray', 'the keychain says where it is');
      for (const [channel, args] of [
        ['vault:lock', []],
        ['vault:unlock', ['any passphrase']],
        ['vault:create', ['any passphrase']],
        ['vault:passphrase', [{ current: 'any passphrase', next: 'another passphrase' }]],
      ] as const) {
        const answer = await dashboardRpc<VaultInfo>(h, login, channel, [...args]);
        assert.ok(!answer.result.ok, `${channel} is refused`);
        assert.equal(answer.result.error.kind, 'usage', channel);
        assert.match(answer.result.error.message, /has no passphrase/, channel);
        assert.match(answer.result.error.hint ?? '', /file vault/, channel);
        assert.doesNotMatch(JSON.stringify(answer.result.error), /any passphrase|another passphrase/, 'no passphrase is echoed');
      }
      const after = await dashboardRpc<VaultInfo>(h, login, 'vault:state', []);
      assert.deepEqual(after.result, before.result, 'nothing changed');
      assert.equal((await h.call('GET', '/v1/profiles')).status, 200, 'the API still serves: nothing was locked');
    } finally {
      await h.close();
    }
  });
});

describe('KeytarVault without a keychain', () => {
  test('no Secret Service on the bus: every call fails with keychain_unavailable and a hint', async () => {
    // A child process, because keytar keeps its D-Bus connection for the life of the process.
    const script = `
      import { KeytarVault } from './main/node/keytar-vault.ts';
      const vault = new KeytarVault({ service: 'tokentray-no-bus' });
      const results = [];
      for (const call of [() => vault.probe(), () => vault.getSecret('p', 'clientSecret'), () => vault.setSecret('p', 'clientSecret', 'never-stored'), () => vault.getCachedToken('p'), () => vault.deleteProfile('p')]) {
        try { await call(); results.push({ ok: true }); } catch (error) { results.push({ kind: error.kind, message: error.message, hint: error.hint }); }
      }
      process.stdout.write(JSON.stringify(results));
    `;
    const env: NodeJS.ProcessEnv = { ...process.env, DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent' };
    delete env.DISPLAY;
    const output = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, env });
      let out = '';
      let err = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
      child.once('error', reject);
      child.once('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`child exited ${code}: ${err}`))));
    });
    const results = JSON.parse(output) as Array<{ ok?: boolean; kind?: string; message?: string; hint?: string }>;
    assert.equal(results.length, 5);
    for (const result of results) {
      assert.equal(result.kind, 'keychain_unavailable', JSON.stringify(result));
      assert.match(result.message ?? '', /keychain/i);
      assert.match(result.hint ?? '', /gnome-keyring|unlock/i);
      assert.ok(!JSON.stringify(result).includes('never-stored'));
    }
  });

  test('keytar failures map to keychain_unavailable with plain words, never plaintext', () => {
    const cases: Array<[string, RegExp]> = [
      ['Cannot autolaunch D-Bus without X11 $DISPLAY', /No keychain service/],
      ['Could not connect: No such file or directory', /No keychain service/],
      ['The name org.freedesktop.secrets was not provided by any .service files', /No keychain service/],
      ['Cannot create an item in a locked collection', /locked/],
      ['Something else', /not available/],
    ];
    for (const [text, message] of cases) {
      const error = keychainError(new Error(text));
      assert.ok(error instanceof TokentrayError);
      assert.equal(error.kind, 'keychain_unavailable');
      assert.match(error.message, message);
      assert.ok(error.hint);
      assert.ok(!error.message.includes(text), 'the raw library text is not the message');
    }
  });

  test('a locked keychain fails the probe (a read alone would look empty)', async () => {
    const locked: KeytarLike = {
      getPassword: async () => null,
      setPassword: async () => {
        throw new Error('Cannot create an item in a locked collection');
      },
      deletePassword: async () => false,
      findCredentials: async () => [],
    };
    await assert.rejects(new KeytarVault({ service: 'x', keytar: locked }).probe(), (error: unknown) => {
      assert.ok(error instanceof TokentrayError);
      assert.equal(error.kind, 'keychain_unavailable');
      assert.match(error.message, /locked/);
      return true;
    });
  });
});

describe('KeytarVault and a keychain that changes under it', () => {
  // What gnome-keyring answered when another process deleted entries of the same service during a
  // call (measured with two processes churning one service; the flaky `profile rm` in cli.test.ts).
  const vanished = [
    'No such interface “org.freedesktop.Secret.Item” on object at path /org/freedesktop/secrets/collection/login/114',
    'Object does not exist at path “/org/freedesktop/secrets/collection/login/132”',
    'No such secret item at path: /org/freedesktop/secrets/collection/login/11',
  ];

  test('an item that vanished mid-call is retried, boundedly, and then succeeds', async () => {
    for (const text of vanished) {
      assert.ok(isTransientKeychainError(new Error(text)), text);
      let calls = 0;
      const flaky: KeytarLike = {
        getPassword: async () => null,
        setPassword: async () => undefined,
        deletePassword: async () => true,
        findCredentials: async () => {
          calls += 1;
          if (calls < 3) throw new Error(text);
          return [{ account: 'p:clientSecret', password: 'x' }];
        },
      };
      await new KeytarVault({ service: 'x', keytar: flaky, retryDelaysMs: [1, 1, 1] }).deleteProfile('p');
      assert.equal(calls, 3, 'two failures, then the answer');
    }
  });

  test('a keychain that keeps changing fails after the bounded retries, in plain words', async () => {
    let calls = 0;
    const churning: KeytarLike = {
      getPassword: async () => {
        calls += 1;
        throw new Error(vanished[0]);
      },
      setPassword: async () => undefined,
      deletePassword: async () => true,
      findCredentials: async () => [],
    };
    await assert.rejects(new KeytarVault({ service: 'x', keytar: churning, retryDelaysMs: [1, 1] }).getSecret('p', 'clientSecret'), (error: unknown) => {
      assert.ok(error instanceof TokentrayError);
      assert.equal(error.kind, 'keychain_unavailable');
      assert.match(error.message, /kept changing/);
      assert.ok(!error.message.includes('/org/freedesktop'), 'the raw library text is not the message');
      return true;
    });
    assert.equal(calls, 3, 'one try and two retries');
  });

  test('errors that are not transient are not retried', async () => {
    let calls = 0;
    const locked: KeytarLike = {
      getPassword: async () => null,
      setPassword: async () => {
        calls += 1;
        throw new Error('Cannot create an item in a locked collection');
      },
      deletePassword: async () => false,
      findCredentials: async () => [],
    };
    await assert.rejects(new KeytarVault({ service: 'x', keytar: locked, retryDelaysMs: [1, 1] }).setSecret('p', 'clientSecret', 'v'));
    assert.equal(calls, 1);
  });
});
