// What makes the engine run on its own (docs/refreshing.md): read every cached token at start, follow the
// store for other processes' changes, refresh when a profile is due and wake at the next state boundary
// with one timer per profile. Long-running processes (the app, `tokentray serve`) plug the background
// scheduler in; the one-shot CLI plugs in ON_DEMAND, so its engine only ever acts on a demand.
import type { Clock, TimerHandle } from '../clock.js';
import type { Logger } from '../types.js';
import type { Refresher } from './refresher.js';

/** What a scheduler may ask of the engine it is plugged into. */
export interface SchedulerHost {
  refreshers(): Iterable<Refresher>;
  /** Follows the store for changes by other processes; returns unsubscribe. */
  watchStore(): () => void;
  /** Emits the refresher's state, then asks this scheduler again (see TokenEngine.changed). */
  evaluate(refresher: Refresher): void;
  /** Every profile at once: after a sleep or a clock jump. */
  reevaluate(): void;
}

export interface Scheduler {
  /** The engine started: prepare every profile, then begin. */
  start(host: SchedulerHost): Promise<void>;
  stop(): void;
  /** A profile appeared after start. */
  adopt(refresher: Refresher): void;
  /** Whether an attempt is due now, to be started instead of emitting an intermediate state. */
  due(refresher: Refresher, now: number): boolean;
  /** Sets (or clears) the refresher's one timer. */
  plan(refresher: Refresher, now: number): void;
  /** When the next automatic attempt is planned (ProfileStatus.nextRefreshAt), or null. */
  plannedAttemptAt(refresher: Refresher): number | null;
  forget(refresher: Refresher): void;
}

/** Nothing runs by itself: cached tokens are read on demand, no timers, no store subscription. */
export const ON_DEMAND: Scheduler = {
  start: async () => {},
  stop: () => {},
  adopt: () => {},
  due: () => false,
  plan: () => {},
  plannedAttemptAt: () => null,
  forget: () => {},
};

const DEFAULT_LATE_TIMER_MS = 30_000;

/** One per profile, reused for each plan, so a busy day allocates nothing per timer. */
interface Plan {
  timer: TimerHandle | null;
  /** The planned time of the timer, to notice one that fired far too late. */
  wakeAt: number;
  attemptAt: number | null;
}

export interface BackgroundSchedulerOptions {
  clock: Clock;
  /** A timer that fires this much later than planned means the machine slept or the clock jumped (default 30 s). */
  lateTimerMs?: number;
  logger?: Logger;
}

export class BackgroundScheduler implements Scheduler {
  private readonly plans = new Map<Refresher, Plan>();
  private host: SchedulerHost | null = null;
  private unsubscribe: (() => void) | null = null;

  constructor(private readonly options: BackgroundSchedulerOptions) {}

  async start(host: SchedulerHost): Promise<void> {
    this.host = host;
    // Cached tokens let a restart skip a request at a rate-limited endpoint (docs/refreshing.md, seed 001).
    await Promise.all([...host.refreshers()].map((refresher) => refresher.loadCache()));
    if (this.host !== host) return; // stopped meanwhile
    this.unsubscribe = host.watchStore();
    for (const refresher of host.refreshers()) host.evaluate(refresher);
  }

  stop(): void {
    this.host = null;
    this.unsubscribe?.();
    this.unsubscribe = null;
    for (const plan of this.plans.values()) this.clear(plan);
    this.plans.clear();
  }

  adopt(refresher: Refresher): void {
    const host = this.host;
    if (host === null) return;
    void refresher.loadCache().then(() => {
      if (this.host === host && refresher.phase.kind !== 'removed') host.evaluate(refresher);
    });
  }

  due(refresher: Refresher, now: number): boolean {
    if (this.host === null) return false;
    const at = refresher.attemptAt(now);
    return at !== null && at <= now;
  }

  plan(refresher: Refresher, now: number): void {
    if (this.host === null) return;
    let plan = this.plans.get(refresher);
    if (plan === undefined) {
      plan = { timer: null, wakeAt: 0, attemptAt: null };
      this.plans.set(refresher, plan);
    }
    this.clear(plan);
    plan.attemptAt = refresher.attemptAt(now);
    const wakeAt = refresher.wakeAt(now, plan.attemptAt);
    if (wakeAt === null) return;
    plan.wakeAt = wakeAt;
    const clock = this.options.clock;
    const owned = plan;
    plan.timer = clock.setTimeout(() => this.fired(refresher, owned), Math.max(0, wakeAt - now));
  }

  plannedAttemptAt(refresher: Refresher): number | null {
    return this.plans.get(refresher)?.attemptAt ?? null;
  }

  forget(refresher: Refresher): void {
    const plan = this.plans.get(refresher);
    if (plan === undefined) return;
    this.clear(plan);
    this.plans.delete(refresher);
  }

  private fired(refresher: Refresher, plan: Plan): void {
    plan.timer = null;
    const host = this.host;
    if (host === null || this.plans.get(refresher) !== plan) return;
    const late = this.options.clock.now() - plan.wakeAt;
    // Far too late means the machine slept or the clock jumped: every profile needs a fresh look.
    if (late > (this.options.lateTimerMs ?? DEFAULT_LATE_TIMER_MS)) {
      this.options.logger?.info('timer fired late; re-evaluating every profile', { lateMs: late });
      host.reevaluate();
      return;
    }
    host.evaluate(refresher);
  }

  private clear(plan: Plan): void {
    if (plan.timer !== null) {
      this.options.clock.clearTimeout(plan.timer);
      plan.timer = null;
    }
    plan.attemptAt = null;
  }
}
