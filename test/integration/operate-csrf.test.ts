// Operate's CSRF token under both of its names: 8.5 says `OPERATE-X-CSRF-TOKEN`, 8.6
// `X-CSRF-TOKEN` (camunda/camunda PR 17570, PR 19305), as a response header or as a cookie. The
// provider captures whichever the local stand-in used, and a POST through the loopback proxy carries
// it back under that name only, so the stand-in (which refuses a write without it, like Operate) says 200.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startProviderServer, type ProviderServer } from '../support/servers/index.js';
import { startHarness, type Harness } from './api-harness.js';

const VARIANTS = [
  { operateVersion: '8.5', csrfIn: 'header' },
  { operateVersion: '8.6', csrfIn: 'header' },
  { operateVersion: '8.5', csrfIn: 'cookie' },
  { operateVersion: '8.6', csrfIn: 'cookie' },
] as const;

describe('Operate CSRF token names (8.5 and 8.6) through the proxy', () => {
  let h: Harness;
  const servers: ProviderServer[] = [];

  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
    await h.close();
  });

  for (const variant of VARIANTS) {
    test(`Operate ${variant.operateVersion}, token as a ${variant.csrfIn}: captured and sent back under ${variant.operateVersion === '8.5' ? 'OPERATE-X-CSRF-TOKEN' : 'X-CSRF-TOKEN'}`, async () => {
      const server = await startProviderServer('camunda-operate-cookie', variant);
      servers.push(server);
      const id = `operate-${variant.operateVersion.replace('.', '')}-${variant.csrfIn}`;
      await h.core.engine.upsertProfile(server.profile({ id, name: id }), server.secrets());

      const headers = await h.call('GET', `/v1/profiles/${id}/headers`);
      assert.equal(headers.status, 200, headers.body);
      const session = server.issued.at(-1);
      assert.ok(session?.csrfToken);
      const given = JSON.parse(headers.body) as Record<string, string>;
      assert.equal(given[server.csrfHeader], session.csrfToken, `the token under ${server.csrfHeader}`);
      const other = server.csrfHeader === 'X-CSRF-TOKEN' ? 'OPERATE-X-CSRF-TOKEN' : 'X-CSRF-TOKEN';
      assert.equal(given[other], undefined, `nothing under ${other}`);

      // A write, the case 8.5 refused with 403 before: the stand-in checks cookie and header name.
      const before = server.writes.length;
      const post = await h.call('POST', `/v1/proxy/${id}/process-instances/search`, {
        // The caller's own CSRF headers never pass through; the profile's replace them.
        headers: { 'Content-Type': 'application/json', 'X-CSRF-TOKEN': 'caller-csrf', 'OPERATE-X-CSRF-TOKEN': 'caller-csrf' },
        body: '{"filter":{}}',
      });
      assert.equal(post.status, 200, post.body);
      const write = server.writes[before];
      assert.ok(write);
      assert.equal(write.method, 'POST');
      assert.equal(write.status, 200);
      assert.equal(write.body, '{"filter":{}}');
      assert.equal(write.headers[server.csrfHeader.toLowerCase()], session.csrfToken);
      assert.equal(write.headers[other.toLowerCase()], undefined);
      assert.equal(write.headers.cookie, session.cookies?.join('; '));
      for (const method of ['PUT', 'PATCH', 'DELETE']) {
        // (node's client frames no body on DELETE, so that one goes without.)
        const body = method === 'DELETE' ? {} : { headers: { 'Content-Type': 'application/json' }, body: '{}' };
        const answer = await h.call(method, `/v1/proxy/${id}/process-instances/1`, body);
        assert.equal(answer.status, 200, `${method}: ${answer.body}`);
      }
      assert.deepEqual(server.writes.slice(before).map((w) => w.status), [200, 200, 200, 200]);
    });
  }

  test('the stand-in refuses a write under the other release\'s name, so the checks above can fail', async () => {
    const server = await startProviderServer('camunda-operate-cookie', { operateVersion: '8.5' });
    servers.push(server);
    await h.core.engine.upsertProfile(server.profile({ id: 'operate-wrong-name', name: 'wrong' }), server.secrets());
    const token = await h.core.engine.getToken('operate-wrong-name');
    const csrf = token.headers['OPERATE-X-CSRF-TOKEN'];
    assert.ok(csrf);
    const response = await fetch(`${server.apiUrl}/process-instances/search`, {
      method: 'POST',
      headers: { Cookie: token.headers.Cookie ?? '', 'X-CSRF-TOKEN': csrf },
      body: '{}',
    });
    assert.equal(response.status, 403);
  });
});
