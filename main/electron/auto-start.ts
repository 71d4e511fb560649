// Start at login (docs/desktop.md). Linux has no login-item API in Electron, so an XDG autostart
// entry is written (freedesktop "Desktop Application Autostart Specification"); macOS and Windows
// use app.setLoginItemSettings.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { App } from 'electron';

export interface AutoStart {
  isEnabled(): boolean;
  setEnabled(enabled: boolean): void;
}

export const AUTOSTART_FILE = 'tokentray.desktop';

/** Quotes one Exec argument per the Desktop Entry Specification. */
function execArg(value: string): string {
  return /^[A-Za-z0-9_./@:+=-]+$/.test(value) ? value : `"${value.replace(/(["`$\\])/g, '\\$1')}"`;
}

export function linuxAutostartEntry(command: readonly string[]): string {
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Name=Tokentray',
    'Comment=Keeps short-lived API access tokens fresh',
    `Exec=${command.map(execArg).join(' ')}`,
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n');
}

export class LinuxAutoStart implements AutoStart {
  readonly file: string;
  readonly #command: readonly string[];

  /** command: the executable and its arguments; an AppImage must start through $APPIMAGE, not its mount. */
  constructor(command: readonly string[], env: NodeJS.ProcessEnv = process.env) {
    const configHome = env.XDG_CONFIG_HOME || path.join(env.HOME || os.homedir(), '.config');
    this.file = path.join(configHome, 'autostart', AUTOSTART_FILE);
    this.#command = command;
  }

  isEnabled(): boolean {
    return fs.existsSync(this.file);
  }

  setEnabled(enabled: boolean): void {
    if (!enabled) {
      fs.rmSync(this.file, { force: true });
      return;
    }
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const temp = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(temp, linuxAutostartEntry(this.#command), { mode: 0o644 });
    fs.renameSync(temp, this.file);
  }
}

export class LoginItemAutoStart implements AutoStart {
  readonly #app: Pick<App, 'getLoginItemSettings' | 'setLoginItemSettings'>;

  constructor(app: Pick<App, 'getLoginItemSettings' | 'setLoginItemSettings'>) {
    this.#app = app;
  }

  isEnabled(): boolean {
    return this.#app.getLoginItemSettings().openAtLogin;
  }

  setEnabled(enabled: boolean): void {
    // --hidden (Windows passes args; macOS reports wasOpenedAtLogin instead): start in the tray.
    this.#app.setLoginItemSettings({ openAtLogin: enabled, args: ['--hidden'] });
  }
}

/** How this app is started again: the AppImage file, the packaged binary, or electron plus the project. */
export function launchCommand(app: Pick<App, 'isPackaged' | 'getAppPath'>, env: NodeJS.ProcessEnv = process.env): string[] {
  if (env.APPIMAGE) return [env.APPIMAGE];
  return app.isPackaged ? [process.execPath] : [process.execPath, app.getAppPath()];
}

export function createAutoStart(
  platform: NodeJS.Platform,
  app: Pick<App, 'getLoginItemSettings' | 'setLoginItemSettings' | 'isPackaged' | 'getAppPath'>,
  env: NodeJS.ProcessEnv = process.env,
): AutoStart {
  // --hidden: start in the tray; the dashboard opens when the person asks for it.
  if (platform === 'linux') return new LinuxAutoStart([...launchCommand(app, env), '--hidden'], env);
  return new LoginItemAutoStart(app);
}
