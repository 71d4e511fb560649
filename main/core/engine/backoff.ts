// Retry delays after a failed refresh (docs/refreshing.md): exponential with full jitter, capped, never
// shorter than the base (so a failing endpoint never sees a burst), and never shorter than the
// server's own Retry-After on 429/503.
export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
}

/**
 * The one growing delay after `failures` failures in a row: base·2^(failures-1), capped at max. The
 * engine's retries jitter under it; the relay's wrong client secrets and the vault's wrong
 * passphrases wait exactly this long.
 */
export function doublingDelay(failures: number, options: BackoffOptions): number {
  const exponent = Math.min(Math.max(failures - 1, 0), 30);
  return Math.min(options.maxMs, options.baseMs * 2 ** exponent);
}

/** Delay before retry number `failures` (1 = first retry); `random` returns [0, 1). */
export function backoffDelay(failures: number, options: BackoffOptions, random: () => number, retryAfterMs?: number): number {
  const ceiling = doublingDelay(failures, options);
  const jittered = Math.max(options.baseMs, random() * ceiling);
  // Retry-After is a floor even above the cap: the server said when it will talk to us again.
  return retryAfterMs !== undefined && retryAfterMs > jittered ? retryAfterMs : jittered;
}
