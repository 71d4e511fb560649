// The relay's pure part (main/core/api/relay.ts): Basic decoding per RFC 6749 section 2.3.1,
// form and JSON bodies, the request checks, the target check with provider defaults, the answer's
// fields, and the per-client failure delays with their memory bound.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { resolveProfile } from '../../main/core/profiles.js';
import {
  checkTarget,
  FailureDelays,
  OAuthError,
  parseRelayBody,
  profileAudience,
  readBasicCredentials,
  readRelayRequest,
  relayRefusal,
  relayTokenJson,
  type RelayParams,
} from '../../main/core/api/relay.js';

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
const params = (entries: Record<string, string | string[]>): RelayParams =>
  new Map(Object.entries(entries).map(([k, v]) => [k, Array.isArray(v) ? v : [v]]));

function refusal(run: () => unknown): OAuthError {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof OAuthError, String(error));
    return error;
  }
  assert.fail('expected an OAuthError');
}

describe('readBasicCredentials', () => {
  test('form-urlencoded then base64: + is a space, %XX decoded, the first colon splits', () => {
    assert.deepEqual(readBasicCredentials(`Basic ${b64('my+app:s%3Ac+r%25t')}`), { clientId: 'my app', secret: 's:c r%t' });
    assert.deepEqual(readBasicCredentials(`basic ${b64('a:b:c')}`), { clientId: 'a', secret: 'b:c' });
    assert.deepEqual(readBasicCredentials(`BASIC ${b64('%C3%A9:x')}`), { clientId: 'é', secret: 'x' });
  });
  test('another scheme is undefined; unreadable Basic is null', () => {
    assert.equal(readBasicCredentials('Bearer abc'), undefined);
    assert.equal(readBasicCredentials('Basicabc'), undefined);
    assert.equal(readBasicCredentials('Basic '), null);
    assert.equal(readBasicCredentials('Basic !!!!'), null);
    assert.equal(readBasicCredentials(`Basic ${b64('no-colon')}`), null);
    assert.equal(readBasicCredentials(`Basic ${b64('a:%E0%A4%A')}`), null);
  });
});

describe('parseRelayBody', () => {
  test('a form, keeping repeated parameters', () => {
    const parsed = parseRelayBody('application/x-www-form-urlencoded; charset=utf-8', Buffer.from('grant_type=client_credentials&resource=a&resource=b&client_secret=x%2By+z'));
    assert.deepEqual(parsed.get('resource'), ['a', 'b']);
    assert.deepEqual(parsed.get('client_secret'), ['x+y z']);
  });
  test('Camunda\'s JSON body (seed 001), ignoring parameters it does not read whatever their type', () => {
    const parsed = parseRelayBody('application/json', Buffer.from('{"grant_type":"client_credentials", "audience":"api.cloud.camunda.io", "client_id":"XXX", "client_secret":"YYY", "extra": {"a": [1]}}'));
    assert.deepEqual([...parsed.entries()], [
      ['grant_type', ['client_credentials']],
      ['client_id', ['XXX']],
      ['client_secret', ['YYY']],
      ['audience', ['api.cloud.camunda.io']],
    ]);
    assert.deepEqual(parseRelayBody('application/json', Buffer.from('{"resource":["r1","r2"]}')).get('resource'), ['r1', 'r2']);
  });
  test('refuses bad JSON, non-objects, non-string values and other media types', () => {
    for (const [type, body] of [
      ['application/json', '{'],
      ['application/json', '"x"'],
      ['application/json', '[1]'],
      ['application/json', '{"client_id": 1}'],
      ['application/json', '{"resource": [1]}'],
      ['text/plain', 'grant_type=client_credentials'],
      [undefined, 'grant_type=client_credentials'],
    ] as const) {
      const error = refusal(() => parseRelayBody(type, Buffer.from(body)));
      assert.equal(error.status, 400);
      assert.equal(error.error, 'invalid_request');
    }
  });
});

describe('readRelayRequest', () => {
  const basicHeader = `Basic ${b64('app:ttk_key')}`;
  test('Basic, post and JSON credentials', () => {
    assert.deepEqual(readRelayRequest(basicHeader, params({ grant_type: 'client_credentials', client_id: 'app' }), false), {
      clientId: 'app',
      secret: 'ttk_key',
      method: 'client_secret_basic',
      audience: undefined,
      resources: [],
    });
    const post = readRelayRequest(undefined, params({ grant_type: 'client_credentials', client_id: 'app', client_secret: 's', audience: 'aud', resource: ['r'] }), false);
    assert.equal(post.method, 'client_secret_post');
    assert.equal(post.audience, 'aud');
    assert.deepEqual(post.resources, ['r']);
    assert.equal(readRelayRequest(undefined, params({ grant_type: 'client_credentials', client_id: 'app', client_secret: 's' }), true).method, 'json');
  });
  test('every refusal, with its status and error code', () => {
    const cases: [string | undefined, Record<string, string | string[]>, number, string][] = [
      [undefined, { client_id: 'app', client_secret: 's' }, 400, 'invalid_request'],
      [undefined, { grant_type: ['client_credentials', 'client_credentials'], client_id: 'app', client_secret: 's' }, 400, 'invalid_request'],
      [undefined, { grant_type: 'client_credentials', client_id: ['a', 'b'], client_secret: 's' }, 400, 'invalid_request'],
      [undefined, { grant_type: 'authorization_code', client_id: 'app', client_secret: 's' }, 400, 'unsupported_grant_type'],
      [basicHeader, { grant_type: 'client_credentials', client_secret: 's' }, 400, 'invalid_request'],
      [basicHeader, { grant_type: 'client_credentials', client_id: 'someone-else' }, 400, 'invalid_request'],
      [undefined, { grant_type: 'client_credentials', client_id: 'app' }, 401, 'invalid_client'],
      [undefined, { grant_type: 'client_credentials', client_secret: 's' }, 401, 'invalid_client'],
      ['Bearer ttk_key', { grant_type: 'client_credentials' }, 401, 'invalid_client'],
      ['Basic %%%', { grant_type: 'client_credentials' }, 401, 'invalid_client'],
    ];
    for (const [authorization, fields, status, code] of cases) {
      const error = refusal(() => readRelayRequest(authorization, params(fields), false));
      assert.equal(error.status, status, JSON.stringify(fields));
      assert.equal(error.error, code, JSON.stringify(fields));
      assert.equal(error.headers['WWW-Authenticate'], authorization?.startsWith('Basic') && status === 401 ? 'Basic realm="tokentray"' : undefined);
    }
  });
});

