// `tokentray serve` as a person runs it: a real child process on a free port (--port 0), a temp
// config directory and the real keychain; CLI commands against it; a clean exit on SIGTERM.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ProfileStatus } from '../../common/contract.js';
import { runCli } from '../support/cli.js';
import { startServe, type Served } from '../support/serve-process.js';
import { startProviderServer, type ProviderServer } from '../support/servers/index.js';
import { makeTempDir, removeTempDir } from '../support/temp-dir.js';
import { httpRequest } from '../support/http.js';

/** What the dashboard page does with a link: POST its fragment's token to /ui/login, same-origin. */
function redeem(port: number, link: string): Promise<{ status: number; body: string }> {
  const token = new URLSearchParams(new URL(link).hash.slice(1)).get('token') ?? '';
  return get(port, '/ui/login', { method: 'POST', body: JSON.stringify({ token }) });
}

function get(port: number, path: string, options: { method?: string; body?: string } = {}): Promise<{ status: number; body: string }> {
  const headers: Record<string, string> = options.body === undefined ? {} : { 'Content-Type': 'application/json', Origin: `http://127.0.0.1:${port}` };
  return httpRequest(port, path, { ...options, headers });
}

function getSocket(socketPath: string, path: string): Promise<{ status: number; body: string }> {
  return httpRequest({ socketPath }, path);
}

