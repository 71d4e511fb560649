// The engine's own ISO formatting must write what Date#toISOString writes, for every time it meets:
// statuses, activity entries and the history files carry these strings on the wire and on disk.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isoTime } from '../../main/core/engine/iso-time.js';
import { seededRandom } from '../support/engine-harness.js';

const DAY = 86_400_000;

describe('isoTime', () => {
  it('matches toISOString at the edges of days, months, leap years and the table', () => {
    const edges = [
      0,
      1,
      999,
      1000,
      DAY - 1,
      DAY,
      Date.UTC(2024, 1, 29, 23, 59, 59, 999),
      Date.UTC(2024, 2, 1),
      Date.UTC(2025, 0, 1, 12, 0, 0),
      Date.UTC(2025, 11, 31, 23, 59, 59, 999),
      Date.UTC(2100, 1, 28, 23, 59, 59, 999),
      Date.UTC(9999, 11, 31, 23, 59, 59, 999),
      Date.UTC(10000, 0, 1),
      -1,
      -DAY - 1,
      Date.UTC(1969, 11, 31, 23, 59, 59, 500),
      8.64e15,
    ];
    for (const at of edges) assert.equal(isoTime(at), new Date(at).toISOString(), `at ${at}`);
  });

  it('drops a fraction of a millisecond as a Date does', () => {
    for (const at of [0.4, 0.999, 1_735_732_800_000.75, DAY - 0.5, -0.5, -1.5]) assert.equal(isoTime(at), new Date(at).toISOString(), `at ${at}`);
  });

  it('matches toISOString for times all over its range, in any order', () => {
    const random = seededRandom(23);
    for (let i = 0; i < 20_000; i += 1) {
      const at = Math.floor(random() * 300_000_000_000_000) - 10_000_000_000_000;
      assert.equal(isoTime(at), new Date(at).toISOString(), `at ${at}`);
    }
    // Neighbouring times of one day, as a running engine formats them, after a jump to another day.
    const start = Date.UTC(2026, 11, 5, 23, 59, 0);
    for (let at = start; at < start + 120_000; at += 997) assert.equal(isoTime(at), new Date(at).toISOString(), `at ${at}`);
  });

  it('throws the RangeError a Date throws for a time that is not one', () => {
    for (const at of [Number.NaN, Number.POSITIVE_INFINITY, 8.64e15 + 1]) {
      assert.throws(() => isoTime(at), RangeError);
    }
  });
});
