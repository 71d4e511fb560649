// Error kinds are one list in common/errors.ts: the loopback API names them in its
// problem+json type, the app client and the dashboard read them back from there, and "there is no
// profile" is built once, so every door says it in the same words with the same hint.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  ERROR_KINDS,
  NO_SUCH_PROFILE_HINT,
  PROBLEM_TYPE_PREFIX,
  isErrorKind,
  kindOfProblemType,
  noSuchProfileMessage,
  problemType,
} from '../../common/errors.js';
import { HttpProblem, problemFromError, statusForKind } from '../../main/core/api/problem.js';
import { TokentrayError } from '../../main/core/errors.js';
import { createRpcHandlers, dispatchRpc } from '../../main/core/rpc.js';
import { removeTempConfigDirs, runCli, tempConfigDir } from '../support/cli.js';
import { createHarness } from '../support/engine-harness.js';
import { FakeClock } from '../support/fake-clock.js';
import { startHarness, type Harness } from './api-harness.js';

after(removeTempConfigDirs);

describe('one list of error kinds', () => {
  test('every kind survives the trip through a problem type, and nothing else is read as one', () => {
    assert.equal(new Set(ERROR_KINDS).size, ERROR_KINDS.length, 'no kind is listed twice');
    for (const kind of ERROR_KINDS) {
      assert.equal(kindOfProblemType(problemType(kind)), kind);
      assert.equal(new HttpProblem(statusForKind(kind), kind, 'x').toProblem().type, `${PROBLEM_TYPE_PREFIX}${kind}`);
    }
    for (const foreign of ['urn:tokentray:problem:expired', 'about:blank', 'not_found', `${PROBLEM_TYPE_PREFIX}`, 42, null, undefined]) {
      assert.equal(kindOfProblemType(foreign), undefined, String(foreign));
    }
    assert.equal(isErrorKind('network'), true);
    assert.equal(isErrorKind('http'), false, 'the dashboard no longer invents kinds of its own');
  });

  test('caller refusals land on 401 and 403 wherever they are raised', () => {
    assert.equal(problemFromError(new TokentrayError('unauthorized', 'no key')).status, 401);
    assert.equal(problemFromError(new TokentrayError('session', 'ended')).status, 401);
    assert.equal(problemFromError(new TokentrayError('forbidden', 'not this profile')).status, 403);
    assert.equal(problemFromError(new TokentrayError('not_found', 'gone')).status, 404);
  });
});

describe('"there is no profile", said once', () => {
  let api: Harness;
  before(async () => {
    api = await startHarness();
  });
  after(async () => {
    await api.close();
  });

  test('the engine, the RPC, the API, the proxy and the CLI give the same message and hint', async () => {
    const expected = { message: noSuchProfileMessage('ghost'), hint: NO_SUCH_PROFILE_HINT };

    const { engine, store } = await createHarness({ profiles: [] });
    const fromEngine = await engine.getToken('ghost').then(
      () => assert.fail('a token for a profile that does not exist'),
      (error: unknown) => error as TokentrayError,
    );
    assert.deepEqual({ kind: fromEngine.kind, message: fromEngine.message, hint: fromEngine.hint }, { kind: 'not_found', ...expected });

    const rpc = createRpcHandlers({ engine, store, clock: new FakeClock() });
    for (const channel of ['tokens:get', 'profiles:get'] as const) {
      const viaRpc = await dispatchRpc(rpc, channel, ['ghost']);
      assert.ok(!viaRpc.ok, channel);
      assert.deepEqual({ kind: viaRpc.error.kind, message: viaRpc.error.message, hint: viaRpc.error.hint }, { kind: 'not_found', ...expected }, channel);
    }

    for (const path of ['/v1/profiles/ghost/token', '/v1/profiles/ghost/headers', '/v1/proxy/ghost/anything']) {
      const answer = await api.call('GET', path);
      assert.equal(answer.status, 404, path);
      const problem = JSON.parse(answer.body) as { type: string; detail: string; hint?: string };
      assert.deepEqual({ kind: kindOfProblemType(problem.type), message: problem.detail, hint: problem.hint }, { kind: 'not_found', ...expected }, path);
    }

    const configDir = await tempConfigDir();
    const viaCli = await runCli(['token', 'ghost', '--config-dir', configDir]);
    assert.equal(viaCli.code, 3, viaCli.stderr);
    assert.ok(viaCli.stderr.includes(expected.message), viaCli.stderr);
    assert.ok(viaCli.stderr.includes(expected.hint), viaCli.stderr);
  });
});
