// The wall-versus-monotonic check on its own, with the two clocks in the test's hands and a short
// interval: a jump either way is reported once with its size, drift below the threshold never is,
// and nothing is reported after stop.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { watchClockJumps } from '../../main/node/clock-jumps.js';

/** Two clocks the test moves, and the reports the watcher made. */
function rig(thresholdMs = 10_000) {
  const clocks = { wall: 1_700_000_000_000, monotonic: 1_000 };
  const jumps: number[] = [];
  let checks = 0;
  const stop = watchClockJumps({
    onJump: (skew) => jumps.push(skew),
    intervalMs: 5,
    thresholdMs,
    wall: () => clocks.wall,
    monotonic: () => {
      checks += 1;
      return clocks.monotonic;
    },
  });
  /** Resolves once the watcher has compared the clocks `n` more times. */
  const checked = async (n = 2): Promise<void> => {
    const target = checks + n;
    while (checks < target) await new Promise((resolve) => setTimeout(resolve, 5));
  };
  return { clocks, jumps, stop, checked };
}

describe('watchClockJumps', () => {
  test('both clocks moving together is no jump, however late the check runs', async () => {
    const { clocks, jumps, stop, checked } = rig();
    try {
      clocks.wall += 60_000;
      clocks.monotonic += 60_000;
      await checked();
      assert.deepEqual(jumps, []);
    } finally {
      stop();
    }
  });

  test('the wall clock 700 s ahead of the monotonic one (a resume) is reported once, with its size', async () => {
    const { clocks, jumps, stop, checked } = rig();
    try {
      clocks.wall += 700_000;
      clocks.monotonic += 2_000;
      await checked(3);
      assert.deepEqual(jumps, [698_000]);
    } finally {
      stop();
    }
  });

  test('a wall clock set back is a jump too; drift under the threshold is not', async () => {
    const { clocks, jumps, stop, checked } = rig();
    try {
      clocks.wall += 9_000;
      await checked();
      assert.deepEqual(jumps, [], '9 s is under the 10 s threshold');
      clocks.wall -= 120_000;
      await checked();
      assert.deepEqual(jumps, [-120_000]);
    } finally {
      stop();
    }
  });

  test('nothing is reported after stop', async () => {
    const { clocks, jumps, stop, checked } = rig();
    await checked(1);
    stop();
    clocks.wall += 700_000;
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(jumps, []);
  });
});
