// Revocation is immediate across processes: with `tokentray serve` running, a key with an open event
// stream is removed by `tokentray clients rm` (a real CLI process, which goes through the app's
// socket), and the very first request with that key after the CLI has exited is refused, round after
// round, while busy-loop processes keep both cores loaded. A writer that bypasses the app (another
// process writing config.json itself) is noticed at the next request too: the server stats the store
// file on every key check and re-reads it only when it changed.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ClientKeyService } from '../../main/core/clients/client-key-service.js';
import { systemClock } from '../../main/core/clock.js';
import { openFileStore } from '../../main/node/file-store.js';
import { runCli } from '../support/cli.js';
import { startServe, stopServe, type Served } from '../support/serve-process.js';
import { startProviderServer, type ProviderServer } from '../support/servers/index.js';
import { openEvents, type EventStream } from './api-harness.js';
import { makeTempDir, removeTempDir } from '../support/temp-dir.js';
import { httpRequest } from '../support/http.js';

const ROUNDS = Number(process.env.TOKENTRAY_TEST_REVOKE_ROUNDS ?? 20);

async function status(port: number, key: string): Promise<number> {
  return (await httpRequest(port, '/v1/profiles', { headers: { Authorization: `Bearer ${key}` } })).status;
}

/** A stream the revocation did not end fails here, not at the runner's timeout. */
function endOf(stream: EventStream): Promise<number> {
  return Promise.race([
    stream.ended,
    new Promise<number>((_, fail) => setTimeout(() => fail(new Error('the revoked key\'s stream is still open after 10 s')), 10_000).unref()),
  ]);
}

describe('a revoked key works nowhere once the removal has returned', () => {
  let dir: string;
  let configDir: string;
  let provider: ProviderServer;
  let served: Served;
  const busy: ChildProcess[] = [];
  const env: NodeJS.ProcessEnv = {};

  /** A key written into the store by this process, as any other writer would. */
  const addKey = (name: string): string => {
    const { store } = openFileStore(configDir);
    try {
      return new ClientKeyService({ store, clock: systemClock }).add(name, null).key;
    } finally {
      store.close();
    }
  };

  before(async () => {
    dir = await makeTempDir('tokentray-revoke-');
    configDir = join(dir, 'config');
    env.XDG_RUNTIME_DIR = dir;
    provider = await startProviderServer('redpanda');
    const profile = provider.profile({ id: 'rp' });
    const added = await runCli(
      ['profile', 'add', 'rp', '--provider', 'redpanda', '--client-id', String(profile.clientId), '--token-url', String(profile.tokenUrl), '--secret-stdin', '--config-dir', configDir],
      { stdin: provider.credentials.clientSecret, env },
    );
    assert.equal(added.code, 0, added.stderr);
    served = await startServe(configDir, '0', env);
    // Both cores busy for the whole test: the timing of a loaded machine, where a watch or a poll lags.
    for (let i = 0; i < 2; i += 1) busy.push(spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
  });

  after(async () => {
    for (const child of busy) child.kill('SIGKILL');
    await stopServe(served);
    await provider?.close();
    await removeTempDir(dir);
  });

  test(`\`tokentray clients rm\` with an open stream, ${ROUNDS} rounds under load: the next request is 401 every time`, async () => {
    const late: number[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      const name = `doomed-${round}`;
      const key = addKey(name);
      assert.equal(await status(served.port, key), 200, `round ${round}: the new key works`);
      const stream = await openEvents(served.port, { Authorization: `Bearer ${key}` });
      assert.equal(stream.status, 200);
      // The key stays in use while the CLI runs, as a busy client's would: the server's view of it is
      // always fresh, so only a removal the server knows of can refuse the next request.
      let removing = true;
      const inUse = (async () => {
        while (removing) await status(served.port, key);
      })();
      const removed = await runCli(['clients', 'rm', name, '--config-dir', configDir], { env });
      removing = false;
      assert.equal(removed.code, 0, removed.stderr);
      if ((await status(served.port, key)) !== 401) late.push(round);
      await inUse;
      await endOf(stream);
    }
    assert.deepEqual(late, [], `rounds whose first request after \`clients rm\` was still let in: ${late.join(', ')}`);
  });

  test(`a writer that bypasses the app, ${ROUNDS} rounds under load: the next request is 401 every time`, async () => {
    const late: number[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      const name = `bypassed-${round}`;
      const key = addKey(name);
      // Opened first, so the write below follows the last request within milliseconds.
      const { store } = openFileStore(configDir);
      assert.equal(await status(served.port, key), 200, `round ${round}: the new key works`);
      try {
        assert.ok(store.removeClient(name));
      } finally {
        store.close();
      }
      if ((await status(served.port, key)) !== 401) late.push(round);
    }
    assert.deepEqual(late, [], `rounds whose first request after the write was still let in: ${late.join(', ')}`);
  });
});
