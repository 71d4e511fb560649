// One client-key service behind the dashboard's RPC and the CLI: the same rules and words
// at both doors, and every key added or revoked lands in the running app's activity log once, whether
// the dashboard did it or `tokentray clients add` in another process (before, only the RPC logged).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ActivityEntry } from '../../common/contract.js';
import { dispatchRpc } from '../../main/core/rpc.js';
import { runCli } from '../support/cli.js';
import { startHarness, type Harness } from './api-harness.js';
import { untilTrue } from '../support/poll.js';

describe('client keys through every door', () => {
  let h: Harness;
  let configDir: string;
  before(async () => {
    h = await startHarness();
    configDir = join(h.dir, 'config');
    await h.addProfile('redpanda', 'rp');
  });
  after(async () => {
    await h.close();
  });

  const keyEntries = (name: string): ActivityEntry[] =>
    h.core.engine.activity().filter((e) => (e.kind === 'client-added' || e.kind === 'client-removed') && e.client === name);

  // conf follows another process's writes with fs.watchFile, which polls every 5 s on Linux.
  const eventually = (check: () => boolean, what: string): Promise<void> => untilTrue(what, check, { timeoutMs: 20_000 });

  test('a key added and revoked by the CLI in another process is logged by the running app, once each', async () => {
    const added = await runCli(['clients', 'add', 'from-cli', '--profiles', 'rp', '--config-dir', configDir]);
    assert.equal(added.code, 0, added.stderr);
    await eventually(() => keyEntries('from-cli').length === 1, 'client-added from the CLI');
    assert.deepEqual(keyEntries('from-cli').map((e) => e.kind), ['client-added']);

    const removed = await runCli(['clients', 'rm', 'from-cli', '--config-dir', configDir]);
    assert.equal(removed.code, 0, removed.stderr);
    await eventually(() => keyEntries('from-cli').length === 2, 'client-removed from the CLI');
    assert.deepEqual(keyEntries('from-cli').map((e) => e.kind), ['client-added', 'client-removed']);
  });

  test('a key added and revoked by the dashboard is logged once each, not twice', async () => {
    const added = await dispatchRpc(h.core.rpc, 'clients:add', [{ name: 'from-rpc', profiles: null }]);
    assert.ok(added.ok);
    const removed = await dispatchRpc(h.core.rpc, 'clients:remove', ['from-rpc']);
    assert.deepEqual(removed, { ok: true, value: { removed: true } });
    // Give a late duplicate (the file watcher after the direct notification) the time to show up.
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.deepEqual(keyEntries('from-rpc').map((e) => e.kind), ['client-added', 'client-removed']);
  });

  test('the RPC and the CLI refuse the same keys with the same words', async () => {
    const existing = await dispatchRpc(h.core.rpc, 'clients:add', [{ name: 'taken', profiles: null }]);
    assert.ok(existing.ok);
    const cases: Array<{ what: string; name: string; profiles: string[] | null; cliArgs: string[]; exit: number }> = [
      { what: 'a name in use', name: 'taken', profiles: null, cliArgs: ['taken'], exit: 2 },
      { what: 'a profile that does not exist', name: 'typo', profiles: ['rp', 'nope'], cliArgs: ['typo', '--profiles', 'rp,nope'], exit: 3 },
    ];
    for (const c of cases) {
      const viaRpc = await dispatchRpc(h.core.rpc, 'clients:add', [{ name: c.name, profiles: c.profiles }]);
      assert.ok(!viaRpc.ok, c.what);
      const viaCli = await runCli(['clients', 'add', ...c.cliArgs, '--config-dir', configDir]);
      assert.equal(viaCli.code, c.exit, `${c.what}: ${viaCli.stderr}`);
      assert.ok(viaCli.stderr.includes(viaRpc.error.message), `${c.what}: ${viaCli.stderr} vs ${viaRpc.error.message}`);
      assert.ok(viaRpc.error.hint !== undefined && viaCli.stderr.includes(viaRpc.error.hint), `${c.what}: the same hint`);
    }
    const names = h.store.listClients().map((c) => c.name);
    assert.ok(!names.includes('typo'), 'a refused key is not stored');
  });
});
