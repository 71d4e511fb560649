// `tokentray run` without an app, as a person runs it: a child that records its token file at every
// SIGHUP sees a valid token each time across several refreshes; the file exists before the child
// starts and is gone after; SIGTERM is forwarded and the child's exit code kept.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cliCommand, removeTempConfigDirs, ROOT, runCli, tempConfigDir } from '../support/cli.js';
import { startProviderServer, type ProviderServer } from '../support/servers/index.js';

// Records the file at start and at every SIGHUP with the time; exits 42 on SIGTERM.
const CHILD = `
  const fs = require('fs');
  const log = process.argv[1];
  const record = (why) => fs.appendFileSync(log, JSON.stringify({ why, at: Date.now(), token: fs.readFileSync(process.env.TOKENTRAY_TOKEN_FILE, 'utf8'),
    mode: fs.statSync(process.env.TOKENTRAY_TOKEN_FILE).mode & 0o777, dirMode: fs.statSync(require('path').dirname(process.env.TOKENTRAY_TOKEN_FILE)).mode & 0o777,
    env: process.env.TOKENTRAY_TOKEN, file: process.env.TOKENTRAY_TOKEN_FILE }) + '\\n');
  record('start');
  process.on('SIGHUP', () => record('hup'));
  process.on('SIGTERM', () => process.exit(42));
  setInterval(() => {}, 1000);`;

interface Entry {
  why: string;
  at: number;
  token: string;
  mode: number;
  dirMode: number;
  env: string;
  file: string;
}

async function entries(log: string): Promise<Entry[]> {
  const text = await readFile(log, 'utf8').catch(() => '');
  return text.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as Entry);
}

describe('tokentray run', () => {
  let server: ProviderServer;
  let dir: string;

  before(async () => {
    server = await startProviderServer('oauth2', { lifetimeSec: 4 });
    dir = await tempConfigDir();
    const profile = server.profile({ id: 'job' });
    const added = await runCli(
      ['profile', 'add', 'job', '--provider', 'oauth2', '--client-id', profile.clientId as string, '--token-url', profile.tokenUrl as string, '--secret-stdin', '--config-dir', dir],
      { stdin: server.credentials.clientSecret },
    );
    assert.equal(added.code, 0, added.stderr);
  });
  after(async () => {
    await removeTempConfigDirs();
    await server.close();
  });

  test('the child sees a valid token in its file at every SIGHUP, SIGTERM is forwarded and its exit code kept', async () => {
    const log = join(dir, 'records');
    await mkdir(dirname(log), { recursive: true });
    const cli = cliCommand(['run', 'job', '--signal', 'HUP', '--config-dir', dir, '--', process.execPath, '-e', CHILD, log]);
    const run = spawn(cli.command, cli.args, { cwd: ROOT, env: { ...process.env, TOKENTRAY_CONFIG_DIR: '' }, stdio: ['ignore', 'inherit', 'inherit'] });
    const closed = new Promise<number | null>((resolve) => run.once('close', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 60_000;
      while ((await entries(log)).filter((e) => e.why === 'hup').length < 3) {
        assert.ok(Date.now() < deadline, 'fewer than three refreshes reached the child');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      run.kill('SIGTERM');
    }
    assert.equal(await closed, 42);
    const seen = await entries(log);
    assert.equal(seen[0]?.why, 'start');
    assert.equal(seen[0]?.token, seen[0]?.env);
    for (const entry of seen) {
      const issued = server.issued.find((t) => t.accessToken === entry.token);
      assert.ok(issued !== undefined, 'the file held an unknown or partial token');
      assert.ok(entry.at < issued.expiresAt, 'the file held an expired token');
      assert.equal(entry.mode, 0o600);
      assert.equal(entry.dirMode, 0o700);
    }
    // Each SIGHUP came after a refresh: the file held a newer token each time.
    const hups = seen.filter((e) => e.why === 'hup').map((e) => e.token);
    assert.equal(new Set(hups).size, hups.length);
    await assert.rejects(stat(seen[0]!.file), { code: 'ENOENT' });
    await assert.rejects(stat(dirname(seen[0]!.file)), { code: 'ENOENT' });
  });

  test('bad input is a usage error', async () => {
    const both = await runCli(['run', 'job', '--signal', 'HUP', '--restart', '--config-dir', dir, '--', 'true']);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /cannot be combined/);
    const signal = await runCli(['run', 'job', '--signal', 'NOPE', '--config-dir', dir, '--', 'true']);
    assert.equal(signal.code, 2);
    assert.match(signal.stderr, /SIGNOPE is not a signal/);
    const code = await runCli(['run', 'job', '--config-dir', dir, '--', process.execPath, '-e', 'process.exit(7)']);
    assert.equal(code.code, 7, code.stderr);
  });
});
