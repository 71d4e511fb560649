// `tokentray run` beside a running `tokentray serve`: the token comes from the app, and run follows
// the app's event stream (GET /v1/events), so the child's SIGHUP follows each of the app's refreshes.
// A child that records its token file at every SIGHUP sees each new token, valid, once; when the app
// stops, run carries on with the last token (the stream's end is no failure) until CMD is stopped.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cliCommand, removeTempConfigDirs, ROOT, runCli, tempConfigDir } from '../support/cli.js';
import { startServe, stopServe, type Served } from '../support/serve-process.js';
import { startProviderServer, type ProviderServer } from '../support/servers/index.js';

// Records the file at start and at every SIGHUP; exits 42 on SIGTERM.
const CHILD = `
  const fs = require('fs');
  const log = process.argv[1];
  const record = (why) => fs.appendFileSync(log, JSON.stringify({ why, at: Date.now(), token: fs.readFileSync(process.env.TOKENTRAY_TOKEN_FILE, 'utf8') }) + '\\n');
  record('start');
  process.on('SIGHUP', () => record('hup'));
  process.on('SIGTERM', () => process.exit(42));
  setInterval(() => {}, 1000);`;

interface Entry {
  why: string;
  at: number;
  token: string;
}

async function entries(log: string): Promise<Entry[]> {
  const text = await readFile(log, 'utf8').catch(() => '');
  return text.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as Entry);
}

describe('tokentray run beside a running app', () => {
  let server: ProviderServer;
  let dir: string;
  let served: Served;

  before(async () => {
    server = await startProviderServer('oauth2', { lifetimeSec: 5 });
    dir = await tempConfigDir();
    const profile = server.profile({ id: 'job' });
    const added = await runCli(
      ['profile', 'add', 'job', '--provider', 'oauth2', '--client-id', profile.clientId as string, '--token-url', profile.tokenUrl as string, '--secret-stdin', '--config-dir', dir],
      { stdin: server.credentials.clientSecret },
    );
    assert.equal(added.code, 0, added.stderr);
    served = await startServe(dir);
  });
  after(async () => {
    await stopServe(served);
    await removeTempConfigDirs();
    await server.close();
  });

  test("the child gets SIGHUP with each of the app's new tokens", async () => {
    const log = join(dir, 'records');
    const cli = cliCommand(['run', 'job', '--signal', 'HUP', '--config-dir', dir, '--', process.execPath, '-e', CHILD, log]);
    const run = spawn(cli.command, cli.args, { cwd: ROOT, env: { ...process.env, TOKENTRAY_CONFIG_DIR: '' }, stdio: ['ignore', 'inherit', 'pipe'] });
    let stderr = '';
    run.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const closed = new Promise<number | null>((resolve) => run.once('close', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 90_000;
      while ((await entries(log)).filter((e) => e.why === 'hup').length < 3) {
        assert.ok(Date.now() < deadline, `fewer than three refreshes reached the child: ${stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      run.kill('SIGTERM');
    }
    assert.equal(await closed, 42, stderr);
    const seen = await entries(log);
    assert.equal(seen[0]?.why, 'start');
    for (const entry of seen) {
      const issued = server.issued.find((t) => t.accessToken === entry.token);
      assert.ok(issued !== undefined, 'the file held an unknown or partial token');
      assert.ok(entry.at < issued.expiresAt, 'the file held an expired token');
    }
    // One SIGHUP per new token, each one newer than the one before: the app's refreshes, in order.
    const tokens = seen.map((e) => e.token);
    assert.equal(new Set(tokens).size, tokens.length, 'a SIGHUP without a new token');
    const order = tokens.map((token) => server.issued.findIndex((t) => t.accessToken === token));
    assert.deepEqual(order, [...order].sort((a, b) => a - b));
  });
});
