// One profile service behind every door: a profile saved through the dashboard's RPC and
// through the CLI meets the same rules and the same words, and a save that fails on the way leaves the
// keychain and the store as they were (only the CLI rolled back before).
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { ProfileConfig } from '../../common/contract.js';
import { ProfileService } from '../../main/core/engine/profile-service.js';
import { TokentrayError } from '../../main/core/errors.js';
import { dispatchRpc, createRpcHandlers } from '../../main/core/rpc.js';
import { removeTempConfigDirs, runCli, tempConfigDir } from '../support/cli.js';
import { acquiaProfile, createHarness } from '../support/engine-harness.js';
import { FakeClock } from '../support/fake-clock.js';
import { MemoryStore } from '../support/memory-store.js';
import { MemoryVault } from '../support/memory-vault.js';

after(removeTempConfigDirs);

/** A store whose next profile write fails, like a full disk. */
class FailingStore extends MemoryStore {
  failNextPut = false;
  override putProfile(profile: ProfileConfig): void {
    if (this.failNextPut) {
      this.failNextPut = false;
      throw new TokentrayError('config', 'The config file could not be written.');
    }
    super.putProfile(profile);
  }
}

/** The message lines that name fields, as both doors print them. */
function fieldLines(message: string): string[] {
  return message
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => /^[a-zA-Z]+: /.test(line) && !line.startsWith('hint:') && !line.startsWith('tokentray:'));
}

