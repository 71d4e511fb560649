// Shows what the notification policy (main/core/desktop/notification-policy.ts) decided; a click opens the
// dashboard at the notification's profile (docs/desktop.md).
import { Notification } from 'electron';
import type { NotificationModel } from '../core/desktop/notification-policy.js';

export interface NotifierDeps {
  /** At the notification's profile, or at the start when it is about no profile. */
  openDashboard: (profileId?: string) => void;
  iconPath?: string;
  isSupported?: () => boolean;
  create?: (options: Electron.NotificationConstructorOptions) => Notification;
}

export class ElectronNotifier {
  readonly #deps: NotifierDeps;
  // Electron notifications are garbage-collected while shown unless referenced, losing their click.
  readonly #live = new Set<Notification>();

  constructor(deps: NotifierDeps) {
    this.#deps = deps;
  }

  show(model: NotificationModel): boolean {
    const supported = this.#deps.isSupported ?? (() => Notification.isSupported());
    if (!supported()) return false;
    const options: Electron.NotificationConstructorOptions = { title: model.title, body: model.body, silent: model.kind === 'recovered' || model.kind === 'shared-cache-back' };
    if (this.#deps.iconPath) options.icon = this.#deps.iconPath;
    const notification = this.#deps.create ? this.#deps.create(options) : new Notification(options);
    this.#live.add(notification);
    const release = () => this.#live.delete(notification);
    notification.on('click', () => {
      release();
      this.#deps.openDashboard(model.profileId);
    });
    notification.on('close', release);
    notification.show();
    return true;
  }

  dispose(): void {
    for (const notification of this.#live) notification.close();
    this.#live.clear();
  }
}
