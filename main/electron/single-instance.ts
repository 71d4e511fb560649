// One Tokentray per user: a second launch hands over to the first, which shows its dashboard.
import type { App } from 'electron';

export type SingleInstanceApp = Pick<App, 'requestSingleInstanceLock' | 'on' | 'quit'>;

/** False when another instance runs: this one quits. */
export function setupSingleInstance(app: SingleInstanceApp, onSecondInstance: () => void): boolean {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return false;
  }
  app.on('second-instance', () => onSecondInstance());
  return true;
}
