// `tokentray sink add|list|rm` as a person runs it, and the files as `tokentray serve` keeps them: every
// kind of bad input is a usage error with a hint that saves nothing; a reader in a tight loop (its own
// process) never finds the file missing, empty or partial across several refreshes; the files are in
// /v1/profiles and `sink list`; stopping the server removes them.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmod, mkdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ProfileStatus } from '../../common/contract.js';
import { removeTempConfigDirs, runCli, tempConfigDir } from '../support/cli.js';
import { startServe, stopServe } from '../support/serve-process.js';
import { startProviderServer, type ProviderServer } from '../support/servers/index.js';
import { httpRequest } from '../support/http.js';

async function getSocket(socketPath: string, path: string): Promise<string> {
  return (await httpRequest({ socketPath }, path)).body;
}

async function storedSinks(dir: string): Promise<unknown> {
  return (JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as { sinks?: unknown }).sinks;
}

/** Reads the file as fast as it can for `ms`, in a process of its own, and reports what it saw. */
function readInTightLoop(path: string, ms: number): Promise<{ reads: number; missing: number; empty: number; seen: Record<string, { first: number; last: number }> }> {
  const script = `
    const fs = require('fs');
    const end = Date.now() + ${ms};
    const out = { reads: 0, missing: 0, empty: 0, seen: {} };
    while (Date.now() < end) {
      let text;
      try { text = fs.readFileSync(${JSON.stringify(path)}, 'utf8'); } catch { out.missing++; continue; }
      out.reads++;
      if (text === '') { out.empty++; continue; }
      const now = Date.now();
      const s = out.seen[text] ??= { first: now, last: now };
      s.last = now;
    }
    process.stdout.write(JSON.stringify(out));`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    child.stdout.on('data', (c: Buffer) => (text += c.toString()));
    child.once('close', (code) => (code === 0 ? resolve(JSON.parse(text)) : reject(new Error(`reader exited ${code}`))));
  });
}

