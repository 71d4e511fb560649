// One reader of problem+json answers (common/problem.ts) for the CLI's app client and the headless
// dashboard's bridge: the kind from the type, the detail (else the title) and the hint, and a
// status-based fallback for a body that is not one of ours.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readProblem, readProblemText } from '../../common/problem.js';
import { problemOf } from '../../main/node/app-call.js';

describe('readProblem', () => {
  it('reads kind, detail and hint from one of our problem documents', () => {
    const body = { type: 'urn:tokentray:problem:no_valid_token', title: 'Service unavailable', status: 503, detail: 'No token now.', hint: 'Wait.' };
    assert.deepEqual(readProblem(body, 503), { kind: 'no_valid_token', message: 'No token now.', hint: 'Wait.' });
    assert.deepEqual(readProblemText(JSON.stringify(body), 503), { kind: 'no_valid_token', message: 'No token now.', hint: 'Wait.' });
  });

  it('falls back to the title, then the status, and never invents a kind', () => {
    assert.deepEqual(readProblem({ type: 'https://example.com/other', title: 'Nope' }, 500), { kind: 'internal', message: 'Nope' });
    assert.deepEqual(readProblemText('<html>gateway</html>', 502), { kind: 'internal', message: 'Tokentray answered with HTTP 502.' });
    assert.deepEqual(readProblemText('', 404), { kind: 'not_found', message: 'Tokentray answered with HTTP 404.' });
    assert.deepEqual(readProblem(null, 500), { kind: 'internal', message: 'Tokentray answered with HTTP 500.' });
  });

  it('is what the CLI reads, which takes a refused key as the app being unavailable', () => {
    const refused = { type: 'urn:tokentray:problem:unauthorized', detail: 'No key.', hint: 'Add one.' };
    assert.deepEqual(problemOf({ status: 401, body: JSON.stringify(refused) }), { kind: 'app_unavailable', message: 'No key.', hint: 'Add one.' });
    const missing = { type: 'urn:tokentray:problem:not_found', detail: 'There is no profile "x".' };
    assert.deepEqual(problemOf({ status: 404, body: JSON.stringify(missing) }), readProblem(missing, 404));
  });
});