describe('checkTarget', () => {
  const request = (audience?: string, resources: string[] = []) => ({ clientId: 'a', secret: 's', method: 'json' as const, audience, resources });
  test('the profile\'s own audience (provider default resolved) or none passes; any other names the profile\'s', () => {
    const console = profileAudience(resolveProfile({ id: 'c', name: 'c', provider: 'camunda-console' }));
    assert.equal(console, 'api.cloud.camunda.io');
    assert.equal(checkTarget(request(), console), null);
    assert.equal(checkTarget(request('api.cloud.camunda.io', ['api.cloud.camunda.io']), console), null);
    const other = checkTarget(request('zeebe.camunda.io'), console);
    assert.equal(other?.error, 'invalid_target');
    assert.equal(other?.status, 400);
    assert.match(other?.description ?? '', /"api\.cloud\.camunda\.io"/);
    assert.equal(checkTarget(request(undefined, ['https://x.example']), console)?.error, 'invalid_target');
    const none = profileAudience(resolveProfile({ id: 'o', name: 'o', provider: 'oauth2' }));
    assert.equal(none, undefined);
    assert.match(checkTarget(request('x'), none)?.description ?? '', /without an audience/);
    assert.equal(profileAudience(resolveProfile({ id: 'o', name: 'o', provider: 'oauth2', extraParams: { audience: 'from-extra' } })), 'from-extra');
  });
});

describe('relayRefusal and relayTokenJson', () => {
  test('cookie and Basic profiles are refused with a reason; bearer providers pass', () => {
    assert.match(relayRefusal('camunda-operate-cookie') ?? '', /session cookie/);
    assert.match(relayRefusal('sendcloud-basic') ?? '', /HTTP Basic/);
    for (const id of ['redpanda', 'camunda-console', 'camunda-operate', 'camunda-operate-identity', 'acquia', 'sendcloud-oauth2', 'oauth2'] as const) {
      assert.equal(relayRefusal(id), null, id);
    }
  });
  test('RFC 6749 section 5.1 fields, expires_in counted from now and rounded down, scope only when known', () => {
    const token = { accessToken: 'at', tokenType: 'bearer', headers: {}, obtainedAt: 0, expiresAt: 10_999 };
    assert.deepEqual(JSON.parse(relayTokenJson(token, 1000)), { access_token: 'at', token_type: 'Bearer', expires_in: 9 });
    assert.deepEqual(JSON.parse(relayTokenJson({ ...token, scope: 'a b' }, 20_000)), { access_token: 'at', token_type: 'Bearer', expires_in: 0, scope: 'a b' });
    assert.deepEqual(JSON.parse(relayTokenJson({ ...token, expiresAt: null }, 0)), { access_token: 'at', token_type: 'Bearer' });
  });
});

describe('FailureDelays', () => {
  const options = { baseMs: 100, maxMs: 1000, forgetMs: 60_000, capacity: 3 };
  test('doubles per failure of one client_id up to the cap; another client starts over; success clears', () => {
    const delays = new FailureDelays(options);
    assert.deepEqual([1, 2, 3, 4, 5, 6].map((i) => delays.fail('app', i)), [100, 200, 400, 800, 1000, 1000]);
    assert.equal(delays.fail('other', 10), 100);
    delays.succeed('app');
    assert.equal(delays.fail('app', 11), 100);
  });
  test('failures older than forgetMs are forgotten', () => {
    const delays = new FailureDelays(options);
    delays.fail('app', 0);
    delays.fail('app', 1);
    assert.equal(delays.fail('app', 2), 400);
    assert.equal(delays.fail('app', 2 + 60_000), 100);
  });
  test('memory is bounded: the stalest client is dropped, and ids that cannot be key names share one entry', () => {
    const delays = new FailureDelays(options);
    delays.fail('a', 1);
    delays.fail('a', 2);
    delays.fail('b', 3);
    delays.fail('c', 4);
    delays.fail('d', 5);
    assert.equal(delays.size, 3);
    // 'a' was the stalest and was dropped: it starts over.
    assert.equal(delays.fail('a', 6), 100);
    for (let i = 0; i < 50; i += 1) delays.fail(`not a name ${i} ${'x'.repeat(100)}`, 10 + i);
    assert.equal(delays.size, 3);
    assert.equal(delays.fail('also not a name!', 100), 1000);
  });
});
