// The fleet's records and cache keys as pure functions (docs/shared-cache.md): sealing binds the
// cache key, the kind and the header; a wrong key, a moved record or one changed byte is refused;
// cache keys follow the credential, not the profile id.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { cacheKeyOf, redisKeys } from '../../main/core/fleet/cache-key.js';
import { fleetKeyId, generateFleetKey, openRecord, parseFleetKey, readHeader, sealRecord, type FleetKeys } from '../../main/core/fleet/record-crypto.js';
import { resolveProfile } from '../../main/core/profiles.js';
import { readFleetKeys, resolveSharedCacheUrl } from '../../main/node/shared-cache/open.js';
import type { ProfileConfig } from '../../common/contract.js';

const key = parseFleetKey(generateFleetKey(), 'test');
const other = parseFleetKey(generateFleetKey(), 'test');
const keys: FleetKeys = { current: key, previous: null };
const CACHE_KEY = 'a'.repeat(64);

function profile(overrides: Partial<ProfileConfig>): ProfileConfig {
  return { id: 'p', name: 'p', provider: 'oauth2', tokenUrl: 'https://auth.example.com/token', clientId: 'client-1', ...overrides };
}

describe('fleet records', () => {
  it('round-trips a payload and keeps the token out of the clear text', () => {
    const sealed = sealRecord(key, CACHE_KEY, 'token', 1_900_000_000_000, { accessToken: 'secret-token-value' });
    assert.doesNotMatch(sealed, /secret-token-value/);
    assert.equal(Buffer.from(sealed).includes(Buffer.from('secret-token-value')), false);
    assert.deepEqual(readHeader(sealed), { kind: 'token', keyId: key.id, until: 1_900_000_000_000 });
    const opened = openRecord(keys, CACHE_KEY, 'token', sealed);
    assert.equal(opened.ok, true);
    assert.deepEqual(opened.ok && opened.payload, { accessToken: 'secret-token-value' });
  });

  it('refuses a record moved to another cache key, read as another kind, or with a changed expiry', () => {
    const sealed = sealRecord(key, CACHE_KEY, 'token', 1_900_000_000_000, { accessToken: 't' });
    assert.deepEqual(openRecord(keys, 'b'.repeat(64), 'token', sealed), { ok: false, reason: 'tampered' });
    assert.deepEqual(openRecord(keys, CACHE_KEY, 'stop', sealed), { ok: false, reason: 'format' });
    const later = sealed.replace('.1900000000000.', '.1900000000001.');
    assert.deepEqual(openRecord(keys, CACHE_KEY, 'token', later), { ok: false, reason: 'tampered' });
  });

  it('refuses every single changed byte of the ciphertext', () => {
    const sealed = sealRecord(key, CACHE_KEY, 'token', 1_900_000_000_000, { accessToken: 'abc' });
    const parts = sealed.split('.');
    const body = Buffer.from(parts[5] as string, 'base64url');
    for (let i = 0; i < body.length; i += 1) {
      const changed = Buffer.from(body);
      changed[i] = (changed[i] as number) ^ 0x01;
      const text = [...parts.slice(0, 5), changed.toString('base64url')].join('.');
      assert.equal(openRecord(keys, CACHE_KEY, 'token', text).ok, false, `byte ${i}`);
    }
  });

  it('names a record of another fleet key as such, and reads the previous key during a rotation', () => {
    const old = sealRecord(other, CACHE_KEY, 'token', 1, { accessToken: 'x' });
    assert.deepEqual(openRecord(keys, CACHE_KEY, 'token', old), { ok: false, reason: 'foreign-key' });
    assert.equal(openRecord({ current: key, previous: other }, CACHE_KEY, 'token', old).ok, true);
  });

  it('parses 32-byte keys in base64 and base64url, and refuses any other length without echoing the value', () => {
    const bytes = randomBytes(32);
    assert.equal(parseFleetKey(bytes.toString('base64'), 'x').id, fleetKeyId(bytes));
    assert.equal(parseFleetKey(bytes.toString('base64url'), 'x').id, fleetKeyId(bytes));
    const short = randomBytes(16).toString('base64');
    assert.throws(() => parseFleetKey(short, 'TOKENTRAY_SHARED_KEY'), (error: Error & { kind?: string }) => {
      assert.equal(error.kind, 'usage');
      assert.match(error.message, /not 32 bytes of base64 \(it decodes to 16 bytes\)/);
      assert.equal(error.message.includes(short), false);
      return true;
    });
    assert.throws(() => parseFleetKey('not base64 at all!', 'x'), /not 32 bytes of base64/);
  });

  it('reads the fleet key from the environment or a file, and refuses none, both, or a bad previous key', () => {
    assert.throws(() => readFleetKeys({}), /no fleet key/);
    assert.throws(() => readFleetKeys({ TOKENTRAY_SHARED_KEY: generateFleetKey(), TOKENTRAY_SHARED_KEY_FILE: '/x' }), /Both/);
    assert.throws(() => readFleetKeys({ TOKENTRAY_SHARED_KEY_FILE: '/nonexistent/key' }), /cannot be read \(ENOENT\)/);
    assert.throws(() => readFleetKeys({ TOKENTRAY_SHARED_KEY: generateFleetKey(), TOKENTRAY_SHARED_KEY_PREVIOUS: 'abc' }), /TOKENTRAY_SHARED_KEY_PREVIOUS/);
    const current = generateFleetKey();
    assert.equal(readFleetKeys({ TOKENTRAY_SHARED_KEY: current }).current.id, fleetKeyId(Buffer.from(current, 'base64')));
  });
});

