// The lock screen's slow-down (docs/storage.md: repeated wrong attempts over the dashboard are slowed
// down): each wrong passphrase in a row doubles the wait before the next attempt is even tried.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TokentrayError } from '../../main/core/errors.js';
import { UnlockThrottle } from '../../main/core/storage/vault-control.js';
import { FakeClock } from '../support/fake-clock.js';

const wrong = async (): Promise<never> => {
  throw new TokentrayError('vault_passphrase', 'The passphrase does not open the vault.');
};

async function refusal(throttle: UnlockThrottle, run: () => Promise<unknown> = wrong): Promise<TokentrayError> {
  let caught: unknown;
  await throttle.attempt(run).catch((error: unknown) => (caught = error));
  assert.ok(caught instanceof TokentrayError);
  return caught;
}

describe('UnlockThrottle', () => {
  it('doubles the wait after each wrong passphrase, refuses without trying meanwhile, and resets on success', async () => {
    const clock = new FakeClock();
    const throttle = new UnlockThrottle(clock, { baseMs: 1000, maxMs: 8000 });
    let tried = 0;
    const counted = async (): Promise<never> => {
      tried += 1;
      return wrong();
    };
    assert.match((await refusal(throttle, counted)).message, /does not open/);
    const waiting = await refusal(throttle, counted);
    assert.match(waiting.message, /wait 1 s/);
    assert.equal(tried, 1, 'the refused attempt never ran the KDF');
    assert.equal(waiting.retryAfterMs, 1000);

    clock.jump(1000);
    await refusal(throttle, counted);
    assert.match((await refusal(throttle, counted)).message, /wait 2 s/);
    clock.jump(2000);
    await refusal(throttle, counted);
    assert.match((await refusal(throttle, counted)).message, /wait 4 s/);
    clock.jump(4000);
    await refusal(throttle, counted);
    assert.match((await refusal(throttle, counted)).message, /wait 8 s/);
    clock.jump(8000);
    await refusal(throttle, counted);
    assert.match((await refusal(throttle, counted)).message, /wait 8 s/, 'capped');
    assert.equal(tried, 5);

    clock.jump(8000);
    assert.equal(await throttle.attempt(async () => 'opened'), 'opened');
    assert.match((await refusal(throttle)).message, /does not open/, 'a success resets the count');
    assert.match((await refusal(throttle)).message, /wait 1 s/);
  });

  it('other failures (a damaged file) do not count as wrong passphrases', async () => {
    const throttle = new UnlockThrottle(new FakeClock());
    const damaged = async (): Promise<never> => {
      throw new TokentrayError('vault_damaged', 'The vault file is damaged or was tampered with: x.');
    };
    assert.equal((await refusal(throttle, damaged)).kind, 'vault_damaged');
    assert.equal((await refusal(throttle, damaged)).kind, 'vault_damaged', 'not slowed down');
  });
});
