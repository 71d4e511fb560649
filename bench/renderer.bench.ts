// The dashboard's cost (issue #6 benchmark): the production bundle's gzip size, and the time from
// navigation start to the profile list being in the DOM with 200 profiles beside the same page with
// 1 profile, in headless Chromium against a tiny local server that answers synthetic statuses.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium, type Browser } from 'playwright-core';
import type { Result } from '../common/contract.js';
import { startFakeDashboardServer, syntheticStatuses } from '../test/renderer/fake-dashboard-server.js';

const ROOT = resolve(import.meta.dirname, '..');
const DIST = join(ROOT, 'dist/renderer');
const RUNS = 7;

async function bundleSize(): Promise<{ raw: number; gzip: number; files: number }> {
  const files = [join(DIST, 'index.html'), ...(await readdir(join(DIST, 'assets'))).map((f) => join(DIST, 'assets', f))];
  let raw = 0;
  let gzip = 0;
  for (const file of files) {
    const data = await readFile(file);
    raw += data.length;
    gzip += gzipSync(data, { level: 9 }).length;
  }
  return { raw, gzip, files: files.length };
}

/** Milliseconds from navigation start until the list holds `count` rows, measured in the page. */
async function firstRender(browser: Browser, count: number): Promise<number[]> {
  const statuses = syntheticStatuses(count);
  const ok = <T>(value: T): Result<T> => ({ ok: true, value });
  const server = await startFakeDashboardServer({
    staticDir: DIST,
    handlers: {
      'profiles:list': () => ok(statuses),
      'activity:list': () => ok([]),
      'settings:get': () => ok({ port: 47210, leadTimeSec: 300, clipboardClearSec: 60, startAtLogin: false, notifications: true }),
    },
  });
  const times: number[] = [];
  try {
    for (let run = 0; run < RUNS + 1; run += 1) {
      const page = await browser.newPage();
      // A MutationObserver notes the moment the last row lands, before any paint or polling delay.
      await page.addInitScript(`new MutationObserver((_, observer) => {
        if (document.querySelectorAll('[data-testid="profile-list"] > li').length >= ${count}) {
          window.__listAt = performance.now();
          observer.disconnect();
        }
      }).observe(document, { childList: true, subtree: true });`);
      await page.goto(`${server.url}/#/profiles`);
      await page.locator(`[data-testid="profile-list"] > li`).nth(count - 1).waitFor({ state: 'attached' });
      const at = Number(await page.evaluate('window.__listAt'));
      await page.close();
      if (run > 0) times.push(at); // the first run warms the HTTP cache and V8
    }
  } finally {
    await server.close();
  }
  return times;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

export async function run(): Promise<void> {
  if (!existsSync(join(DIST, 'index.html'))) {
    execFileSync('npx', ['vite', 'build', '--config', 'renderer/vite.config.ts', '--logLevel', 'warn'], { cwd: ROOT, stdio: 'inherit' });
  }
  const size = await bundleSize();
  console.log(`renderer bundle: ${size.files} files, ${(size.raw / 1024).toFixed(1)} KiB raw, ${(size.gzip / 1024).toFixed(1)} KiB gzip`);

  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  try {
    const one = await firstRender(browser, 1);
    const many = await firstRender(browser, 200);
    const m1 = median(one);
    const m200 = median(many);
    console.log(`first render of the profile list, median of ${RUNS}: 1 profile ${m1.toFixed(1)} ms, 200 profiles ${m200.toFixed(1)} ms`);
    console.log(`ratio 200/1: ${(m200 / m1).toFixed(2)}x`);
  } finally {
    await browser.close();
  }
}