describe('profile service', () => {
  // Shapes (a URL that is no URL) are refused by each transport's own schema first; the provider's
  // rules and everything after them are the service's, the same at every door.
  test('the RPC and the CLI refuse the same invalid profile with the same field messages and save nothing', async () => {
    const { engine, store } = await createHarness({ profiles: [] });
    const rpc = createRpcHandlers({ engine, store, clock: new FakeClock() });
    const cases: Array<{ profile: Record<string, unknown>; args: string[] }> = [
      { profile: { id: 'p3', name: 'p3', provider: 'redpanda' }, args: ['p3', '--provider', 'redpanda'] },
      { profile: { id: 'p2', name: 'p2', provider: 'oauth2', clientId: 'a' }, args: ['p2', '--provider', 'oauth2', '--client-id', 'a'] },
    ];
    const configDir = await tempConfigDir();
    for (const c of cases) {
      const viaRpc = await dispatchRpc(rpc, 'profiles:save', [{ profile: c.profile, secrets: { clientSecret: 'fake' } }]);
      assert.equal(viaRpc.ok, false);
      const rpcError = viaRpc.ok ? undefined : viaRpc.error;
      assert.equal(rpcError?.kind, 'config');
      assert.match(rpcError?.hint ?? '', /Nothing was saved/);
      const viaCli = await runCli(['profile', 'add', ...c.args, '--config-dir', configDir, '--secret-stdin'], { stdin: 'fake\n' });
      assert.equal(viaCli.code, 2, viaCli.stderr);
      assert.match(viaCli.stderr, /Nothing was saved/);
      const expected = fieldLines(rpcError?.message ?? '');
      assert.ok(expected.length > 0, rpcError?.message);
      assert.deepEqual(fieldLines(viaCli.stderr.replace(/^tokentray: /m, '')), expected, viaCli.stderr);
    }
    assert.deepEqual(store.listProfiles(), []);
    const listed = await runCli(['profile', 'list', '--json', '--config-dir', configDir]);
    assert.deepEqual(JSON.parse(listed.stdout), []);
    await engine.stop();
  });

  test('a new profile needs its secret at every door, and an existing id is refused by create (the CLI)', async () => {
    const { engine, store, vault } = await createHarness({ profiles: [] });
    const rpc = createRpcHandlers({ engine, store, clock: new FakeClock() });
    // A secret left in the keychain by an earlier profile of that id is not this profile's secret.
    await vault.setSecret('new', 'clientSecret', 'left over');
    const noSecret = await dispatchRpc(rpc, 'profiles:save', [{ profile: acquiaProfile('new'), secrets: {} }]);
    assert.equal(noSecret.ok, false);
    assert.match(noSecret.ok ? '' : noSecret.error.message, /clientSecret: API secret is required for Acquia/);
    const service = new ProfileService({ store, vault, clock: new FakeClock() });
    await assert.rejects(service.save(acquiaProfile('new'), {}, 'create'), /API secret is required for Acquia/);
    const saved = await dispatchRpc(rpc, 'profiles:save', [{ profile: acquiaProfile('new'), secrets: { clientSecret: 'fake' } }]);
    assert.equal(saved.ok, true);
    assert.equal(await vault.getSecret('new', 'clientSecret'), 'fake');
    await assert.rejects(service.save(acquiaProfile('new'), { clientSecret: 'other' }, 'create'), (error: unknown) => {
      assert.ok(error instanceof TokentrayError);
      assert.equal(error.kind, 'usage');
      assert.match(error.message, /already exists/);
      return true;
    });
    assert.throws(() => service.check(acquiaProfile('new'), 'create'), /already exists/);
    assert.equal(await vault.getSecret('new', 'clientSecret'), 'fake', 'the refused create changed nothing');
    await engine.stop();
  });

  test("the dashboard's Add (profiles:save with mode create) refuses a taken id on the id field, and changes nothing", async () => {
    const { engine, store, vault } = await createHarness({ profiles: [] });
    await engine.start();
    const rpc = createRpcHandlers({ engine, store, clock: new FakeClock() });
    const first = await dispatchRpc(rpc, 'profiles:save', [{ profile: acquiaProfile('taken'), secrets: { clientSecret: 'first' }, mode: 'create' }]);
    assert.equal(first.ok, true);
    await vault.setCachedToken('taken', { accessToken: 'cached', tokenType: 'Bearer', expiresAt: Date.now() + 600_000, obtainedAt: Date.now(), headers: { Authorization: 'Bearer cached' } });
    const stored = store.getProfile('taken');
    const again = await dispatchRpc(rpc, 'profiles:save', [{ profile: acquiaProfile('taken', { name: 'Other', clientId: 'other' }), secrets: { clientSecret: 'second' }, mode: 'create' }]);
    assert.equal(again.ok, false);
    const error = again.ok ? undefined : again.error;
    assert.equal(error?.kind, 'usage');
    assert.equal(error?.field, 'id');
    assert.match(error?.message ?? '', /^A profile with this id already exists: "taken"\.$/);
    assert.deepEqual(store.getProfile('taken'), stored);
    assert.equal(await vault.getSecret('taken', 'clientSecret'), 'first');
    assert.equal((await vault.getCachedToken('taken'))?.accessToken, 'cached');
    // Edit (no mode) is the one that replaces.
    const edited = await dispatchRpc(rpc, 'profiles:save', [{ profile: acquiaProfile('taken', { name: 'Edited' }), secrets: {} }]);
    assert.equal(edited.ok, true);
    assert.equal(store.getProfile('taken')?.name, 'Edited');
    await engine.stop();
  });

  test('a failed store write rolls the keychain back: a new profile leaves no secret, an edit keeps the old one', async () => {
    const store = new FailingStore();
    const vault = new MemoryVault();
    const service = new ProfileService({ store, vault, clock: new FakeClock() });

    store.failNextPut = true;
    await assert.rejects(service.save(acquiaProfile('fresh'), { clientSecret: 'new secret' }, 'create'), /could not be written/);
    assert.equal(await vault.getSecret('fresh', 'clientSecret'), null, 'no orphaned secret');
    assert.equal(store.getProfile('fresh'), undefined);

    await service.save(acquiaProfile('edit'), { clientSecret: 'first secret' }, 'save');
    store.failNextPut = true;
    await assert.rejects(service.save(acquiaProfile('edit', { name: 'Renamed' }), { clientSecret: 'second secret' }, 'save'), /could not be written/);
    assert.equal(await vault.getSecret('edit', 'clientSecret'), 'first secret', 'the old secret is back');
    assert.equal(store.getProfile('edit')?.name, 'Acquia edit');

    // A locked keychain stops the save before anything is written.
    vault.locked = true;
    await assert.rejects(service.save(acquiaProfile('locked'), { clientSecret: 'x' }, 'create'), (error: unknown) => error instanceof TokentrayError && error.kind === 'keychain_unavailable');
    vault.locked = false;
    assert.equal(store.getProfile('locked'), undefined);
  });

  test('the engine undoes its own view of a save the store refused', async () => {
    const { engine, vault } = await createHarness({ profiles: [] });
    await engine.start();
    // Reach the harness store through a failing one: a fresh harness with FailingStore is not offered,
    // so the engine's save is made to fail at the keychain instead, before anything is applied.
    vault.locked = true;
    await assert.rejects(engine.upsertProfile(acquiaProfile('x'), { clientSecret: 'fake' }), /keychain/i);
    vault.locked = false;
    assert.equal(engine.status('x'), undefined);
    assert.equal(engine.activity().some((e) => e.profileId === 'x'), false, 'nothing was recorded');
    await engine.stop();
  });

  test('a test of an invalid profile through the RPC is a failed test with the field messages of a save, and nothing is sent', async () => {
    const { engine, store, endpoint } = await createHarness({ profiles: [] });
    const rpc = createRpcHandlers({ engine, store, clock: new FakeClock() });
    const invalid = { id: 'p2', name: 'p2', provider: 'oauth2', clientId: 'a' };
    const tested = await dispatchRpc(rpc, 'profiles:test', [{ profile: invalid, secrets: { clientSecret: 'fake' } }]);
    assert.ok(tested.ok, 'the call itself succeeds: the test failed');
    const outcome = tested.value as { ok: boolean; error?: { kind: string; message: string; hint?: string } };
    assert.equal(outcome.ok, false);
    assert.equal(outcome.error?.kind, 'config');
    assert.match(outcome.error?.hint ?? '', /test again/);
    const saved = await dispatchRpc(rpc, 'profiles:save', [{ profile: invalid, secrets: { clientSecret: 'fake' } }]);
    assert.ok(!saved.ok);
    assert.deepEqual(fieldLines(outcome.error?.message ?? ''), fieldLines(saved.error.message));
    assert.equal(endpoint.requests.length, 0, 'no token request for an invalid profile');
  });
});
