// The token files as the app keeps them (createCore with the node ports): the real config.json, the
// real engine refreshing against a local token endpoint, real files and real hook processes. A hung
// endpoint makes the file disappear at expiry and come back after; hooks run once per change, their
// output never shows the token, and a hook that fails or hangs never costs a token request.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { ActivityEntry, SinkConfig } from '../../common/contract.js';
import { createCore, type Core } from '../../main/core/app-core.js';
import type { ConfBackedStore } from '../../main/core/storage/config-store.js';
import type { SinkKeeperOptions } from '../../main/core/sinks/sink-keeper.js';
import { openFileStore } from '../../main/node/file-store.js';
import { nodeSinkPorts } from '../../main/node/sink-hooks.js';
import { MemoryVault } from '../support/memory-vault.js';
import { startProviderServer, type ProviderServer } from '../support/servers/index.js';
import { makeTempDir, removeTempDir } from '../support/temp-dir.js';
import { until } from '../support/poll.js';

interface World {
  dir: string;
  store: ConfBackedStore;
  server: ProviderServer;
  core: Core;
  close(): Promise<void>;
}

async function world(lifetimeSec: number, sinkOptions: Partial<SinkKeeperOptions> = {}): Promise<World> {
  const dir = await makeTempDir('tokentray-keeper-');
  const server = await startProviderServer('oauth2', { lifetimeSec });
  const { store } = openFileStore(join(dir, 'config'));
  const core = await createCore({ store, vault: new MemoryVault(), version: 'test', sinks: nodeSinkPorts(), sinkOptions });
  await core.start(0);
  await core.engine.upsertProfile(server.profile({ id: 'svc', timeoutMs: 1_000 }), server.secrets());
  return {
    dir,
    store,
    server,
    core,
    async close() {
      await core.stop();
      store.close();
      await server.close();
      await removeTempDir(dir);
    },
  };
}

// The app's own store, as the dashboard or a change noticed in config.json would write it. (A second
// store on the same file may not be closed here: conf's close unwatches the file for the whole process.)
function addSink(w: World, sink: Partial<SinkConfig> & { path: string }): void {
  w.store.putSink({ profileId: 'svc', format: 'raw', mode: '0600', ...sink });
}

