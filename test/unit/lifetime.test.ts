// The engine's time rules as pure functions (docs/refreshing.md): nothing here needs a clock or a timer.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isValid, nextBoundary, refreshPoint, retryTime, stateAt, validUntil, type StateFacts } from '../../main/core/engine/lifetime.js';
import type { Token } from '../../main/core/types.js';

const SEC = 1000;
const T0 = 1_800_000_000_000;

function token(lifetimeSec: number | null): Token {
  return {
    accessToken: 'fake',
    tokenType: 'Bearer',
    headers: { Authorization: 'Bearer fake' },
    obtainedAt: T0,
    expiresAt: lifetimeSec === null ? null : T0 + lifetimeSec * SEC,
  };
}

const RULES = { refreshFraction: 0.75, jitterFraction: 0.025 };
const BACKOFF = { baseMs: 2 * SEC, maxMs: 300 * SEC };

describe('lifetime rules', () => {
  it('keeps a safety margin of 5 s, or 10% of a very short lifetime, and never expires a Basic credential', () => {
    assert.equal(validUntil(token(300)), T0 + 295 * SEC);
    assert.equal(validUntil(token(20)), T0 + 18 * SEC);
    assert.equal(validUntil(token(null)), Number.POSITIVE_INFINITY);
    assert.equal(isValid(token(300), T0 + 294_999), true);
    assert.equal(isValid(token(300), T0 + 295 * SEC), false);
    assert.equal(isValid(null, T0), false);
  });

  it('renews a 300 s token at 225 s, moved by at most 2.5% of the lifetime, and never a Basic credential', () => {
    assert.equal(refreshPoint(token(300), RULES, () => 0.5), T0 + 225 * SEC);
    assert.equal(refreshPoint(token(300), RULES, () => 0), T0 + 217.5 * SEC);
    assert.ok(refreshPoint(token(300), RULES, () => 0.999999)! < T0 + 232.5 * SEC);
    assert.equal(refreshPoint(token(null), RULES, () => 0.5), null);
    // A refresh point past the margin is pulled back to the end of validity.
    assert.equal(refreshPoint(token(300), { refreshFraction: 1, jitterFraction: 0 }, () => 0.5), T0 + 295 * SEC);
  });

  it('backs off exponentially, honours Retry-After, and tries once more before a valid token expires', () => {
    const now = T0 + 230 * SEC;
    // No token: plain backoff (random near 1 takes the ceiling: 2, 4, 8 s).
    assert.equal(retryTime(null, 1, undefined, now, BACKOFF, () => 0.999999), now + 2 * SEC);
    assert.ok(Math.abs(retryTime(null, 3, undefined, now, BACKOFF, () => 0.999999) - (now + 8 * SEC)) < 1);
    assert.equal(retryTime(null, 1, 120 * SEC, now, BACKOFF, () => 0), now + 120 * SEC);
    // A valid token (until 295 s): a 300 s backoff is pulled in to the last chance at 295 - 30 = 265 s.
    assert.equal(retryTime(token(300), 20, undefined, now, BACKOFF, () => 0.999999), T0 + 265 * SEC);
    // ... unless Retry-After asks for later than that.
    assert.equal(retryTime(token(300), 20, 60 * SEC, now, BACKOFF, () => 0.999999) > T0 + 265 * SEC, true);
  });

  it('derives the state from the facts and now', () => {
    const base: StateFacts = {
      paused: false,
      refreshing: false,
      stopped: false,
      token: token(300),
      refreshAt: T0 + 225 * SEC,
      failing: false,
      leadMs: 60 * SEC,
    };
    assert.equal(stateAt(base, T0 + 10 * SEC), 'fresh');
    assert.equal(stateAt(base, T0 + 226 * SEC), 'expiring');
    assert.equal(stateAt(base, T0 + 296 * SEC), 'expired');
    assert.equal(stateAt({ ...base, failing: true }, T0 + 296 * SEC), 'error');
    assert.equal(stateAt({ ...base, failing: true, refreshAt: null }, T0 + 241 * SEC), 'expiring', 'failing inside the lead time');
    assert.equal(stateAt({ ...base, failing: true, refreshAt: null }, T0 + 239 * SEC), 'fresh');
    assert.equal(stateAt({ ...base, stopped: true }, T0), 'error');
    assert.equal(stateAt({ ...base, refreshing: true, stopped: true }, T0), 'refreshing');
    assert.equal(stateAt({ ...base, paused: true, refreshing: true }, T0), 'paused');
  });

  it('finds the next moment a valid token changes state by time alone', () => {
    const refreshAt = T0 + 225 * SEC;
    assert.equal(nextBoundary(token(300), refreshAt, 60 * SEC, T0), T0 + 225 * SEC);
    assert.equal(nextBoundary(token(300), refreshAt, 120 * SEC, T0), T0 + 180 * SEC, 'the lead time comes first');
    assert.equal(nextBoundary(token(300), refreshAt, 60 * SEC, T0 + 226 * SEC), T0 + 240 * SEC);
    assert.equal(nextBoundary(token(300), refreshAt, 60 * SEC, T0 + 241 * SEC), T0 + 295 * SEC);
    assert.equal(nextBoundary(token(300), refreshAt, 60 * SEC, T0 + 296 * SEC), Number.POSITIVE_INFINITY);
    assert.equal(nextBoundary(token(null), null, 60 * SEC, T0), Number.POSITIVE_INFINITY);
  });
});

describe('request counter', () => {
  it('counts requests in the last hour and day exactly, across growth, pruning and a month of uptime', async () => {
    const { RequestCounter } = await import('../../main/core/engine/request-counter.js');
    const counter = new RequestCounter();
    const HOUR = 3_600_000;
    // 40 days of a request every 225 s, checked against a plain list each simulated hour.
    const plain: number[] = [];
    let at = T0 + 0.5;
    for (let hour = 1; hour <= 40 * 24; hour += 1) {
      while (at < T0 + hour * HOUR) {
        counter.add(at);
        plain.push(at);
        at += 225 * SEC;
      }
      const now = T0 + hour * HOUR;
      if (hour % 7 === 0 || hour > 39 * 24) {
        const day = plain.filter((t) => t > now - 24 * HOUR && t <= now).length;
        const lastHour = plain.filter((t) => t > now - HOUR && t <= now).length;
        assert.equal(counter.lastDay(now), day, `day count at hour ${hour}`);
        assert.equal(counter.lastHour(now), lastHour, `hour count at hour ${hour}`);
      }
    }
    // A window boundary to the millisecond: the request exactly an hour old has left the hour.
    const edge = new RequestCounter();
    edge.add(T0);
    assert.equal(edge.lastHour(T0 + HOUR - 1), 1);
    assert.equal(edge.lastHour(T0 + HOUR), 0);
    assert.equal(edge.lastDay(T0 + HOUR), 1);
  });
});
