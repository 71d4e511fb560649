// The activity log's ring (docs/desktop.md): bounded, oldest first, and entries already handed out
// never change when the ring comes round and their slots are rewritten.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ActivityLog } from '../../main/core/activity-log.js';

const T0 = Date.parse('2026-11-22T10:00:00.000Z');

describe('ActivityLog', () => {
  test('keeps the newest entries, oldest first, with consecutive seq and ISO times', () => {
    const log = new ActivityLog(3);
    assert.equal(log.newest(), undefined);
    assert.deepEqual(log.list(), []);
    for (let i = 0; i < 5; i += 1) log.append(T0 + i * 1000, 'token-issued', 'p', `c${i}`);
    assert.equal(log.length, 3);
    assert.deepEqual(log.list(), [
      { seq: 3, at: '2026-11-22T10:00:02.000Z', kind: 'token-issued', profileId: 'p', client: 'c2' },
      { seq: 4, at: '2026-11-22T10:00:03.000Z', kind: 'token-issued', profileId: 'p', client: 'c3' },
      { seq: 5, at: '2026-11-22T10:00:04.000Z', kind: 'token-issued', profileId: 'p', client: 'c4' },
    ]);
    assert.deepEqual(log.newest(), { seq: 5, at: '2026-11-22T10:00:04.000Z', kind: 'token-issued', profileId: 'p', client: 'c4' });
  });

  test('absent fields stay absent, not undefined, also in a reused slot', () => {
    const log = new ActivityLog(1);
    log.append(T0, 'refresh-failed', 'p', undefined, 'Timed out. Retrying in 5 s.');
    assert.deepEqual(log.newest(), { seq: 1, at: '2026-11-22T10:00:00.000Z', kind: 'refresh-failed', profileId: 'p', detail: 'Timed out. Retrying in 5 s.' });
    log.append(T0 + 1, 'client-added', undefined, 'ci');
    const entry = log.newest();
    assert.deepEqual(entry, { seq: 2, at: '2026-11-22T10:00:00.001Z', kind: 'client-added', client: 'ci' });
    assert.deepEqual(Object.keys(entry ?? {}), ['seq', 'at', 'kind', 'client']);
  });

  test('entries handed out earlier do not change when their slots are rewritten', () => {
    const log = new ActivityLog(2);
    log.append(T0, 'token-issued', 'p', 'first');
    log.append(T0 + 1, 'token-issued', 'p', 'second');
    const listed = log.list();
    const newest = log.newest();
    for (let i = 0; i < 4; i += 1) log.append(T0 + 10 + i, 'refreshed', 'q', undefined, `d${i}`);
    assert.deepEqual(listed.map((e) => [e.seq, e.kind, e.client]), [[1, 'token-issued', 'first'], [2, 'token-issued', 'second']]);
    assert.equal(newest?.client, 'second');
    assert.deepEqual(log.list().map((e) => e.detail), ['d2', 'd3']);
  });

  test('refuses a capacity that is not a positive integer', () => {
    for (const capacity of [0, -1, 1.5, Number.NaN]) assert.throws(() => new ActivityLog(capacity), RangeError);
  });
});
