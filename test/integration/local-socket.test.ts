// The app's user-only local socket (docs/http-api.md) as `tokentray serve` opens it: a real
// child process, the real keychain, curl and another Unix user (runuser -u nobody; the tests run as
// root). Directory 0700 and socket 0600, its path in runtime.json; no key there while TCP keeps its
// keys; a stale socket replaced only after nothing answered, a live one, a symlink and a directory
// owned by someone else or open to others refused with a clear error; the socket removed on exit.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { chmod, chown, lstat, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { toTokentrayError } from '../../main/core/errors.js';
import { socketRefusedNotice } from '../../main/core/desktop/notices.js';
import { listenOnLocalSocket } from '../../main/node/local-socket.js';
import { runCli } from '../support/cli.js';
import { startServe, stopServe, type Served } from '../support/serve-process.js';
import { tempDirs } from '../support/temp-dir.js';
import { httpRequest } from '../support/http.js';

const run = promisify(execFile);

function get(where: { socketPath: string } | { port: number }, path: string): Promise<{ status: number; body: string }> {
  return httpRequest(where, path);
}

const dirs = tempDirs();
const tempDir = (prefix: string): Promise<string> => dirs.make(prefix);

after(async () => {
  await dirs.removeAll();
});

describe('tokentray serve on its local socket', () => {
  let runtimeDir: string;
  let configDir: string;
  let served: Served;
  let socketPath: string;

  before(async () => {
    // A runtime directory others may traverse, so the only thing keeping them out is tokentray/'s 0700.
    runtimeDir = await tempDir('tokentray-xdg-');
    await chmod(runtimeDir, 0o755);
    configDir = await tempDir('tokentray-sock-');
    served = await startServe(configDir, '0', { XDG_RUNTIME_DIR: runtimeDir, TOKENTRAY_SOCKET: '' });
    const runtime = JSON.parse(await readFile(join(configDir, 'runtime.json'), 'utf8')) as { socket?: string };
    assert.ok(runtime.socket, 'runtime.json names the socket');
    socketPath = runtime.socket;
  });
  after(() => {
    if (served.child.exitCode === null) served.child.kill('SIGKILL');
  });

  test('the socket is $XDG_RUNTIME_DIR/tokentray/<name>.sock, the directory 0700 and the socket 0600, both ours', async () => {
    assert.equal(join(socketPath, '..'), join(runtimeDir, 'tokentray'));
    assert.match(socketPath, /\/api-[0-9a-f]{12}\.sock$/, 'a config directory of its own gets a socket of its own');
    const dir = await lstat(join(runtimeDir, 'tokentray'));
    assert.ok(dir.isDirectory());
    assert.equal(dir.mode & 0o777, 0o700);
    assert.equal(dir.uid, process.getuid?.());
    const socket = await lstat(socketPath);
    assert.ok(socket.isSocket());
    assert.equal(socket.mode & 0o777, 0o600);
    assert.match(served.output(), new RegExp(`Local socket \\(this user only, no key needed\\): ${socketPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  });

  test('curl --unix-socket answers without a key; the TCP port still demands one', async () => {
    const { stdout } = await run('curl', ['-s', '-w', '\n%{http_code}', '--unix-socket', socketPath, 'http://localhost/v1/profiles']);
    const [body, code] = stdout.split('\n');
    assert.equal(code, '200', stdout);
    assert.deepEqual(JSON.parse(body as string), []);
    const health = await get({ socketPath }, '/v1/health');
    assert.equal((JSON.parse(health.body) as { status: string }).status, 'ok');
    assert.equal((await get({ port: served.port }, '/v1/profiles')).status, 401);
  });

  test('another Unix user cannot connect: the directory is not traversable for nobody (EACCES)', async () => {
    const { stdout: who } = await run('runuser', ['-u', 'nobody', '--', 'id', '-u']);
    assert.notEqual(who.trim(), String(process.getuid?.()));
    // nobody can reach the runtime directory itself, but not into tokentray/.
    const probe = (path: string): Promise<string> =>
      run('runuser', ['-u', 'nobody', '--', process.execPath, '-e', `require('fs').readdir(${JSON.stringify(path)}, (e) => console.log(e ? e.code : 'ok'))`], { cwd: '/' }).then((r) => r.stdout.trim());
    assert.equal(await probe(runtimeDir), 'ok');
    assert.equal(await probe(join(runtimeDir, 'tokentray')), 'EACCES');
    const script = `require('net').connect(${JSON.stringify(socketPath)}).on('connect', () => { console.log('connected'); process.exit(0) }).on('error', (e) => { console.log(e.code); process.exit(0) })`;
    const { stdout } = await run('runuser', ['-u', 'nobody', '--', process.execPath, '-e', script], { cwd: '/' });
    assert.equal(stdout.trim(), 'EACCES');
    // While the owner still gets in.
    assert.equal((await get({ socketPath }, '/v1/health')).status, 200);
  });

  test('a second serve for the same socket is refused while this one answers', async () => {
    const other = await tempDir('tokentray-sock-second-');
    const second = await runCli(['serve', '--port', '0', '--config-dir', other], { env: { TOKENTRAY_SOCKET: socketPath } });
    assert.equal(second.code, 1, second.stderr);
    assert.match(second.stderr, new RegExp(`Another Tokentray already answers on ${socketPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    assert.match(second.stderr, /hint: /);
    assert.ok(!existsSync(join(other, 'runtime.json')));
    assert.equal((await get({ socketPath }, '/v1/health')).status, 200, 'the live socket was left alone');
  });

  test('SIGTERM removes the socket and runtime.json', async () => {
    assert.equal(await stopServe(served), 0, served.output());
    assert.ok(!existsSync(socketPath));
    assert.ok(!existsSync(join(configDir, 'runtime.json')));
  });
});

describe('the local socket refuses what is not safe', () => {
  test('a stale socket (its app was killed) is replaced after nothing answered on it', async () => {
    const dir = await tempDir('tokentray-stale-');
    const socketPath = join(dir, 'api.sock');
    // A process that binds the socket and dies at once, as a crashed app leaves it behind.
    const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(socketPath)}, () => process.kill(process.pid, 'SIGKILL'))`]);
    await once(child, 'close');
    assert.ok((await lstat(socketPath)).isSocket(), 'the stale socket is there');
    const served = await startServe(join(dir, 'config'), '0', { TOKENTRAY_SOCKET: socketPath });
    try {
      assert.equal((await get({ socketPath }, '/v1/health')).status, 200);
      assert.equal((await lstat(socketPath)).mode & 0o777, 0o600);
    } finally {
      await stopServe(served);
    }
    assert.ok(!existsSync(socketPath));
  });

  test('two apps starting at once over a stale socket: one serves, the other is refused, and the socket left is the one that answers', async () => {
    const dir = await tempDir('tokentray-race-');
    const socketPath = join(dir, 'api.sock');
    const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(socketPath)}, () => process.kill(process.pid, 'SIGKILL'))`]);
    await once(child, 'close');
    const servers = [0, 1].map(() => createHttpServer((_req, res) => res.end('{"status":"ok"}')));
    const outcomes = await Promise.allSettled(servers.map((server) => listenOnLocalSocket(server, socketPath)));
    try {
      assert.deepEqual(outcomes.map((o) => o.status).sort(), ['fulfilled', 'rejected']);
      const refusal = outcomes.find((o) => o.status === 'rejected');
      assert.match(String((refusal as PromiseRejectedResult).reason?.message), /already answers/);
      assert.equal((await get({ socketPath }, '/v1/health')).status, 200, 'the socket on disk is the winner\'s');
      assert.ok(!existsSync(`${socketPath}.lock`), 'the lock is gone');
    } finally {
      for (const o of outcomes) if (o.status === 'fulfilled') await o.value.close();
      for (const server of servers) server.close();
    }
  });

  test('a live socket of another program stops the start, and is left alone', async () => {
    const dir = await tempDir('tokentray-live-');
    const socketPath = join(dir, 'api.sock');
    const other = createServer((socket) => socket.end());
    await new Promise<void>((resolve) => other.listen(socketPath, resolve));
    try {
      const result = await runCli(['serve', '--port', '0', '--config-dir', join(dir, 'config')], { env: { TOKENTRAY_SOCKET: socketPath } });
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stderr, /Another Tokentray already answers on/);
      assert.ok((await lstat(socketPath)).isSocket());
      assert.ok(!existsSync(join(dir, 'config', 'runtime.json')));
    } finally {
      other.close();
    }
  });

  test('a symlinked socket path or directory, a directory open to others or owned by another user: refused, naming the path', async () => {
    const dir = await tempDir('tokentray-unsafe-');
    await writeFile(join(dir, 'target'), '');
    await symlink(join(dir, 'target'), join(dir, 'link.sock'));
    await mkdir(join(dir, 'real-dir'), { mode: 0o700 });
    await symlink(join(dir, 'real-dir'), join(dir, 'linked-dir'));
    await mkdir(join(dir, 'open'), { mode: 0o700 });
    await chmod(join(dir, 'open'), 0o755);
    await mkdir(join(dir, 'theirs'), { mode: 0o700 });
    const { stdout: nobody } = await run('id', ['-u', 'nobody']);
    await chown(join(dir, 'theirs'), Number(nobody.trim()), 0);
    await writeFile(join(dir, 'plain-file.sock'), 'not a socket');
    const cases: Array<[string, RegExp]> = [
      [join(dir, 'link.sock'), /socket path .*link\.sock is a symbolic link/],
      [join(dir, 'linked-dir', 'api.sock'), /socket directory .*linked-dir is a symbolic link/],
      [join(dir, 'open', 'api.sock'), /socket directory .*open is open to other users \(mode 755\)/],
      [join(dir, 'theirs', 'api.sock'), /socket directory .*theirs belongs to another user/],
      [join(dir, 'plain-file.sock'), /taken by something that is not a socket/],
    ];
    for (const [socketPath, message] of cases) {
      const config = join(dir, `config-${cases.findIndex((c) => c[0] === socketPath)}`);
      const result = await runCli(['serve', '--port', '0', '--config-dir', config], { env: { TOKENTRAY_SOCKET: socketPath } });
      assert.equal(result.code, 1, `${socketPath}: ${result.stderr}`);
      assert.match(result.stderr, message);
      assert.match(result.stderr, /hint: /);
      assert.ok(!existsSync(join(config, 'runtime.json')));
    }
    assert.equal(await readFile(join(dir, 'target'), 'utf8'), '', 'the symlink target was not touched');
    assert.equal(await readFile(join(dir, 'plain-file.sock'), 'utf8'), 'not a socket');
  });

  test('the tray app, refused a socket, says so in a notification with the reason, the fallback and the hint', async () => {
    const dir = await tempDir('tokentray-refused-');
    await writeFile(join(dir, 'target'), '');
    await symlink(join(dir, 'target'), join(dir, 'link.sock'));
    const server = createHttpServer();
    const refusal = await listenOnLocalSocket(server, join(dir, 'link.sock')).then(
      () => assert.fail('a symlinked socket path was served'),
      (error: unknown) => toTokentrayError(error),
    );
    const notice = socketRefusedNotice(refusal);
    assert.equal(notice.kind, 'socket-refused');
    assert.equal(notice.profileId, undefined);
    assert.equal(notice.title, 'Tokentray: local socket not served');
    assert.match(notice.body, /^The socket path .*link\.sock is a symbolic link; it is not used\. Programs use the loopback API with a client key instead\. Remove it if no Tokentray runs/);
    assert.equal(await readFile(join(dir, 'target'), 'utf8'), '', 'nothing written through the link');
  });
});
