// Hooks for the Playwright-Electron tests, installed only behind an explicit flag
// (`--tokentray-test-hooks` or TOKENTRAY_TEST_HOOKS=1), like Signal's ciMode and VS Code's
// --enable-smoke-test-driver. They let a test click tray menu items and wait on events
// (a notification, a profile state) instead of sleeping. Nothing here exists in normal runs.
import type { EngineEvent, ProfileState, ProfileStatus } from '../../common/contract.js';
import type { NotificationModel, NotificationPolicy } from '../core/desktop/notification-policy.js';
import type { TrayMenuItem, TrayPresenter } from '../core/desktop/tray-model.js';
import type { Engine } from '../core/types.js';

export const TEST_HOOKS_FLAG = '--tokentray-test-hooks';
export const TEST_HOOKS_GLOBAL = '__tokentrayTestHooks';

export function testHooksEnabled(argv: readonly string[], env: NodeJS.ProcessEnv): boolean {
  return argv.includes(TEST_HOOKS_FLAG) || env.TOKENTRAY_TEST_HOOKS === '1';
}

export interface TestHooks {
  /** Runs a tray menu item's action by its model id; resolves when the action is done. */
  clickMenuItem(itemId: string): Promise<boolean>;
  menu(): TrayMenuItem[] | null;
  icon(): string | null;
  /** What the system clipboard holds now. */
  clipboardText(): Promise<string>;
  /** Every notification the policy decided on, in order. */
  notifications(): NotificationModel[];
  /** Resolves once at least `count` notifications were decided on. */
  waitForNotifications(count: number, timeoutMs?: number): Promise<NotificationModel[]>;
  /** Resolves with the profile's status once it is in one of the states. */
  waitForProfileState(profileId: string, states: ProfileState[], timeoutMs?: number): Promise<ProfileStatus>;
}

export interface TestHookDeps {
  presenter: TrayPresenter;
  policy: NotificationPolicy;
  engine: Pick<Engine, 'status' | 'onDidEmit'>;
  readClipboard: () => string | Promise<string>;
}

export function createTestHooks(deps: TestHookDeps): TestHooks {
  const seen: NotificationModel[] = [];
  deps.policy.onDidNotify((notification) => seen.push(notification));

  const until = <T>(subscribe: (check: () => void) => () => void, read: () => T | undefined, timeoutMs: number, what: string) =>
    new Promise<T>((resolve, reject) => {
      let unsubscribe: () => void = () => undefined;
      const timer = setTimeout(() => {
        unsubscribe();
        reject(new Error(`Timed out waiting for ${what}`));
      }, timeoutMs);
      const check = () => {
        const value = read();
        if (value === undefined) return;
        clearTimeout(timer);
        unsubscribe();
        resolve(value);
      };
      unsubscribe = subscribe(check);
      check();
    });

  return {
    clickMenuItem: (itemId) => deps.presenter.trigger(itemId),
    menu: () => deps.presenter.model?.menu ?? null,
    icon: () => deps.presenter.model?.icon ?? null,
    clipboardText: async () => deps.readClipboard(),
    notifications: () => [...seen],
    waitForNotifications: (count, timeoutMs = 60_000) =>
      until(
        (check) => deps.policy.onDidNotify(() => queueMicrotask(check)),
        () => (seen.length >= count ? [...seen] : undefined),
        timeoutMs,
        `${count} notification(s)`,
      ),
    waitForProfileState: (profileId, states, timeoutMs = 60_000) =>
      until(
        (check) => deps.engine.onDidEmit((_event: EngineEvent) => check()),
        () => {
          const status = deps.engine.status(profileId);
          return status && states.includes(status.state) ? status : undefined;
        },
        timeoutMs,
        `profile ${profileId} to be ${states.join(' or ')}`,
      ),
  };
}

export function installTestHooks(hooks: TestHooks): void {
  (globalThis as Record<string, unknown>)[TEST_HOOKS_GLOBAL] = hooks;
}
