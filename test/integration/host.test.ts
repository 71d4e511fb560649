// The one host lifecycle (main/node/host.ts) the tray app and `tokentray serve` both run, with its
// named policies each way: a busy port (fall back or exit), a refused local socket (warn or exit), a
// broken config.json (continue or exit), and the resume events that re-evaluate every profile. Real
// ports, a real symlink, a real file vault and store, a local provider server; no Electron (the tray
// passes its powerMonitor as one more event source, here an EventEmitter).
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createLogger } from '../../main/core/logger.js';
import { isTokentrayError, type TokentrayError } from '../../main/core/errors.js';
import { vaultStateOf } from '../../main/core/storage/vault-control.js';
import { exitCodeOf } from '../../main/node/cli/output.js';
import { openFileStore } from '../../main/node/file-store.js';
import { openHost, type HostOptions } from '../../main/node/host.js';
import { FakeClock } from '../support/fake-clock.js';
import { startProviderServer, type ProviderServer } from '../support/servers/index.js';
import { makeTempDir, removeTempDir } from '../support/temp-dir.js';
import { untilTrue } from '../support/poll.js';

const PASS = 'correct horse battery staple for the host test';

let root: string;
before(async () => {
  root = await makeTempDir('tokentray-host-');
});
after(async () => {
  await removeTempDir(root);
});

let dirs = 0;
/** A config directory of its own, a socket path beside it, and what the host said and warned. */
async function setup(overrides: Partial<HostOptions> = {}) {
  dirs += 1;
  const configDir = join(root, `config-${dirs}`);
  await mkdir(configDir, { recursive: true });
  const said: string[] = [];
  const warnings: string[] = [];
  const options: HostOptions = {
    mode: 'headless',
    configDir,
    version: '0.0.0-test',
    env: { TOKENTRAY_VAULT_PASSPHRASE: PASS, TOKENTRAY_SOCKET: join(root, `api-${dirs}.sock`) },
    openStore: () => openFileStore(configDir),
    vaultFlag: 'file',
    port: 0,
    busyPort: 'exit',
    refusedSocket: 'exit',
    brokenConfig: 'exit',
    logger: createLogger({ scope: 'host-test', level: 'warn', write: (line) => warnings.push(line) }),
    say: (line) => said.push(line),
    ...overrides,
  };
  return { configDir, options, said, warnings };
}

async function refusal(work: Promise<unknown>): Promise<TokentrayError> {
  const error = await work.then(
    () => assert.fail('the host started'),
    (caught: unknown) => caught,
  );
  assert.ok(isTokentrayError(error), String(error));
  return error;
}

function listening(): Promise<{ server: Server; port: number }> {
  return new Promise((done) => {
    const server = createServer().listen(0, '127.0.0.1', () => done({ server, port: (server.address() as { port: number }).port }));
  });
}

async function runtimeOf(configDir: string): Promise<{ port: number; socket?: string; mode: string }> {
  return JSON.parse(await readFile(join(configDir, 'runtime.json'), 'utf8')) as { port: number; socket?: string; mode: string };
}

