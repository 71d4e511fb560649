// Which desktop notification to show, and when (docs/desktop.md): a token will expire within the
// lead time and refreshing fails; a token expired; credentials rejected; recovered. One per profile
// per change of state, never a stream: the policy remembers the last condition it announced per
// profile and stays silent until that condition changes. Engine events come in, notification models
// go out; the Electron adapter only shows them. The policy sets no timers of its own: the engine
// wakes at the lead time and at validUntil and reports both (see failingWithinLead in lifetime.ts).
import type { EngineEvent, ProfileStatus, Settings } from '../../../common/contract.js';
import type { Clock } from '../clock.js';
import { isCredentialErrorKind } from '../errors.js';
import { Emitter } from '../../../common/emitter.js';

/** What the policy announces about a profile's token (docs/desktop.md). */
export type NotificationKind = 'expiring' | 'expired' | 'credentials-rejected' | 'recovered';

/**
 * A desktop notification: the policy's, or one of the notices that are not about expiry
 * (notices.ts: a failed tray copy, a config file moved aside, a local socket refused), each under
 * its own kind.
 */
export type NotificationModel =
  | {
      kind: NotificationKind | 'copy-failed';
      /** A click opens the dashboard at this profile. */
      profileId: string;
      title: string;
      body: string;
    }
  | {
      kind: 'config-moved-aside' | 'socket-refused' | 'shared-cache-refused' | 'shared-cache-unavailable' | 'shared-cache-back';
      profileId?: undefined;
      title: string;
      body: string;
    };

type Problem = Exclude<NotificationKind, 'recovered'>;
type Condition = Problem | 'none';

interface Tracked {
  status: ProfileStatus;
  /** The last problem announced for this profile, or 'none' once it recovered (or never failed). */
  announced: Condition;
}

export interface NotificationPolicyOptions {
  clock: Clock;
  /** Read on every decision, so a changed lead time or the notifications switch applies at once. */
  getSettings: () => Pick<Settings, 'leadTimeSec' | 'notifications'>;
}


export class NotificationPolicy {
  readonly #clock: Clock;
  readonly #getSettings: NotificationPolicyOptions['getSettings'];
  readonly #profiles = new Map<string, Tracked>();
  readonly #notify = new Emitter<NotificationModel>();

  constructor(options: NotificationPolicyOptions) {
    this.#clock = options.clock;
    this.#getSettings = options.getSettings;
  }

  onDidNotify(listener: (notification: NotificationModel) => void): () => void {
    return this.#notify.on(listener);
  }

  /** Feed every engine event here (engine.onDidEmit). */
  handle(event: EngineEvent): void {
    if (event.type === 'profile-removed') {
      this.#forget(event.id);
      return;
    }
    if (event.type === 'settings') {
      // A new lead time moves the "will expire soon" moment of every failing profile.
      for (const tracked of this.#profiles.values()) this.#evaluate(tracked, false);
      return;
    }
    if (event.type !== 'profile') return;
    let tracked = this.#profiles.get(event.status.id);
    if (!tracked) {
      tracked = { status: event.status, announced: 'none' };
      this.#profiles.set(event.status.id, tracked);
    }
    tracked.status = event.status;
    this.#evaluate(tracked, event.recovered);
  }

  /** Forgets every profile and listener (quit). */
  dispose(): void {
    this.#profiles.clear();
    this.#notify.clear();
  }

  /** What is wrong with this profile now, judged from its status and the clock. */
  conditionOf(status: ProfileStatus): Condition {
    if (status.state === 'paused') return 'none';
    const error = status.lastError;
    if (error && isCredentialErrorKind(error.kind)) return 'credentials-rejected';
    const expiresAt = status.expiresAt === null ? null : Date.parse(status.expiresAt);
    // Expired when the engine stops handing the token out (validUntil), not at the token's own expiry.
    const validUntil = status.validUntil === null ? null : Date.parse(status.validUntil);
    const now = this.#clock.now();
    if (status.state === 'expired' || (error && validUntil !== null && validUntil <= now)) return 'expired';
    if (error && expiresAt !== null && expiresAt - now <= this.#getSettings().leadTimeSec * 1000) return 'expiring';
    return 'none';
  }

  #evaluate(tracked: Tracked, recovered: boolean): void {
    const { status } = tracked;
    if (status.state === 'paused') return; // A person stopped it: keep what was announced, say nothing.
    const condition = this.#conditionOrHealthy(status, recovered);
    if (condition === 'healthy') {
      if (tracked.announced !== 'none') {
        tracked.announced = 'none';
        this.#emit('recovered', status);
      }
      return;
    }
    if (condition !== 'none' && condition !== tracked.announced) {
      tracked.announced = condition;
      this.#emit(condition, status);
    }
  }

  /**
   * 'healthy' only on a real recovery (a fresh token and no error); a profile that is merely between
   * attempts (refreshing, error cleared) is 'none' and keeps what was announced, so a retry loop
   * that keeps failing never repeats the notification.
   */
  #conditionOrHealthy(status: ProfileStatus, recovered: boolean): Condition | 'healthy' {
    const condition = this.conditionOf(status);
    if (condition !== 'none') return condition;
    if (recovered || (status.state === 'fresh' && status.lastError === null)) return 'healthy';
    return 'none';
  }

  #emit(kind: NotificationKind, status: ProfileStatus): void {
    if (!this.#getSettings().notifications) return;
    const notification = describe(kind, status);
    this.#notify.emit(notification);
  }

  #forget(id: string): void {
    this.#profiles.delete(id);
  }
}

/** Plain words with the error's own hint; error messages never carry a secret (main/core/errors.ts). */
function describe(kind: NotificationKind, status: ProfileStatus): NotificationModel {
  const name = status.name;
  const reason = status.lastError ? ` ${status.lastError.message}${status.lastError.hint ? ` ${status.lastError.hint}` : ''}` : '';
  switch (kind) {
    case 'expiring':
      return {
        kind,
        profileId: status.id,
        title: `${name}: token expires soon`,
        body: `The token will expire soon and refreshing it fails.${reason}`,
      };
    case 'expired':
      return { kind, profileId: status.id, title: `${name}: token expired`, body: `No valid token can be handed out.${reason}` };
    case 'credentials-rejected':
      return {
        kind,
        profileId: status.id,
        title: `${name}: credentials rejected`,
        body: `The provider refused the credentials; Tokentray stops retrying until the profile changes.${reason}`,
      };
    case 'recovered':
      return { kind, profileId: status.id, title: `${name}: recovered`, body: 'A fresh token was obtained.' };
  }
}