describe('tokentray serve', () => {
  let configDir: string;
  let server: ProviderServer;
  let served: Served;

  before(async () => {
    configDir = await makeTempDir('tokentray-serve-');
    server = await startProviderServer('redpanda');
    served = await startServe(configDir);
  });
  after(async () => {
    if (served.child.exitCode === null) served.child.kill('SIGKILL');
    await runCli(['profile', 'rm', 'svc', '--config-dir', configDir]);
    await server.close();
    await removeTempDir(configDir);
  });

  test('writes runtime.json with the chosen port and no secrets, and answers /v1/health', async () => {
    assert.ok(served.port > 0);
    const runtime = JSON.parse(await readFile(join(configDir, 'runtime.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(runtime.port, served.port);
    assert.equal(runtime.pid, served.child.pid);
    assert.deepEqual(Object.keys(runtime).sort(), ['mode', 'pid', 'port', 'socket', 'startedAt', 'version']);
    const health = await get(served.port, '/v1/health');
    assert.equal(health.status, 200);
    assert.equal((JSON.parse(health.body) as { status: string }).status, 'ok');
  });

  test('CLI token and status use the running app', async () => {
    const profile = server.profile({ id: 'svc' });
    const added = await runCli(
      ['profile', 'add', 'svc', '--provider', 'redpanda', '--client-id', profile.clientId as string, '--token-url', profile.tokenUrl as string, '--api-url', profile.apiUrl as string, '--secret-stdin', '--config-dir', configDir],
      { stdin: server.credentials.clientSecret },
    );
    assert.equal(added.code, 0, added.stderr);

    const token = await runCli(['token', 'svc', '--config-dir', configDir]);
    assert.equal(token.code, 0, token.stderr);
    assert.equal(token.stdout.trim(), server.issued.at(-1)?.accessToken);
    const again = await runCli(['token', 'svc', '--config-dir', configDir]);
    assert.equal(again.stdout.trim(), token.stdout.trim());
    assert.equal(server.tokenRequestCount(), 1);

    const status = await runCli(['status', '--json', '--config-dir', configDir]);
    assert.equal(status.code, 0, status.stderr);
    const rows = JSON.parse(status.stdout) as ProfileStatus[];
    assert.equal(rows.find((r) => r.id === 'svc')?.state, 'fresh');

    // The commands went through the app's socket, not an engine of their own and not the TCP port:
    // the app recorded them as `cli`, and the CLI's own client key was never used.
    const runtimeText = await readFile(join(configDir, 'runtime.json'), 'utf8');
    const runtime = JSON.parse(runtimeText) as { socket: string };
    const activity = JSON.parse((await getSocket(runtime.socket, '/v1/activity')).body) as { kind: string; profileId: string; client?: string }[];
    assert.deepEqual(activity.filter((e) => e.kind === 'token-issued' && e.profileId === 'svc').map((e) => e.client), ['cli', 'cli']);
    const clientsOf = async () => (JSON.parse(await readFile(join(configDir, 'config.json'), 'utf8')) as { clients?: { name: string; lastUsedAt: string | null; hash: string }[] }).clients;
    assert.equal((await clientsOf())?.find((c) => c.name === 'cli')?.lastUsedAt ?? null, null);

    // An app that serves no socket (Windows, an older version): the CLI uses the TCP API with its
    // own key (kept in the keychain, hash in the store).
    const { socket: _socket, ...withoutSocket } = JSON.parse(runtimeText) as Record<string, unknown>;
    await writeFile(join(configDir, 'runtime.json'), JSON.stringify(withoutSocket));
    try {
      const overTcp = await runCli(['token', 'svc', '--config-dir', configDir]);
      assert.equal(overTcp.code, 0, overTcp.stderr);
      assert.equal(overTcp.stdout, token.stdout);
    } finally {
      await writeFile(join(configDir, 'runtime.json'), runtimeText);
    }
    const cli = (await clientsOf())?.find((c) => c.name === 'cli');
    assert.ok(cli);
    assert.notEqual(cli.lastUsedAt, null);
    assert.ok(!(await readFile(join(configDir, 'config.json'), 'utf8')).includes(server.credentials.clientSecret));
  });

  test('tokentray dashboard prints a fresh one-time link that works once', async () => {
    const printed = await runCli(['dashboard', '--config-dir', configDir]);
    assert.equal(printed.code, 0, printed.stderr);
    const url = new URL(printed.stdout.trim());
    assert.equal(url.port, String(served.port));
    assert.equal(url.search, '');
    assert.equal((await redeem(served.port, url.href)).status, 200);
    assert.equal((await redeem(served.port, url.href)).status, 403);
  });

  test('a busy port stops a second server with a clear message', async () => {
    const otherDir = await makeTempDir('tokentray-serve-busy-');
    try {
      const busy = await runCli(['serve', '--port', String(served.port), '--config-dir', otherDir]);
      assert.notEqual(busy.code, 0);
      assert.match(busy.stderr, new RegExp(`Port ${served.port}`));
      assert.match(busy.stderr, /--port/);
      assert.ok(!existsSync(join(otherDir, 'runtime.json')));
    } finally {
      await removeTempDir(otherDir);
    }
  });

  test('SIGTERM stops it cleanly: exit 0 and runtime.json removed', async () => {
    const closed = once(served.child, 'close');
    served.child.kill('SIGTERM');
    const [code] = (await closed) as [number | null];
    assert.equal(code, 0, served.output());
    assert.ok(!existsSync(join(configDir, 'runtime.json')));
    // With no app running, the CLI does the work itself from the keychain cache.
    const token = await runCli(['token', 'svc', '--config-dir', configDir]);
    assert.equal(token.code, 0, token.stderr);
    assert.equal(server.tokenRequestCount(), 1);
  });
});

describe('tokentray serve refuses to start on a broken setup', () => {
  test('a corrupt config: moved aside, reported, non-zero exit, no server left behind', async () => {
    const dir = await makeTempDir('tokentray-serve-corrupt-');
    try {
      const broken = '{"profiles": {"half-written": ';
      await writeFile(join(dir, 'config.json'), broken);
      const run = await runCli(['serve', '--port', '0', '--config-dir', dir]);
      assert.equal(run.code, 1, run.stderr);
      assert.match(run.stderr, /not valid/);
      const moved = (await readdir(dir)).filter((name) => name.startsWith('config.json.corrupt-'));
      assert.equal(moved.length, 1, 'the broken file is kept beside the new one');
      assert.equal(await readFile(join(dir, moved[0] as string), 'utf8'), broken);
      assert.ok(run.stderr.includes(moved[0] as string), 'the message names where it went');
      assert.ok(!existsSync(join(dir, 'runtime.json')));
    } finally {
      await removeTempDir(dir);
    }
  });

  test('--vault keychain and no Secret Service: exit 5 with a hint, and no fallback of any kind', async () => {
    const dir = await makeTempDir('tokentray-serve-nokeychain-');
    try {
      // An explicit choice never falls back (docs/storage.md); `auto` would run on the file vault.
      const run = await runCli(['serve', '--port', '0', '--config-dir', dir, '--vault', 'keychain'], {
        env: { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/bus', DISPLAY: '' },
      });
      assert.equal(run.code, 5, run.stderr);
      assert.match(run.stderr, /keychain/i);
      assert.match(run.stderr, /hint/);
      assert.ok(!existsSync(join(dir, 'runtime.json')));
      for (const name of await readdir(dir)) assert.ok(!name.includes('secret') && !name.includes('token'), name);
    } finally {
      await removeTempDir(dir);
    }
  });
});
