// A headless `tokentray serve` whose wall clock jumps 700 s ahead while the monotonic clock runs on
// (libfaketime, as after a resumed laptop or VM): its 600 s token has expired by the wall clock, and
// no timer is due for minutes. The host's clock check notices the jump and re-evaluates every profile,
// so the profile is refreshed with no demand from anyone.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ActivityEntry, ProfileStatus } from '../../common/contract.js';
import { runCli } from '../support/cli.js';
import { fakeWallClock } from '../support/faketime.js';
import { startServe, type Served } from '../support/serve-process.js';
import { startProviderServer, type ProviderServer } from '../support/servers/index.js';
import { makeTempDir, removeTempDir } from '../support/temp-dir.js';
import { until as poll } from '../support/poll.js';
import { httpRequest } from '../support/http.js';

/** A JSON answer over the user-only socket; reading statuses or activity is no demand for a token. */
async function getJson<T>(socketPath: string, path: string): Promise<T> {
  const answer = await httpRequest({ socketPath }, path);
  if (answer.status !== 200) throw new Error(`${path}: ${answer.status} ${answer.body}`);
  return JSON.parse(answer.body) as T;
}

const statuses = (socketPath: string): Promise<ProfileStatus[]> => getJson(socketPath, '/v1/profiles');

/** The jump is detected by a coarse periodic check, so this waits longer than the default. */
const until = <T>(what: string, probe: () => Promise<T | undefined>): Promise<T> => poll(what, probe, { timeoutMs: 90_000 });

describe('tokentray serve after a wall clock jump', () => {
  let dir: string;
  let server: ProviderServer;
  let served: Served | undefined;

  before(async () => {
    dir = await makeTempDir('tokentray-clock-jump-');
    server = await startProviderServer('redpanda', { lifetimeSec: 600 });
  });
  after(async () => {
    if (served !== undefined && served.child.exitCode === null) served.child.kill('SIGKILL');
    await runCli(['profile', 'rm', 'jump', '--config-dir', join(dir, 'config')]);
    await server.close();
    await removeTempDir(dir);
  });

  test('a 600 s token is refreshed without a demand once the wall clock moves 700 s ahead', async () => {
    const configDir = join(dir, 'config');
    const profile = server.profile({ id: 'jump' });
    const added = await runCli(
      ['profile', 'add', 'jump', '--provider', 'redpanda', '--client-id', profile.clientId as string, '--token-url', profile.tokenUrl as string, '--api-url', profile.apiUrl as string, '--secret-stdin', '--config-dir', configDir],
      { stdin: server.credentials.clientSecret },
    );
    assert.equal(added.code, 0, added.stderr);

    const clock = await fakeWallClock(dir);
    served = await startServe(configDir, '0', clock.env);
    const { socket } = JSON.parse(await readFile(join(configDir, 'runtime.json'), 'utf8')) as { socket: string };
    const first = await until('the first token', async () => (await statuses(socket)).find((s) => s.id === 'jump' && s.state === 'fresh'));
    const requestsBefore = server.tokenRequestCount();
    const firstExpiry = Date.parse(first.expiresAt ?? '');
    assert.ok(firstExpiry - Date.now() > 500_000, `a 600 s token: ${first.expiresAt}`);

    await clock.setOffsetSec(700);
    // The serve's wall clock is 700 s ahead of ours: its new token expires about 600 s after that.
    const renewed = await until('a refresh after the jump', async () =>
      (await statuses(socket)).find((s) => s.id === 'jump' && s.state === 'fresh' && Date.parse(s.expiresAt ?? '') > firstExpiry + 600_000),
    );
    assert.equal(server.tokenRequestCount(), requestsBefore + 1, 'one refresh, and nothing asked for a token');
    assert.ok(Date.parse(renewed.lastRefreshAt ?? '') > Date.now() + 600_000, `refreshed on the jumped clock: ${renewed.lastRefreshAt}`);
    const activity = await getJson<ActivityEntry[]>(socket, '/v1/activity');
    assert.deepEqual(activity.filter((e) => e.kind === 'token-issued'), [], 'no token was handed out to anyone');
  });
});
