// Notices that the wall clock moved against the monotonic clock: a resumed laptop or VM (the
// monotonic clock stands still while suspended) or a clock set by hand or by NTP. Timers run on the
// monotonic clock and expiry times on the wall clock, so after such a jump a token may have expired
// with no timer due; the host then re-evaluates every profile at once (docs: keeping tokens fresh).
// Node only: the tray adds the powerMonitor's resume events beside it (main/electron/power.ts).

export interface ClockJumpOptions {
  /** Called with how far the wall clock moved beyond the monotonic one (negative: backwards). */
  onJump(skewMs: number): void;
  /** How often the clocks are compared (default 5 s). */
  intervalMs?: number;
  /** A difference larger than this is a jump (default 10 s); NTP's slewing stays far below it. */
  thresholdMs?: number;
  /** The two clocks, for tests: Date.now and performance.now by default. */
  wall?: () => number;
  monotonic?: () => number;
}

export const CLOCK_CHECK_INTERVAL_MS = 5_000;
export const CLOCK_JUMP_THRESHOLD_MS = 10_000;

/** Compares the two clocks every interval; returns the function that stops it. */
export function watchClockJumps(options: ClockJumpOptions): () => void {
  const wall = options.wall ?? (() => Date.now());
  const monotonic = options.monotonic ?? (() => performance.now());
  const threshold = options.thresholdMs ?? CLOCK_JUMP_THRESHOLD_MS;
  let lastWall = wall();
  let lastMonotonic = monotonic();
  const timer = setInterval(() => {
    const nowWall = wall();
    const nowMonotonic = monotonic();
    // Both deltas cover the same moment, so a late interval (a busy machine) does not count.
    const skew = nowWall - lastWall - (nowMonotonic - lastMonotonic);
    lastWall = nowWall;
    lastMonotonic = nowMonotonic;
    if (Math.abs(skew) > threshold) options.onJump(skew);
  }, options.intervalMs ?? CLOCK_CHECK_INTERVAL_MS);
  // The check never keeps a process alive on its own.
  timer.unref();
  return () => clearInterval(timer);
}