async function contentOf(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

function entries(w: World, kind: ActivityEntry['kind']): ActivityEntry[] {
  return w.core.engine.activity().filter((entry) => entry.kind === kind);
}

describe('the sink keeper', () => {
  let w: World | undefined;
  beforeEach(() => {
    w = undefined;
  });
  afterEach(async () => {
    await w?.close();
  });

  test('a hung token endpoint makes the file disappear when the token expires, and a recovery writes it again', async () => {
    w = await world(4);
    const path = join(w.dir, 'token');
    addSink(w, { path });
    const first = await until('the first write', () => contentOf(path));
    assert.equal(first, w.server.issued.at(-1)?.accessToken);
    w.server.setMode('hang');
    // While the file is there it holds a token that is still valid; then it goes.
    await until('the file to go', async () => {
      const content = await contentOf(path);
      if (content === undefined) return true;
      const issued = w!.server.issued.find((t) => t.accessToken === content);
      assert.ok(issued !== undefined && issued.expiresAt > Date.now(), 'the file held an expired or unknown token');
      return undefined;
    });
    const removed = await until('the removal in the activity log', () => entries(w!, 'sink-removed').at(-1));
    assert.match(removed.detail ?? '', /the token expired/);
    // As /v1/profiles and the dashboard show it.
    const shown = (await w.core.rpc['profiles:list']()).find((p) => p.id === 'svc')?.sinks?.[0];
    assert.equal(shown?.present, false);
    assert.match(shown?.reason ?? '', /the token expired/);

    w.server.setMode('ok');
    const back = await until('the file to come back', () => contentOf(path));
    assert.equal(back, w.server.issued.at(-1)?.accessToken);
    assert.notEqual(back, first);
    assert.equal(((await stat(path)).mode & 0o777), 0o600);
    const listed = await w.core.rpc['profiles:list']();
    assert.equal(listed.find((p) => p.id === 'svc')?.sinks?.[0]?.present, true);
  });

  test('a hook runs after a change, without a shell, and its output never shows the token', async () => {
    w = await world(3600);
    const path = join(w.dir, 'token');
    const copy = join(w.dir, 'copy');
    addSink(w, { path, onChange: ['cp', path, copy] });
    const second = join(w.dir, 'env');
    addSink(w, { path: second, format: 'env', onChange: ['cat', path] });
    await until('the copy', () => contentOf(copy));
    assert.equal(await readFile(copy, 'utf8'), await readFile(path, 'utf8'));
    const ran = await until('the cat hook', () => entries(w!, 'hook-ran').find((e) => e.detail?.startsWith('cat')));
    assert.match(ran.detail ?? '', /exit 0: \[token\]/);
    for (const entry of w.core.engine.activity()) assert.ok(!JSON.stringify(entry).includes(await readFile(path, 'utf8')), 'a token in the activity log');

    // A refresh changes both files: each hook runs once more.
    const before = entries(w, 'hook-ran').length;
    await w.core.engine.refresh('svc');
    await until('the copy of the new token', async () => ((await contentOf(copy)) === w!.server.issued.at(-1)?.accessToken ? true : undefined));
    await until('two more hook runs', () => (entries(w!, 'hook-ran').length >= before + 2 ? true : undefined));
  });

  test('a failing hook is retried with back-off and never causes a token request', async () => {
    w = await world(3600, { hookBackoffBaseMs: 50, hookBackoffMaxMs: 200 });
    addSink(w, { path: join(w.dir, 'token'), onChange: ['false'] });
    await until('four failures', () => (entries(w!, 'hook-failed').length >= 4 ? true : undefined));
    assert.match(entries(w, 'hook-failed')[0]?.detail ?? '', /^false: exit 1/);
    // Each retry waits at least the back-off's base (a busy machine only makes the wait longer):
    // without the back-off a failing hook would run again at once, over and over.
    const times = entries(w, 'hook-failed').map((entry) => Date.parse(entry.at));
    for (let i = 1; i < times.length; i += 1) assert.ok((times[i] as number) - (times[i - 1] as number) >= 45, `retry ${i} came without a back-off`);
    assert.equal(w.server.tokenRequestCount(), 1);
    const listed = await w.core.rpc['profiles:list']();
    assert.match(listed[0]?.sinks?.[0]?.hook ?? '', /^failed \(\d+\): exit 1/);
  });

  test('a hook that hangs past its timeout is stopped, retried, and never causes a token request', async () => {
    w = await world(3600, { hookTimeoutMs: 300, hookBackoffBaseMs: 50, hookBackoffMaxMs: 200 });
    addSink(w, { path: join(w.dir, 'token'), onChange: ['sleep', '30'] });
    await until('three stopped runs', () => (entries(w!, 'hook-failed').length >= 3 ? true : undefined));
    assert.match(entries(w, 'hook-failed')[0]?.detail ?? '', /stopped after 0.3 s without finishing/);
    assert.equal(w.server.tokenRequestCount(), 1);
  });

  test('--signal sends the signal to the pid in the pid file after the file changed', async () => {
    w = await world(3600);
    const log = join(w.dir, 'signals');
    const child = spawn(process.execPath, ['-e', `process.on('SIGUSR2', () => require('fs').appendFileSync(${JSON.stringify(log)}, 'usr2\\n')); console.log('ready'); setInterval(() => {}, 1000);`], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await once(child.stdout, 'data');
      const pidFile = join(w.dir, 'app.pid');
      await writeFile(pidFile, `${child.pid}\n`);
      addSink(w, { path: join(w.dir, 'token'), signal: 'SIGUSR2', pidFile });
      await until('the first signal', () => contentOf(log));
      await w.core.engine.refresh('svc');
      await until('the second signal', async () => ((await contentOf(log)) === 'usr2\nusr2\n' ? true : undefined));
      assert.match(entries(w, 'hook-ran').at(-1)?.detail ?? '', new RegExp(`sent SIGUSR2 to pid ${child.pid}`));
    } finally {
      child.kill('SIGKILL');
    }
  });

  test('stopping removes the files, and removing a sink removes its file', async () => {
    w = await world(3600);
    const kept = join(w.dir, 'kept');
    const dropped = join(w.dir, 'dropped');
    addSink(w, { path: kept });
    addSink(w, { path: dropped, format: 'json' });
    await until('both files', async () => ((await contentOf(kept)) !== undefined && (await contentOf(dropped)) !== undefined ? true : undefined));
    w.store.removeSink('svc', dropped);
    await until('the dropped file to go', async () => ((await contentOf(dropped)) === undefined ? true : undefined));
    assert.notEqual(await contentOf(kept), undefined);
    await w.core.stop();
    assert.equal(await contentOf(kept), undefined);
  });
});