describe('the host lifecycle', () => {
  test('start: the vault said and opened, runtime.json with port and socket; stop undoes it all', async () => {
    const { configDir, options, said } = await setup();
    const host = await openHost(options);
    assert.match(said.join('\n'), /vault: the encrypted file/);
    assert.equal(vaultStateOf(host.vault), 'unlocked', 'the passphrase from the environment opened (created) it');
    const started = await host.start();
    const runtime = await runtimeOf(configDir);
    assert.equal(runtime.port, started.port);
    assert.equal(runtime.socket, started.socket);
    assert.equal(runtime.mode, 'headless');
    assert.ok(started.socket !== null && existsSync(started.socket));
    await host.stop();
    assert.ok(!existsSync(join(configDir, 'runtime.json')));
    assert.ok(!existsSync(started.socket));
    // The port is free again and the vault closed: a second host starts on the same directory.
    const again = await openHost({ ...options, port: started.port });
    assert.equal((await again.start()).port, started.port);
    await again.stop();
  });

  test("busy port 'exit': the CLI's exit 1 with the port and a hint, and nothing left behind", async () => {
    const busy = await listening();
    try {
      const { configDir, options } = await setup({ port: busy.port });
      const host = await openHost(options);
      const error = await refusal(host.start());
      assert.equal(error.message, `Port ${busy.port} on 127.0.0.1 is already in use.`);
      assert.match(error.hint ?? '', /--port/);
      assert.equal(exitCodeOf(error.kind), 1);
      assert.ok(!existsSync(join(configDir, 'runtime.json')));
      assert.ok(!existsSync(options.env.TOKENTRAY_SOCKET as string), 'the socket was not left behind');
    } finally {
      busy.server.close();
    }
  });

  test("busy port 'fall-back': a free port instead, in runtime.json, with a warning", async () => {
    const busy = await listening();
    try {
      const { configDir, options, warnings } = await setup({ port: busy.port, busyPort: 'fall-back', mode: 'tray' });
      const host = await openHost(options);
      const started = await host.start();
      try {
        assert.notEqual(started.port, busy.port);
        assert.equal((await runtimeOf(configDir)).port, started.port);
        assert.match(warnings.join(''), /the configured port is busy; using a free one/);
      } finally {
        await host.stop();
      }
    } finally {
      busy.server.close();
    }
  });

  test("a symlinked socket path: 'exit' refuses to start, 'warn' serves TCP only and says why", async () => {
    const target = join(root, 'elsewhere.sock');
    const link = join(root, 'link.sock');
    await symlink(target, link);
    const strict = await setup();
    const error = await refusal(openHost({ ...strict.options, env: { ...strict.options.env, TOKENTRAY_SOCKET: link } }).then((host) => host.start()));
    assert.match(error.message, /symbolic link/);
    assert.ok(error.hint);
    assert.equal(exitCodeOf(error.kind), 1);
    assert.ok(!existsSync(join(strict.configDir, 'runtime.json')));

    const lenient = await setup({ refusedSocket: 'warn', mode: 'tray' });
    const host = await openHost({ ...lenient.options, env: { ...lenient.options.env, TOKENTRAY_SOCKET: link } });
    const started = await host.start();
    try {
      assert.equal(started.socket, null);
      assert.match(started.socketRefused?.message ?? '', /symbolic link/);
      assert.equal((await runtimeOf(lenient.configDir)).socket, undefined, 'runtime.json names no socket');
      assert.match(lenient.warnings.join(''), /the local socket is not served/);
    } finally {
      await host.stop();
    }
    assert.ok(!existsSync(target), 'nothing was created through the link');
  });

  test("a broken config.json is moved aside either way: 'exit' stops with where it went, 'continue' starts and reports it", async () => {
    for (const brokenConfig of ['exit', 'continue'] as const) {
      const { configDir, options } = await setup({ brokenConfig });
      await writeFile(join(configDir, 'config.json'), '{"profiles": {');
      if (brokenConfig === 'exit') {
        const error = await refusal(openHost(options));
        assert.match(error.message, /^The config file was not valid .*; it was moved to .*config\.json\.corrupt-/);
        assert.equal(exitCodeOf(error.kind), 1);
        assert.ok(!existsSync(join(configDir, 'vault.json')), 'no vault was opened or created');
      } else {
        const host = await openHost(options);
        assert.match(host.movedAside?.movedTo ?? '', /config\.json\.corrupt-/);
        await host.start();
        await host.stop();
      }
      assert.equal((await readdir(configDir)).filter((name) => name.startsWith('config.json.corrupt-')).length, 1);
    }
  });

  test('a wrong passphrase: exit 5 with a hint, nothing started, the vault file unchanged', async () => {
    const { configDir, options } = await setup();
    const first = await openHost(options);
    await first.stop();
    const vaultFile = await readFile(join(configDir, 'vault.json'), 'utf8');
    const error = await refusal(openHost({ ...options, env: { ...options.env, TOKENTRAY_VAULT_PASSPHRASE: 'not the passphrase at all' } }));
    assert.equal(exitCodeOf(error.kind), 5);
    assert.ok(error.hint);
    assert.ok(!error.message.includes('not the passphrase'));
    assert.equal(await readFile(join(configDir, 'vault.json'), 'utf8'), vaultFile);
  });
});

describe('the host after a resume', () => {
  let server: ProviderServer;
  before(async () => {
    server = await startProviderServer('redpanda', { lifetimeSec: 600 });
  });
  after(async () => {
    await server.close();
  });

  test("a resume event re-evaluates every profile: an expired token is refreshed with no demand and no timer", async () => {
    const clock = new FakeClock();
    const power = new EventEmitter();
    const { options } = await setup({
      mode: 'tray',
      core: { clock },
      onResume: (listener) => {
        power.on('resume', listener);
        return () => power.off('resume', listener);
      },
    });
    const host = await openHost(options);
    const profile = server.profile({ id: 'resumed' });
    await host.vault.setSecret('resumed', 'clientSecret', server.credentials.clientSecret);
    host.store.putProfile(profile);
    await host.start();
    try {
      await untilTrue('the first token', () => host.core.engine.status('resumed')?.state === 'fresh');
      const requests = server.tokenRequestCount();

      // The wall clock moves on while no timer fires, as across a sleep.
      clock.jump(700_000);
      assert.equal(host.core.engine.status('resumed')?.state, 'expired');
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(server.tokenRequestCount(), requests, 'nothing refreshes by itself');

      power.emit('resume');
      await untilTrue('the refresh after resume', () => host.core.engine.status('resumed')?.state === 'fresh');
      assert.equal(server.tokenRequestCount(), requests + 1);
    } finally {
      await host.stop();
    }
    assert.equal(power.listenerCount('resume'), 0, 'stop unsubscribed from the resume events');
  });
});
