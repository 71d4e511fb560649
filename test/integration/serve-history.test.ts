// The activity log and the request counts across real restarts of `tokentray serve`
// (docs/history-files.md): a child process stopped with SIGTERM and started again on the same config
// directory, the CLI going through its socket, and a damaged file met at start.
import assert from 'node:assert/strict';
import { readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ActivityEntry, ProfileStatus } from '../../common/contract.js';
import { runCli } from '../support/cli.js';
import { startServe, stopServe, type Served } from '../support/serve-process.js';
import { startProviderServer, type ProviderServer } from '../support/servers/index.js';
import { makeTempDir, removeTempDir } from '../support/temp-dir.js';
import { httpRequest } from '../support/http.js';

async function overSocket(socketPath: string, path: string): Promise<string> {
  return (await httpRequest({ socketPath }, path)).body;
}

async function activityOf(configDir: string): Promise<ActivityEntry[]> {
  const runtime = JSON.parse(await readFile(join(configDir, 'runtime.json'), 'utf8')) as { socket: string };
  return JSON.parse(await overSocket(runtime.socket, '/v1/activity')) as ActivityEntry[];
}

describe('tokentray serve keeps its history across restarts', () => {
  let configDir: string;
  let server: ProviderServer;
  let served: Served | null = null;

  before(async () => {
    configDir = await makeTempDir('tokentray-serve-history-');
    server = await startProviderServer('redpanda');
  });
  after(async () => {
    if (served !== null && served.child.exitCode === null) served.child.kill('SIGKILL');
    await runCli(['profile', 'rm', 'hist', '--config-dir', configDir]);
    await server.close();
    await removeTempDir(configDir);
  });

  test('entries and request counts survive a restart; a damaged log is moved aside and reported', async () => {
    served = await startServe(configDir);
    const profile = server.profile({ id: 'hist' });
    const added = await runCli(
      ['profile', 'add', 'hist', '--provider', 'redpanda', '--client-id', profile.clientId as string, '--token-url', profile.tokenUrl as string, '--api-url', profile.apiUrl as string, '--secret-stdin', '--no-test', '--config-dir', configDir],
      { stdin: server.credentials.clientSecret },
    );
    assert.equal(added.code, 0, added.stderr);
    for (let i = 0; i < 2; i += 1) {
      const token = await runCli(['token', 'hist', '--config-dir', configDir]);
      assert.equal(token.code, 0, token.stderr);
    }
    const requestsBefore = server.tokenRequestCount();
    assert.ok(requestsBefore >= 1);
    const before = (await activityOf(configDir)).filter((entry) => entry.profileId === 'hist');
    assert.equal(before.filter((entry) => entry.kind === 'token-issued').length, 2);
    assert.equal(await stopServe(served), 0, served.output());

    const file = join(configDir, 'activity.jsonl');
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    const text = await readFile(file, 'utf8');
    for (const issued of server.issued) assert.ok(!text.includes(issued.accessToken), 'no token on disk');
    assert.ok(!text.includes(server.credentials.clientSecret), 'no secret on disk');

    served = await startServe(configDir);
    const after = (await activityOf(configDir)).filter((entry) => entry.profileId === 'hist');
    assert.deepEqual(
      after.slice(0, before.length).map(({ seq: _s, ...rest }) => rest),
      before.map(({ seq: _s, ...rest }) => rest),
    );
    const status = await runCli(['status', '--json', '--config-dir', configDir]);
    assert.equal(status.code, 0, status.stderr);
    const row = (JSON.parse(status.stdout) as ProfileStatus[]).find((r) => r.id === 'hist');
    // The cached token spared the restart a request: the count is the first run's.
    assert.equal(server.tokenRequestCount(), requestsBefore);
    assert.equal(row?.requestsLastHour, requestsBefore);
    assert.equal(row?.requestsLastDay, requestsBefore);
    assert.equal(await stopServe(served), 0, served.output());

    // A damaged log: the server starts all the same, says so, and keeps the readable entries.
    const kept = await readFile(file, 'utf8');
    await writeFile(file, `${kept}this line is damaged\n`);
    served = await startServe(configDir);
    const restored = (await activityOf(configDir)).filter((entry) => entry.profileId === 'hist');
    assert.ok(restored.length >= before.length);
    const health = await runCli(['status', '--json', '--config-dir', configDir]);
    assert.equal(health.code, 0, health.stderr);
    const names = await readdir(configDir);
    const aside = names.find((name) => name.startsWith('activity.jsonl.damaged-'));
    assert.ok(aside, names.join(', '));
    assert.equal(await readFile(join(configDir, aside), 'utf8'), `${kept}this line is damaged\n`);
    assert.match(served.output(), /activity log file had 1 unreadable line; it was moved aside/);
    assert.ok(served.output().includes(aside));
    assert.equal(await stopServe(served), 0, served.output());
    served = null;
  });
});
