// The notification wiring (docs/desktop.md): engine events go to the policy, which decides; what it
// decides goes to the desktop's notifier. At start, every profile's current state is announced once
// (a profile that was already failing when the app started is news to the person).
import type { NotificationModel, NotificationPolicy } from './notification-policy.js';
import type { Engine } from '../types.js';

export interface NotificationWiringDeps {
  engine: Pick<Engine, 'statuses' | 'onDidEmit'>;
  policy: Pick<NotificationPolicy, 'handle' | 'onDidNotify' | 'dispose'>;
  show: (notification: NotificationModel) => void;
}

export interface NotificationWiring {
  /** Hands the policy every profile's current status (after the engine started). */
  announceCurrent(): void;
  dispose(): void;
}

export function setupNotifications(deps: NotificationWiringDeps): NotificationWiring {
  const { engine, policy } = deps;
  const stopShowing = policy.onDidNotify(deps.show);
  const stopFeeding = engine.onDidEmit((event) => policy.handle(event));
  return {
    announceCurrent() {
      for (const status of engine.statuses()) policy.handle({ type: 'profile', status, previous: null, recovered: false });
    },
    dispose() {
      stopFeeding();
      stopShowing();
      policy.dispose();
    },
  };
}
