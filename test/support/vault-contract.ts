// One contract for every Vault backend: the keychain through keytar and the
// encrypted file each run it against the real thing, so the engine, CLI and API can rely on the same
// behaviour whichever backend a machine has.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import type { Token, Vault } from '../../main/core/types.js';

export interface VaultUnderTest {
  vault: Vault;
  /** Every account the backend holds, read behind the vault's back (keytar directly, or a fresh instance). */
  accounts(): Promise<string[]>;
}

export function vaultContract(name: string, open: () => Promise<VaultUnderTest>): void {
  describe(`Vault contract: ${name}`, () => {
    test('secrets round-trip per profile and field, are overwritten, and deleting nothing is fine', async () => {
      const { vault } = await open();
      const secret = `s3cr&t+ ü ${randomBytes(8).toString('hex')}`;
      assert.equal(await vault.getSecret('alpha', 'clientSecret'), null);
      await vault.setSecret('alpha', 'clientSecret', secret);
      await vault.setSecret('alpha', 'password', 'other field');
      assert.equal(await vault.getSecret('alpha', 'clientSecret'), secret);
      assert.equal(await vault.getSecret('alpha', 'password'), 'other field');
      assert.equal(await vault.getSecret('alpha-2', 'clientSecret'), null, 'a profile sharing a prefix sees nothing');
      await vault.setSecret('alpha', 'clientSecret', `${secret}-2`);
      assert.equal(await vault.getSecret('alpha', 'clientSecret'), `${secret}-2`);
      await vault.deleteSecret('alpha', 'clientSecret');
      assert.equal(await vault.getSecret('alpha', 'clientSecret'), null);
      await vault.deleteSecret('alpha', 'clientSecret');
      assert.equal(await vault.getSecret('alpha', 'password'), 'other field', 'the other field stays');
    });

    test('the cached token round-trips, a never-expiring one keeps expiresAt null, and null clears it', async () => {
      const under = await open();
      const { vault } = under;
      const token: Token = {
        accessToken: `eyJ.${randomBytes(16).toString('hex')}`,
        tokenType: 'Bearer',
        headers: { Authorization: 'Bearer x' },
        obtainedAt: 1_700_000_000_000,
        expiresAt: 1_700_000_300_000,
        scope: 'organization:1234',
      };
      assert.equal(await vault.getCachedToken('beta'), null);
      await vault.setCachedToken('beta', token);
      assert.deepEqual(await vault.getCachedToken('beta'), token);
      const basic: Token = { accessToken: 'abc', tokenType: 'Basic', headers: { Authorization: 'Basic abc' }, obtainedAt: 1, expiresAt: null };
      await vault.setCachedToken('beta', basic);
      assert.deepEqual(await vault.getCachedToken('beta'), basic);
      await vault.setCachedToken('beta', null);
      assert.equal(await vault.getCachedToken('beta'), null);
      assert.ok(!(await under.accounts()).includes('beta:token'), 'a cleared token leaves no entry behind');
    });

    test('an unreadable cached token is dropped, not served', async () => {
      const under = await open();
      await under.vault.setItem('gamma:token', '{"accessToken": 42}');
      assert.equal(await under.vault.getCachedToken('gamma'), null);
      assert.ok(!(await under.accounts()).includes('gamma:token'), 'the entry is gone');
    });

    test('deleteProfile removes every entry of that profile and nothing else', async () => {
      const under = await open();
      const { vault } = under;
      await vault.setSecret('delta', 'clientSecret', 'one');
      await vault.setSecret('delta', 'password', 'two');
      await vault.setCachedToken('delta', { accessToken: 't', tokenType: 'Bearer', headers: {}, obtainedAt: 1, expiresAt: 2 });
      await vault.setItem('delta:extra', 'three');
      await vault.setSecret('delta-2', 'clientSecret', 'keep');
      await vault.setItem('cli:client-key', 'keep too');
      await vault.deleteProfile('delta');
      const accounts = await under.accounts();
      assert.ok(!accounts.some((a) => a.startsWith('delta:')), `left: ${accounts.join(', ')}`);
      assert.ok(accounts.includes('delta-2:clientSecret'));
      assert.equal(await vault.getItem('cli:client-key'), 'keep too');
      await vault.deleteItem('cli:client-key');
      assert.equal(await vault.getItem('cli:client-key'), null);
    });

    test('many writes at once all land (the engine caches every token at start)', async () => {
      const under = await open();
      const ids = Array.from({ length: 40 }, (_, i) => `many-${i}`);
      await Promise.all(ids.map((id, i) => under.vault.setSecret(id, 'clientSecret', `value-${i}`)));
      const accounts = await under.accounts();
      for (const id of ids) assert.ok(accounts.includes(`${id}:clientSecret`), id);
      assert.deepEqual(
        await Promise.all(ids.map((id) => under.vault.getSecret(id, 'clientSecret'))),
        ids.map((_, i) => `value-${i}`),
      );
      await Promise.all(ids.map((id) => under.vault.deleteProfile(id)));
      assert.ok(!(await under.accounts()).some((a) => a.startsWith('many-')));
    });
  });
}
