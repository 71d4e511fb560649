// Where profiles and settings live (docs/storage.md): --config-dir, TOKENTRAY_CONFIG_DIR, else the
// folder Electron's app.getPath('userData') gives the app named "Tokentray", so the CLI, headless
// mode and the tray app share one config.json without being told where it is.
import os from 'node:os';
import path from 'node:path';

export const APP_DIR_NAME = 'Tokentray';

export function resolveConfigDir(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (flag !== undefined && flag !== '') return path.resolve(flag);
  if (env.TOKENTRAY_CONFIG_DIR) return path.resolve(env.TOKENTRAY_CONFIG_DIR);
  return path.join(appDataDir(process.platform, env), APP_DIR_NAME);
}

/** Electron's app.getPath('appData') for each platform. */
export function appDataDir(platform: NodeJS.Platform, env: NodeJS.ProcessEnv): string {
  const home = env.HOME || os.homedir();
  if (platform === 'win32') return env.APPDATA || path.join(env.USERPROFILE || home, 'AppData', 'Roaming');
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support');
  return env.XDG_CONFIG_HOME || path.join(home, '.config');
}
