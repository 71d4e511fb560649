// Client keys (docs/http-api.md): hashed at rest, recognised in constant time, and the per-snapshot
// index the loopback API checks every request against.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ClientKeyIndex, createClientKey, findClientByKey, hashClientKey, sameInConstantTime } from '../../main/core/clients/client-keys.js';

describe('client keys', () => {
  const now = new Date('2026-11-22T10:00:00Z');
  const a = createClientKey('a', null, now);
  const b = createClientKey('b', ['p1'], now);
  const records = [a.record, b.record];

  test('a new key is random, prefixed, and only its hash is in the record', () => {
    assert.match(a.key, /^ttk_[A-Za-z0-9_-]{43}$/);
    assert.notEqual(a.key, b.key);
    assert.equal(a.record.hash, hashClientKey(a.key));
    assert.ok(!JSON.stringify(a.record).includes(a.key.slice(4)));
  });

  test('findClientByKey finds the record whose hash matches, and nothing for any other string', () => {
    assert.equal(findClientByKey(records, a.key), a.record);
    assert.equal(findClientByKey(records, b.key), b.record);
    for (const wrong of ['', a.key.slice(0, -1), `${a.key}x`, a.record.hash, b.key.toUpperCase()]) {
      assert.equal(findClientByKey(records, wrong), undefined, wrong);
    }
  });

  test('ClientKeyIndex answers like findClientByKey, the first time and every time after', () => {
    const index = new ClientKeyIndex(records);
    for (let round = 0; round < 3; round += 1) {
      assert.equal(index.find(a.key), a.record);
      assert.equal(index.find(b.key), b.record);
      assert.equal(index.find(`${a.key.slice(0, -1)}${a.key.endsWith('A') ? 'B' : 'A'}`), undefined);
      assert.equal(index.find(''), undefined);
    }
  });

  test('a key dropped from the records is not found by the next index, though the last one accepted it', () => {
    const before = new ClientKeyIndex(records);
    assert.equal(before.find(a.key), a.record);
    const after = new ClientKeyIndex([b.record]);
    assert.equal(after.find(a.key), undefined);
    assert.equal(after.find(b.key), b.record);
  });

  test('sameInConstantTime is plain equality', () => {
    assert.equal(sameInConstantTime('', ''), true);
    assert.equal(sameInConstantTime(a.key, `${a.key}`), true);
    assert.equal(sameInConstantTime(a.key, b.key), false);
    assert.equal(sameInConstantTime(a.key, a.key.slice(0, -1)), false);
    assert.equal(sameInConstantTime(a.key.slice(0, -1), a.key), false);
    assert.equal(sameInConstantTime('', 'x'), false);
    // Differences anywhere count, including the first and the last character.
    assert.equal(sameInConstantTime('xbc', 'abc'), false);
    assert.equal(sameInConstantTime('abx', 'abc'), false);
  });
});
