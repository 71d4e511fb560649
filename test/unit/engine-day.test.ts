// A simulated day (86,400 s of fake time) against a token endpoint that cycles through every failure
// mode the engine must survive (docs/refreshing.md), with a demand every 5 s: no expired token is ever
// handed out, and the number of upstream requests stays within a bound computed from the backoff
// rules (no retry storm).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TokentrayError } from '../../main/core/errors.js';
import { FAILURE_MODES, type EndpointMode } from '../support/fake-token-endpoint.js';
import { createHarness } from '../support/engine-harness.js';

const SEC = 1000;
const DAY_SEC = 86_400;
const BLOCK_SEC = 1800; // each half hour: a failure window, then healthy
const FAILURE_SEC = 600;
const DEMAND_EVERY_SEC = 5;
const BACKOFF_BASE_SEC = 2;
const BACKOFF_MAX_SEC = 300;
const RETRY_AFTER_SEC = 60;

describe('TokenEngine through a simulated day of failures', () => {
  it('never hands out an expired token and never storms the endpoint', async () => {
    const { clock, endpoint, engine } = await createHarness({
      seed: 42,
      endpoint: { retryAfterSec: RETRY_AFTER_SEC },
      options: { backoffBaseMs: BACKOFF_BASE_SEC * SEC, backoffMaxMs: BACKOFF_MAX_SEC * SEC, waitMs: 10 * SEC },
    });
    const start = clock.now();
    const modeAt = (): EndpointMode => {
      const elapsed = (clock.now() - start) / SEC;
      const block = Math.floor(elapsed / BLOCK_SEC);
      if (elapsed % BLOCK_SEC >= FAILURE_SEC) return 'ok';
      return FAILURE_MODES[block % FAILURE_MODES.length]!;
    };
    const modesSeen = new Set<EndpointMode>();
    const countByMode = new Map<EndpointMode, number>();
    endpoint.mode = () => {
      const mode = modeAt();
      modesSeen.add(mode);
      countByMode.set(mode, (countByMode.get(mode) ?? 0) + 1);
      return mode;
    };

    await engine.start();
    let served = 0;
    let refused = 0;
    const expiredHandedOut: string[] = [];
    const unexpected: string[] = [];
    const pending: Promise<void>[] = [];
    for (let t = 0; t < DAY_SEC; t += DEMAND_EVERY_SEC) {
      pending.push(
        engine.getToken('aq').then(
          (token) => {
            served += 1;
            // Checked at the moment it is handed over, against the clock the engine uses.
            if (token.expiresAt === null || token.expiresAt <= clock.now()) expiredHandedOut.push(token.accessToken);
          },
          (error: unknown) => {
            refused += 1;
            if (!(error instanceof TokentrayError) || error.kind !== 'no_valid_token') unexpected.push(String(error));
          },
        ),
      );
      await clock.advance(DEMAND_EVERY_SEC * SEC);
    }
    await clock.advance(60 * SEC);
    await Promise.all(pending);
    await engine.stop();

    assert.deepEqual(expiredHandedOut, [], 'an expired token was handed out');
    assert.deepEqual(unexpected, [], 'demands failed with something other than no_valid_token');
    for (const mode of [...FAILURE_MODES, 'ok' as const]) assert.ok(modesSeen.has(mode), `mode ${mode} never exercised`);

    // The bound: healthy refreshes at no earlier than 72.5% of 300 s, plus per failure window the
    // retries the backoff allows (delays never below the base, doubling to the cap; Retry-After as a
    // floor), plus one recovery request per window. A storm (a retry per demand) would be ~120 per window.
    const windows = Math.ceil(DAY_SEC / BLOCK_SEC);
    const healthy = Math.ceil(DAY_SEC / (0.725 * 300));
    let perWindow = 0;
    for (let elapsed = 0, delay = BACKOFF_BASE_SEC; elapsed < FAILURE_SEC; elapsed += delay, delay = Math.min(delay * 2, BACKOFF_MAX_SEC)) {
      perWindow += 1;
    }
    // Full jitter may pick any delay between the base and the ceiling, so allow twice the doubling count.
    const bound = healthy + windows * (2 * perWindow + 2);
    const total = endpoint.requests.length;
    console.log(
      `day: ${total} upstream requests (bound ${bound}, ideal healthy ${Math.round(DAY_SEC / 225)}), ` +
        `${served} demands served, ${refused} refused with no_valid_token`,
    );
    assert.ok(total <= bound, `${total} upstream requests exceed the bound ${bound}`);
    assert.ok(total >= DAY_SEC / 300, 'tokens were renewed through the day');
    // Retry-After (60 s) holds rate-limited windows to about one request a minute.
    assert.ok((countByMode.get('rate-limited') ?? 0) <= (windows / FAILURE_MODES.length + 1) * (FAILURE_SEC / RETRY_AFTER_SEC + 2));
    // Most demands are served: tokens outlive the short outages often enough.
    assert.ok(served > refused, `served ${served}, refused ${refused}`);
  });
});
