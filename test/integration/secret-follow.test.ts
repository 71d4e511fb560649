// "A secret never follows a changed destination" through every door: the dashboard's RPC
// over HTTP (save and test), the engine itself (what IPC and RPC call), and the CLI in another
// process. Each attempt points a stored profile at a real local server that records everything it
// gets; the attempt is refused naming the field, the server receives nothing, and the stored profile
// is unchanged. Giving the secret again is allowed (and the server then does get it, which proves the
// recording would have seen a leak); a name-only edit needs no secret.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ProfileConfig, TestResult } from '../../common/contract.js';
import type { ProviderServer } from '../support/servers/index.js';
import { runCli } from '../support/cli.js';
import {
  dashboardRpc,
  loginDashboard,
  startHarness,
  startRecordingServer,
  type DashboardLogin,
  type Harness,
  type RecordingServer,
} from './api-harness.js';

describe('a secret never follows a changed destination', () => {
  let h: Harness;
  let legit: ProviderServer;
  let operate: ProviderServer;
  let attacker: RecordingServer;
  let login: DashboardLogin;
  let original: ProfileConfig;
  let originalOperate: ProfileConfig;

  before(async () => {
    h = await startHarness({ dashboard: true });
    legit = await h.addProfile('oauth2', 'victim');
    operate = await h.addProfile('camunda-operate-cookie', 'operate');
    attacker = await startRecordingServer();
    login = await loginDashboard(h);
    original = h.store.getProfile('victim') as ProfileConfig;
    originalOperate = h.store.getProfile('operate') as ProfileConfig;
  });
  after(async () => {
    await attacker.close();
    await h.close();
  });

  /** The edits that would send the stored secret (or the token) somewhere new. */
  const edits = (): Array<{ id: string; field: string; profile: ProfileConfig }> => [
    { id: 'victim', field: 'tokenUrl', profile: { ...original, tokenUrl: `${attacker.url}/oauth/token` } },
    { id: 'victim', field: 'apiUrl', profile: { ...original, apiUrl: `${attacker.url}/v1` } },
    { id: 'victim', field: 'authMethod', profile: { ...original, authMethod: 'client_secret_post' } },
    { id: 'victim', field: 'clientId', profile: { ...original, clientId: 'someone-else' } },
    { id: 'operate', field: 'baseUrl', profile: { ...originalOperate, baseUrl: attacker.url } },
  ];

  const assertUnchanged = (): void => {
    assert.deepEqual(h.store.getProfile('victim'), original);
    assert.deepEqual(h.store.getProfile('operate'), originalOperate);
    assert.deepEqual(attacker.received, [], 'the new address received nothing');
  };

  const refusal = /changed: enter the secret again to send it to the new address/;

  test('RPC over HTTP: profiles:save and profiles:test are refused, naming the field', async () => {
    for (const edit of edits()) {
      const saved = await dashboardRpc(h, login, 'profiles:save', [{ profile: edit.profile, secrets: {} }]);
      assert.equal(saved.status, 200);
      assert.ok(!saved.result.ok, `${edit.field} save was accepted`);
      assert.equal(saved.result.error.kind, 'config');
      assert.match(saved.result.error.message, new RegExp(`${edit.field}: .*${refusal.source}`));
      const tested = await dashboardRpc<TestResult>(h, login, 'profiles:test', [{ profile: edit.profile, secrets: {} }]);
      const outcome = tested.result.ok ? tested.result.value : { ok: false, error: tested.result.error };
      assert.equal(outcome.ok, false, `${edit.field} test was run`);
      assert.match(outcome.error?.message ?? '', refusal);
    }
    assertUnchanged();
  });

  test('the engine (what IPC and RPC call): upsertProfile throws, testProfile fails, nothing is sent', async () => {
    for (const edit of edits()) {
      await assert.rejects(h.core.engine.upsertProfile(edit.profile), (error: Error) => {
        assert.match(error.message, new RegExp(`${edit.field}: .*${refusal.source}`));
        return true;
      });
      await assert.rejects(h.core.engine.upsertProfile(edit.profile, {}), refusal);
      const outcome = await h.core.engine.testProfile(edit.profile, {});
      assert.equal(outcome.ok, false);
      assert.match(outcome.error?.message ?? '', refusal);
      await assert.rejects(h.core.rpc['profiles:save']({ profile: edit.profile, secrets: {} }), refusal);
    }
    assertUnchanged();
  });

  test('the CLI cannot re-point an existing profile: `profile add` over its id is refused', async () => {
    const configDir = join(h.dir, 'config');
    for (const extra of [[], ['--secret-stdin']]) {
      const result = await runCli(
        ['profile', 'add', 'victim', '--provider', 'oauth2', '--client-id', original.clientId ?? '', '--token-url', `${attacker.url}/oauth/token`, '--config-dir', configDir, ...extra],
        { stdin: 'typed-secret' },
      );
      assert.notEqual(result.code, 0);
      assert.match(result.stderr, /already exists/);
    }
    assertUnchanged();
    // The stored secret still works against the real server.
    assert.ok((await h.core.engine.refresh('victim')).accessToken);
  });

  test('a name-only (scope, pause) edit needs no secret and keeps the stored one', async () => {
    const renamed = await dashboardRpc(h, login, 'profiles:save', [{ profile: { ...original, name: 'Renamed', scope: 'read' }, secrets: {} }]);
    assert.ok(renamed.result.ok, JSON.stringify(renamed.result));
    const paused = await h.core.engine.upsertProfile({ ...original, name: 'Renamed again', paused: true });
    assert.equal(paused.name, 'Renamed again');
    await h.core.engine.upsertProfile({ ...original, paused: false });
    assert.ok((await h.core.engine.refresh('victim')).accessToken, 'the stored secret still works');
    assert.deepEqual(attacker.received, []);
    original = h.store.getProfile('victim') as ProfileConfig;
  });

  test('with the secret given again the change is allowed, and the new address gets that secret', async () => {
    const moved = { ...original, tokenUrl: `${attacker.url}/oauth/token` };
    const saved = await dashboardRpc(h, login, 'profiles:save', [{ profile: moved, secrets: { clientSecret: 'given-again' } }]);
    assert.ok(saved.result.ok, JSON.stringify(saved.result));
    await assert.rejects(h.core.engine.refresh('victim'));
    assert.ok(attacker.received.length > 0);
    const sent = attacker.received.map((r) => `${r.headers.authorization ?? ''} ${r.body}`).join('\n');
    assert.ok(sent.includes(Buffer.from(`${original.clientId}:given-again`).toString('base64')) || sent.includes('given-again'));
    assert.ok(!sent.includes(encodeURIComponent(legit.credentials.clientSecret)) && !sent.includes(legit.credentials.clientSecret));
    // The Operate password likewise follows only when typed again.
    const operateMoved = await h.core.engine.upsertProfile({ ...originalOperate, baseUrl: attacker.url }, { password: 'typed-again' });
    assert.equal(operateMoved.id, 'operate');
    assert.ok(!JSON.stringify(attacker.received).includes(encodeURIComponent(operate.credentials.password)));
  });
});