describe('shared cache URLs', () => {
  it('takes the flag, then the environment, then the setting', () => {
    assert.equal(resolveSharedCacheUrl({ flag: 'redis://a:1', env: { TOKENTRAY_SHARED_CACHE: 'redis://b:2' }, setting: 'redis://c:3' })?.url.host, 'a:1');
    assert.equal(resolveSharedCacheUrl({ env: { TOKENTRAY_SHARED_CACHE: 'redis://b:2' }, setting: 'redis://c:3' })?.url.host, 'b:2');
    assert.equal(resolveSharedCacheUrl({ env: {}, setting: 'rediss://c:3/2' })?.url.host, 'c:3');
    assert.equal(resolveSharedCacheUrl({ env: {} }), null);
  });

  it('refuses malformed URLs, other schemes, paths, and a password outside the environment, never echoing it', () => {
    for (const [flag, words] of [
      ['not a url', /is not a URL/],
      ['http://host:6379', /must start with redis:\/\/ or rediss:\/\//],
      ['redis://host:6379/cache', /database number/],
      ['redis://host:6379/99', /database number/],
      ['redis://host:6379/?x=1', /query/],
      ['', /is empty/],
    ] as const) {
      assert.throws(() => resolveSharedCacheUrl({ flag, env: {} }), words, flag);
    }
    assert.throws(
      () => resolveSharedCacheUrl({ flag: 'redis://user:hunter2-pass@host:6379', env: {} }),
      (error: Error) => /holds a password/.test(error.message) && !error.message.includes('hunter2-pass'),
    );
    assert.equal(resolveSharedCacheUrl({ env: { TOKENTRAY_SHARED_CACHE: 'redis://user:pw@host:6379' } })?.url.password, 'pw');
  });
});

describe('cache keys', () => {
  it('name the credential: other profile ids share, written-out defaults share, other audiences and scopes do not', () => {
    const base = cacheKeyOf(resolveProfile(profile({})));
    assert.match(base ?? '', /^[0-9a-f]{64}$/);
    assert.equal(cacheKeyOf(resolveProfile(profile({ id: 'other', name: 'Other' }))), base);
    assert.equal(cacheKeyOf(resolveProfile(profile({ tokenUrl: 'https://AUTH.example.com/token/' }))), base);
    assert.notEqual(cacheKeyOf(resolveProfile(profile({ audience: 'a' }))), base);
    assert.notEqual(cacheKeyOf(resolveProfile(profile({ scope: 's' }))), base);
    assert.notEqual(cacheKeyOf(resolveProfile(profile({ clientId: 'client-2' }))), base);
    assert.notEqual(cacheKeyOf(resolveProfile(profile({ extraParams: { resource: 'x' } }))), base);
    assert.equal(
      cacheKeyOf(resolveProfile(profile({ extraParams: { a: '1', b: '2' } }))),
      cacheKeyOf(resolveProfile(profile({ extraParams: { b: '2', a: '1' } }))),
    );
    const redpanda = { id: 'r', name: 'r', provider: 'redpanda', clientId: 'c' } as const;
    assert.equal(cacheKeyOf(resolveProfile(redpanda)), cacheKeyOf(resolveProfile({ ...redpanda, tokenUrl: 'https://auth.prd.cloud.redpanda.com/oauth/token' })));
  });

  it('share nothing for Basic credentials, and keep every Redis key under tokentray: in one hash slot', () => {
    assert.equal(cacheKeyOf(resolveProfile({ id: 's', name: 's', provider: 'sendcloud-basic', clientId: 'pub' })), null);
    const names = Object.values(redisKeys(CACHE_KEY));
    for (const name of names) assert.ok(name.startsWith(`tokentray:{${CACHE_KEY}}:`), name);
  });
});
