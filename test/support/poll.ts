// Waiting for something another process or a timer will do: poll with a bound generous enough for a
// loaded 2-core machine, and fail with what was awaited (not at the runner's timeout, unnamed).

export interface PollOptions {
  /** How long to keep trying; generous by default because other suites share the machine. */
  timeoutMs?: number;
  /** The pause between tries. */
  intervalMs?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Calls `probe` until it returns something other than undefined, and returns that. An error thrown
 * by the probe ends the wait at once: a broken probe is a failure, not "not yet".
 */
export async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, options: PollOptions = {}): Promise<T> {
  const { timeoutMs = 30_000, intervalMs = 50 } = options;
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** Waits until `condition` holds. */
export async function untilTrue(what: string, condition: () => Promise<boolean> | boolean, options: PollOptions = {}): Promise<void> {
  await until(what, async () => ((await condition()) ? true : undefined), options);
}

/**
 * Waits until `check` stops throwing (assertions that hold once the UI or a stream has caught up);
 * on timeout the last assertion's own error is thrown, so the failure shows what differed.
 */
export async function untilPasses(what: string, check: () => Promise<void> | void, options: PollOptions = {}): Promise<void> {
  const { timeoutMs = 30_000, intervalMs = 50 } = options;
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (performance.now() > deadline) {
        if (error instanceof Error) error.message = `timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}: ${error.message}`;
        throw error;
      }
    }
    await sleep(intervalMs);
  }
}