describe('tokentray sink', () => {
  let server: ProviderServer;
  let dir: string;
  let files: string;

  before(async () => {
    server = await startProviderServer('oauth2', { lifetimeSec: 4 });
    dir = await tempConfigDir();
    files = join(dir, 'files');
    await mkdir(files, { mode: 0o700 });
    const profile = server.profile({ id: 'svc' });
    const added = await runCli(
      ['profile', 'add', 'svc', '--provider', 'oauth2', '--client-id', profile.clientId as string, '--token-url', profile.tokenUrl as string, '--api-url', profile.apiUrl as string, '--secret-stdin', '--config-dir', dir],
      { stdin: server.credentials.clientSecret },
    );
    assert.equal(added.code, 0, added.stderr);
  });
  after(async () => {
    await removeTempConfigDirs();
    await server.close();
  });

  test('bad input of every kind is a usage error with a hint, and nothing is saved', async () => {
    const template = join(files, 'bad.tmpl');
    await writeFile(template, 'Authorization: {{header}}\nX-Secret: {{client_secret}}\n');
    const open = join(dir, 'open');
    await mkdir(open);
    await chmod(open, 0o777);
    const linked = join(dir, 'linked');
    await symlink(files, linked);
    const cases: [string[], RegExp][] = [
      [['relative/token'], /relative/],
      [[join(dir, 'no-such-folder', 'token')], /does not exist/],
      [[join(files, 't'), '--format', 'yaml'], /"yaml" is not a token file format/],
      [[join(files, 't'), '--template', template], /unknown placeholders: \{\{client_secret\}\}/],
      [[join(files, 't'), '--template', join(files, 'missing.tmpl')], /cannot be read \(ENOENT\)/],
      [[join(files, 't'), '--format', 'template'], /needs --template FILE/],
      [[join(files, 't'), '--format', 'env', '--template', template], /--template goes with --format template/],
      [[join(files, 't'), '--mode', '999'], /"999" is not a file mode/],
      [[join(files, 't'), '--mode', 'rw-r--r--'], /not a file mode/],
      [[join(files, 't'), '--mode', '0666'], /lets others write/],
      [[join(files, 't'), '--mode', '0755'], /executable/],
      [[join(files, 't'), '--mode', '0400'], /owner read and write/],
      [[join(files, 't'), '--mode', '4600'], /not a file mode/],
      [[join(open, 'token')], /may be written by others \(mode 0777\)/],
      [[join(linked, 'token')], /symbolic link/],
      [[join(files, 't'), '--on-change', 'systemctl reload app && echo ok'], /shell syntax/],
      [[join(files, 't'), '--signal', 'HUP'], /--signal and --pid-file go together/],
      [[join(files, 't'), '--signal', 'FOO', '--pid-file', join(files, 'pid')], /SIGFOO is not a signal/],
      [[join(files, 't'), '--signal', 'HUP', '--pid-file', 'app.pid'], /relative/],
      [[join(files, 't'), '--on-change', 'true', '--signal', 'HUP', '--pid-file', join(files, 'pid')], /either --on-change or --signal/],
    ];
    for (const [args, pattern] of cases) {
      const result = await runCli(['sink', 'add', 'svc', ...args, '--config-dir', dir]);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, pattern, args.join(' '));
      assert.match(result.stderr, /\n {2}hint: \S/, args.join(' '));
      assert.equal(await storedSinks(dir), undefined, args.join(' '));
    }
    const missing = await runCli(['sink', 'add', 'svc', '--config-dir', dir]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /missing required argument 'path'/);
    const unknown = await runCli(['sink', 'add', 'nope', join(files, 't'), '--config-dir', dir]);
    assert.equal(unknown.code, 3);
    assert.equal(await storedSinks(dir), undefined);
    const rm = await runCli(['sink', 'rm', 'svc', join(files, 't'), '--config-dir', dir]);
    assert.equal(rm.code, 3);
  });

  test('644 without a leading zero is read as octal, and says so', async () => {
    const result = await runCli(['sink', 'add', 'svc', join(files, 'octal'), '--mode', '644', '--config-dir', dir]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /read the mode 644 as octal 0644/);
    assert.deepEqual(await storedSinks(dir), [{ profileId: 'svc', path: join(files, 'octal'), format: 'raw', mode: '0644' }]);
    assert.equal((await runCli(['sink', 'rm', 'svc', join(files, 'octal'), '--config-dir', dir])).code, 0);
    assert.deepEqual(await storedSinks(dir), []);
  });

  test('serve keeps the files through refreshes: a reader never finds one missing, empty or partial, and stopping removes them', async () => {
    const raw = join(files, 'token');
    const env = join(files, 'token.env');
    const hooked = join(files, 'hooked');
    assert.equal((await runCli(['sink', 'add', 'svc', raw, '--config-dir', dir])).code, 0);
    assert.equal((await runCli(['sink', 'add', 'svc', env, '--format', 'env', '--mode', '0640', '--config-dir', dir])).code, 0);
    const idle = await runCli(['sink', 'list', '--config-dir', dir]);
    assert.match(idle.stdout, /not kept: Tokentray is not running/);

    const served = await startServe(dir);
    try {
      const deadline = Date.now() + 30_000;
      while ((await readFile(raw, 'utf8').catch(() => '')) === '' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const before = server.issued.length;
      const seen = await readInTightLoop(raw, 10_000);
      assert.ok(server.issued.length - before >= 2, `only ${server.issued.length - before} refreshes while reading`);
      assert.equal(seen.missing, 0);
      assert.equal(seen.empty, 0);
      assert.ok(seen.reads > 1000, `only ${seen.reads} reads`);
      const contents = Object.entries(seen.seen);
      assert.ok(contents.length >= 3, `the reader saw ${contents.length} tokens`);
      for (const [content, when] of contents) {
        const issued = server.issued.find((t) => t.accessToken === content);
        assert.ok(issued !== undefined, 'the reader saw a partial or unknown token');
        assert.ok(when.last < issued.expiresAt, 'the reader saw a token after it expired');
      }
      assert.equal((await stat(env)).mode & 0o777, 0o640);
      assert.match(await readFile(env, 'utf8'), /^TOKENTRAY_TOKEN=[^\n]+\nTOKENTRAY_AUTH_HEADER=Bearer [^\n]+\n$/);

      const runtime = JSON.parse(await readFile(join(dir, 'runtime.json'), 'utf8')) as { socket: string };
      const statuses = JSON.parse(await getSocket(runtime.socket, '/v1/profiles')) as ProfileStatus[];
      const sinks = statuses.find((s) => s.id === 'svc')?.sinks ?? [];
      assert.deepEqual(sinks.map((s) => [s.path, s.format, s.mode, s.present]).sort(), [[raw, 'raw', '0600', true], [env, 'env', '0640', true]].sort());
      assert.ok(sinks.every((s) => s.writtenAt !== null && s.reason === null));
      const listed = await runCli(['sink', 'list', '--json', '--config-dir', dir]);
      assert.equal(listed.code, 0, listed.stderr);
      const rows = JSON.parse(listed.stdout) as { path: string; kept: boolean; status: { present: boolean } | null }[];
      assert.ok(rows.every((row) => row.kept && row.status?.present === true));
      assert.doesNotMatch(listed.stdout, new RegExp(server.issued.at(-1)!.accessToken));

      // A sink added while it runs is written by it, then removed with `sink rm`.
      assert.equal((await runCli(['sink', 'add', 'svc', hooked, '--format', 'json', '--config-dir', dir])).code, 0);
      const end = Date.now() + 30_000;
      while ((await readFile(hooked, 'utf8').catch(() => '')) === '' && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
      assert.match(await readFile(hooked, 'utf8'), /"access_token":/);
      assert.equal((await runCli(['sink', 'rm', 'svc', hooked, '--config-dir', dir])).code, 0);
      await assert.rejects(readFile(hooked, 'utf8'), { code: 'ENOENT' });
    } finally {
      await stopServe(served);
    }
    await assert.rejects(readFile(raw, 'utf8'), { code: 'ENOENT' });
    await assert.rejects(readFile(env, 'utf8'), { code: 'ENOENT' });
  });
});
