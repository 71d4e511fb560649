// The loopback server's router (main/core/api/router.ts): patterns, the most specific route winning
// whatever the order of registration, and the methods a 405 names.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Router, type Handler, type RouteSpec } from '../../main/core/api/router.js';

const noop: Handler = () => undefined;
const route = (path: string, methods: RouteSpec['methods'] = { GET: noop }): RouteSpec => ({ path, access: 'open', methods });

describe('router', () => {
  test('literal paths, {param} segments and a trailing {rest*} match as documented', () => {
    const router = new Router()
      .add(route('/v1/health'))
      .add(route('/v1/profiles/{id}/token'))
      .add(route('/v1/proxy/{id}/{path*}'));
    assert.equal(router.match('/v1/health')?.route.path, '/v1/health');
    assert.deepEqual(router.match('/v1/profiles/p-1/token')?.params, { id: 'p-1' });
    assert.deepEqual(router.match('/v1/proxy/p/a/b/c')?.params, { id: 'p', path: 'a/b/c' });
    assert.deepEqual(router.match('/v1/proxy/p/')?.params, { id: 'p', path: '' });
    // A {param} is one non-empty segment; a {rest*} needs the slash before it.
    for (const miss of ['/v1/profiles//token', '/v1/profiles/a/b/token', '/v1/profiles/p/token/', '/v1/proxy/p', '/v1/health/', '/v1', '', 'v1/health']) {
      assert.equal(router.match(miss), null, miss);
    }
  });

  test('the most specific route wins, whatever the order the areas registered in', () => {
    const paths = ['/{file*}', '/v1/{rest*}', '/v1/profiles/{id}/token', '/v1/profiles/{id}/oauth/token', '/ui/{rest*}', '/ui/rpc/{channel*}'];
    for (const order of [paths, [...paths].reverse()]) {
      const router = new Router();
      for (const path of order) router.add(route(path));
      assert.equal(router.match('/v1/profiles/a/token')?.route.path, '/v1/profiles/{id}/token');
      assert.equal(router.match('/v1/profiles/a/oauth/token')?.route.path, '/v1/profiles/{id}/oauth/token');
      assert.equal(router.match('/v1/profiles/a/nothing')?.route.path, '/v1/{rest*}');
      assert.equal(router.match('/ui/rpc/profiles%3Alist')?.route.path, '/ui/rpc/{channel*}');
      assert.deepEqual(router.match('/ui/rpc/')?.params, { channel: '' });
      assert.equal(router.match('/ui/rpc')?.route.path, '/ui/{rest*}');
      assert.equal(router.match('/assets/app.js')?.route.path, '/{file*}');
      assert.equal(router.match('/')?.route.path, '/{file*}');
    }
  });

  test('a method without a handler finds none (a 405 naming the others, HEAD left out); ANY takes the rest', () => {
    const get: Handler = () => undefined;
    const any: Handler = () => undefined;
    const router = new Router().add(route('/a', { GET: get, HEAD: get })).add(route('/b/{id}', { POST: get, ANY: any }));
    const a = router.match('/a');
    assert.ok(a !== null);
    assert.equal(a.route.allow, 'GET');
    assert.equal(Router.handlerFor(a.route, 'HEAD'), get);
    assert.equal(Router.handlerFor(a.route, 'DELETE'), undefined);
    const b = router.match('/b/x');
    assert.ok(b !== null);
    assert.equal(Router.handlerFor(b.route, 'POST'), get);
    assert.equal(Router.handlerFor(b.route, 'PATCH'), any);
  });

  test('bad patterns and a second route for one pattern are refused when registered', () => {
    const router = new Router().add(route('/v1/profiles/{id}'));
    assert.throws(() => router.add(route('/v1/profiles/{id}')), /Two routes/);
    assert.throws(() => router.add(route('v1/x')), /starts with/);
    assert.throws(() => router.add(route('/v1/{rest*}/x')), /last segment/);
    assert.throws(() => router.add(route('/v1/a{id}')), /literal or one/);
  });
});
