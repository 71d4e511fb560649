// The tray's word when the fleet's Redis stops answering and when it answers again
// (docs/shared-cache.md): the machine then refreshes alone, spending the fleet's rate limit, which a
// person sharing one credential with others should know. One notice per outage, never a stream: a
// Redis that comes back within the grace period was a blip, and says nothing.
import type { Clock } from '../clock.js';
import type { SharedCache, SharedCacheHealth } from '../fleet/shared-cache.js';
import type { NotificationModel } from './notification-policy.js';

/** How long Redis must stay unavailable before the person is told (a restart or a failover is shorter). */
export const FLEET_NOTICE_GRACE_MS = 30_000;

type WatchedCache = Pick<SharedCache, 'location' | 'health' | 'onDidChangeHealth'>;

export interface FleetNoticesDeps {
  clock: Clock;
  show(notice: NotificationModel): void;
  /** Read when a notice is due, so the notifications switch applies at once. */
  enabled(): boolean;
  graceMs?: number;
}

export function fleetUnavailableNotice(location: string, reason: string | null): NotificationModel {
  return {
    kind: 'shared-cache-unavailable',
    title: 'Tokentray: shared cache unavailable',
    body: `${location} does not answer (${reason ?? 'no answer'}). This machine refreshes its tokens alone until it does.`,
  };
}

export function fleetBackNotice(location: string): NotificationModel {
  return {
    kind: 'shared-cache-back',
    title: 'Tokentray: shared cache back',
    body: `Sharing tokens through ${location} again.`,
  };
}

export class FleetNotices {
  readonly #deps: FleetNoticesDeps;
  readonly #graceMs: number;
  #cache: WatchedCache | null = null;
  #unsubscribe: (() => void) | null = null;
  #timer: ReturnType<Clock['setTimeout']> | null = null;
  /** An unavailable notice was shown for this outage: its end is said too. */
  #told = false;

  constructor(deps: FleetNoticesDeps) {
    this.#deps = deps;
    this.#graceMs = deps.graceMs ?? FLEET_NOTICE_GRACE_MS;
  }

  /** Watches this cache from now on (a fleet joined, changed or left: null); the previous one is let go. */
  follow(cache: WatchedCache | null): void {
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    this.#clearTimer();
    this.#told = false;
    this.#cache = cache;
    if (cache === null) return;
    this.#unsubscribe = cache.onDidChangeHealth((health) => this.#changed(health));
    this.#changed(cache.health());
  }

  dispose(): void {
    this.follow(null);
  }

  #changed(health: SharedCacheHealth): void {
    const cache = this.#cache;
    if (cache === null) return;
    if (health.state === 'connected') {
      this.#clearTimer();
      if (this.#told) {
        this.#told = false;
        if (this.#deps.enabled()) this.#deps.show(fleetBackNotice(cache.location));
      }
      return;
    }
    if (this.#told || this.#timer !== null) return;
    this.#timer = this.#deps.clock.setTimeout(() => {
      this.#timer = null;
      const now = cache.health();
      if (this.#cache !== cache || now.state === 'connected') return;
      this.#told = true;
      if (this.#deps.enabled()) this.#deps.show(fleetUnavailableNotice(cache.location, now.reason));
    }, this.#graceMs);
  }

  #clearTimer(): void {
    if (this.#timer === null) return;
    this.#deps.clock.clearTimeout(this.#timer);
    this.#timer = null;
  }
}
