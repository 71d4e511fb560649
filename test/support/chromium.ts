// Debian's Chromium for the e2e tests and the dashboard benchmark, started the way this machine
// needs it (headless, no sandbox as root, no GPU) and without the background traffic a closed
// network refuses (update checks, sync, first-run pings).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';

export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS, ...extraArgs] });
}

/** The built dashboard the e2e tests serve; built here when a test runs before `npm run build`. */
export function ensureDashboardBuilt(root: string): string {
  const dir = join(root, 'dist/renderer');
  if (!existsSync(join(dir, 'index.html'))) {
    execFileSync('npx', ['vite', 'build', '--config', 'renderer/vite.config.ts', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
  }
  return dir;
}
