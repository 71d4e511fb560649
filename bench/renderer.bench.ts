// The dashboard's cost in real Chromium: the built dashboard with 200 and 1,000 fresh
// profiles against a plain page that this bench builds itself, with the same cards as static HTML
// and one setInterval updating every countdown, lifetime bar and relative time. Measured in one run:
//   - main-thread busy time, script time and layouts per second while idle (CDP Performance.getMetrics
//     deltas over an idle window);
//   - first render, navigation start to every profile name laid out (median of RUNS, the two
//     pages loaded in turns), and each round's ratio of the two (median, middle half, and how
//     many rounds were within the goal), which the machine's busy moments touch least;
//   - the longest task while loading (PerformanceObserver 'longtask');
//   - the JS heap after load and a full GC (HeapProfiler.collectGarbage);
//   - the size of the dashboard's own files (dist/renderer).
// Everything is a ratio to the plain page measured in the same browser a moment earlier, never a
// timed pass/fail. BENCH_PROFILES=200,1000 picks the sizes, BENCH_IDLE_MS the idle window, BENCH_RUNS
// the rounds of first loads (15: with 5, the medians of two runs differed by up to 0.4x).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { extname, join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { type Browser, type CDPSession, type Page } from 'playwright-core';
import { launchChromium } from '../test/support/chromium.js';
import type { ProfileStatus } from '../common/contract.js';
import { PROVIDERS } from '../common/providers.js';
import { DASHBOARD_CSP } from '../main/core/api/static-files.js';
import { profileListHandlers, startFakeDashboardServer, type FakeDashboardServer } from '../test/renderer/fake-dashboard-server.js';

const ROOT = resolve(import.meta.dirname, '..');
const DIST = join(ROOT, 'dist/renderer');
const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const SIZES = (process.env.BENCH_PROFILES ?? '200,1000').split(',').map(Number).filter((n) => n > 0);
const IDLE_MS = Number(process.env.BENCH_IDLE_MS ?? 5000);
/** Time for the page to settle after load before the idle window starts (fonts, first events). */
const SETTLE_MS = 1500;
const NAMES = 'ul.profile-list > li h2';
/** The goal for the first render at 200 profiles, as a ratio to the plain page. */
const FIRST_RENDER_GOAL = 1.5;

/** A laptop's window size. */
const VIEWPORT = { width: 1280, height: 800 };

/**
 * Profiles that were refreshed moments ago and stay fresh for the whole run (10 to 60 minute
 * lifetimes), so no state changes while idle: every tick only moves countdowns, bars and times.
 */
export function freshStatuses(count: number, now = Date.now()): ProfileStatus[] {
  const providers = ['redpanda', 'camunda-console', 'acquia', 'sendcloud-oauth2', 'oauth2', 'camunda-operate-cookie'] as const;
  return Array.from({ length: count }, (_, i) => {
    const lifetimeSec = 600 + (i % 6) * 600;
    // Spread over the second, as real refreshes are: each countdown has its own boundary.
    const obtained = now - ((i * 7) % 60) * 1000 - ((i * 137) % 1000);
    return {
      id: `profile-${String(i).padStart(4, '0')}`,
      name: `Service ${String(i).padStart(4, '0')}`,
      provider: providers[i % providers.length] ?? 'oauth2',
      state: 'fresh',
      obtainedAt: new Date(obtained).toISOString(),
      expiresAt: new Date(obtained + lifetimeSec * 1000).toISOString(),
      validUntil: new Date(obtained + lifetimeSec * 1000 - 5000).toISOString(),
      lastRefreshAt: new Date(obtained).toISOString(),
      nextRefreshAt: new Date(obtained + lifetimeSec * 750).toISOString(),
      lastError: null,
      requestsLastHour: i % 5,
      requestsLastDay: (i % 5) * 12 + 3,
    };
  });
}

const escape = (s: string): string => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * The baseline: the dashboard's cards as static HTML with the dashboard's own stylesheet, and the
 * simplest live page there is, one setInterval that rewrites each card's countdown, bar width and
 * relative times every second.
 */
function plainPage(statuses: ProfileStatus[], cssHref: string): string {
  const cards = statuses
    .map((s) => {
      const spec = PROVIDERS[s.provider];
      return `<li class="profile card state-edge-fresh"><article>
<header class="profile-head"><span class="mark mark-${s.provider}" role="img" aria-label="${escape(spec.label)}"><span aria-hidden="true">${escape(spec.mark)}</span></span>
<div class="profile-title"><h2>${escape(s.name)}</h2><span class="muted small">${s.id} · ${escape(spec.label)}</span></div>
<span class="badge state-fresh"><span class="badge-dot"></span>Fresh</span></header>
<div class="lifetime"><div class="lifetime-text"><span class="countdown"></span><span class="muted small">${new Date(s.expiresAt ?? 0).toLocaleString()}</span></div>
<div class="bar"><div class="plain-fill"></div></div></div>
<dl class="facts"><div><dt>Last refresh</dt><dd class="last"></dd></div><div><dt>Next refresh</dt><dd class="next"></dd></div>
<div><dt>Token requests</dt><dd>${s.requestsLastHour} in the last hour, ${s.requestsLastDay} today</dd></div></dl>
<div class="actions"><div class="action-group"><button class="button">Copy token</button><button class="button">Copy header</button><button class="button">Copy curl</button></div>
<div class="action-group"><button class="button">Refresh now</button><button class="button">Pause</button><a class="button" href="#">Inspect token</a><a class="button" href="#">Edit</a><a class="button" href="#">Activity</a><button class="button danger-quiet">Delete</button></div></div>
</article></li>`;
    })
    .join('\n');
  const times = statuses.map((s) => [Date.parse(s.obtainedAt ?? ''), Date.parse(s.expiresAt ?? ''), Date.parse(s.lastRefreshAt ?? ''), Date.parse(s.nextRefreshAt ?? '')]);
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Plain</title>
<link rel="stylesheet" href="${cssHref}">
<style>.plain-fill { height: 100%; border-radius: 999px; background: var(--fresh); }</style></head>
<body><main><ul class="profile-list">${cards}</ul></main>
<script>
const times = ${JSON.stringify(times)};
const cards = [...document.querySelectorAll('.profile-list > li')].map((li) => ({
  countdown: li.querySelector('.countdown'), fill: li.querySelector('.plain-fill'),
  last: li.querySelector('.last'), next: li.querySelector('.next'),
}));
const d = (ms) => { const t = Math.max(0, Math.floor(ms / 1000)); const m = Math.floor(t / 60), s = t % 60;
  return m > 0 ? m + ' min ' + String(s).padStart(2, '0') + ' s' : s + ' s'; };
function tick() {
  const now = Date.now();
  cards.forEach((c, i) => {
    const [start, end, last, next] = times[i];
    c.countdown.textContent = 'Expires in ' + d(end - now);
    c.fill.style.width = Math.round(Math.max(0, (end - now) / (end - start)) * 100) + '%';
    c.last.textContent = d(now - last) + ' ago';
    c.next.textContent = 'in ' + d(next - now);
  });
}
tick();
setInterval(tick, 1000);
</script></body></html>`;
}

/** Notes in the page when every name is in the DOM and laid out, and the longest task until then. */
const PROBE = (count: number): string => `
window.__longest = 0;
try {
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.__longest = Math.max(window.__longest, e.duration);
  }).observe({ type: 'longtask', buffered: true });
} catch {}
new MutationObserver((_, observer) => {
  const names = document.querySelectorAll(${JSON.stringify(NAMES)});
  if (names.length < ${count}) return;
  observer.disconnect();
  // The frame that follows lays the names out; reading a box in it costs nothing extra.
  requestAnimationFrame(() => {
    names[names.length - 1].getBoundingClientRect();
    window.__laidOutAt = performance.now();
  });
}).observe(document, { childList: true, subtree: true });`;

interface Metrics {
  [name: string]: number;
}

async function metrics(cdp: CDPSession): Promise<Metrics> {
  const { metrics: list } = await cdp.send('Performance.getMetrics');
  return Object.fromEntries(list.map((m) => [m.name, m.value]));
}

interface Measured {
  /** Median ms from navigation start to every name laid out. */
  firstRenderMs: number;
  longestTaskMs: number;
  busyMsPerSec: number;
  scriptMsPerSec: number;
  /** CPU time, which a loaded machine does not inflate the way it does wall-clock task time. */
  threadCpuMsPerSec: number;
  /** The whole renderer process, compositor and raster threads too: moving work off the main thread is not free. */
  processCpuMsPerSec: number;
  layoutsPerSec: number;
  styleRecalcsPerSec: number;
  heapBytes: number;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function load(browser: Browser, url: string, count: number): Promise<{ page: Page; at: number; longest: number }> {
  const page = await browser.newPage({ viewport: VIEWPORT });
  await page.addInitScript(PROBE(count));
  await page.goto(url);
  // Polled with plain evaluations: the dashboard's CSP has no 'unsafe-eval' for waitForFunction.
  for (let waited = 0; (await page.evaluate('window.__laidOutAt')) === undefined; waited += 100) {
    if (waited > 120_000) throw new Error(`${url}: ${count} names never appeared`);
    await sleep(100);
  }
  const at = Number(await page.evaluate('window.__laidOutAt'));
  const longest = Number(await page.evaluate('window.__longest'));
  return { page, at, longest };
}

type FirstRender = Pick<Measured, 'firstRenderMs' | 'longestTaskMs'>;

/**
 * Median ms to every name laid out and the longest task, RUNS loads of each page taken in turns,
 * and each round's ratio of the second page's time to the first's: the two loads of a round sit
 * side by side in time, so a round's ratio is the least touched by the machine's own busy moments.
 */
async function firstRenders(
  browser: Browser,
  urls: readonly [string, string],
  count: number,
): Promise<{ pages: [FirstRender, FirstRender]; roundRatios: number[] }> {
  const times: [number[], number[]] = [[], []];
  const longest: [number[], number[]] = [[], []];
  // One warm-up load of each (HTTP cache, V8 code cache), then RUNS measured rounds. The pages load
  // in turns, so a moment when the machine is busy slows both alike instead of one of them, and
  // which goes first alternates, so neither always follows the other's page closing.
  for (let run = 0; run <= RUNS; run += 1) {
    for (const i of run % 2 === 0 ? ([0, 1] as const) : ([1, 0] as const)) {
      const loaded = await load(browser, urls[i], count);
      if (run > 0) {
        times[i].push(loaded.at);
        longest[i].push(loaded.longest);
      }
      await loaded.page.close();
    }
  }
  const summary = (i: 0 | 1): FirstRender => ({ firstRenderMs: median(times[i]), longestTaskMs: Math.max(...longest[i]) });
  const roundRatios = times[1].map((time, round) => time / (times[0][round] ?? Number.NaN));
  return { pages: [summary(0), summary(1)], roundRatios };
}

/** Idle cost and heap of one freshly loaded page. */
async function idleAndHeap(browser: Browser, url: string, count: number): Promise<Omit<Measured, 'firstRenderMs' | 'longestTaskMs'>> {
  const { page } = await load(browser, url, count);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable', { timeDomain: 'timeTicks' });
  await sleep(SETTLE_MS);
  const before = await metrics(cdp);
  await sleep(IDLE_MS);
  const after = await metrics(cdp);
  const seconds = (after.Timestamp ?? 0) - (before.Timestamp ?? 0);
  const perSec = (name: string): number => ((after[name] ?? 0) - (before[name] ?? 0)) / seconds;
  await cdp.send('HeapProfiler.enable');
  await cdp.send('HeapProfiler.collectGarbage');
  await cdp.send('HeapProfiler.collectGarbage');
  const heap = await metrics(cdp);
  await page.close();
  return {
    busyMsPerSec: perSec('TaskDuration') * 1000,
    scriptMsPerSec: perSec('ScriptDuration') * 1000,
    threadCpuMsPerSec: perSec('ThreadTime') * 1000,
    processCpuMsPerSec: perSec('ProcessTime') * 1000,
    layoutsPerSec: perSec('LayoutCount'),
    styleRecalcsPerSec: perSec('RecalcStyleCount'),
    heapBytes: heap.JSHeapUsedSize ?? Number.NaN,
  };
}

async function assetSizes(): Promise<{ raw: number; gzip: number; jsRaw: number; jsGzip: number; files: number }> {
  const files = [join(DIST, 'index.html'), ...(await readdir(join(DIST, 'assets'))).map((f) => join(DIST, 'assets', f))];
  const total = { raw: 0, gzip: 0, jsRaw: 0, jsGzip: 0, files: files.length };
  for (const file of files) {
    const data = await readFile(file);
    const gz = gzipSync(data, { level: 9 }).length;
    total.raw += data.length;
    total.gzip += gz;
    if (extname(file) === '.js') {
      total.jsRaw += data.length;
      total.jsGzip += gz;
    }
  }
  return total;
}

const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KB`;
const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(2)} MB`;
const ms = (value: number): string => `${value.toFixed(0)} ms`;
const ratio = (a: number, b: number): string => `${(a / b).toFixed(2)}x`;

/** The value at quantile `q` (0..1) of `values`, nearest rank. */
const quantile = (values: number[], q: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.round(q * (sorted.length - 1)))] ?? Number.NaN;
};

/** Each round's first-render ratio: median, middle half, and how many rounds were within `goal`. */
function roundsLine(ratios: number[], goal: number): string {
  const within = ratios.filter((r) => r <= goal).length;
  return (
    `first render, each round's ratio: median ${median(ratios).toFixed(2)}x, middle half ${quantile(ratios, 0.25).toFixed(2)}-` +
    `${quantile(ratios, 0.75).toFixed(2)}x, ${within} of ${ratios.length} rounds within ${goal}x`
  );
}

function report(count: number, app: Measured, plain: Measured, roundRatios: number[]): void {
  const rows: Array<[string, string, string, string]> = [
    ['main thread busy while idle, per second', ms(app.busyMsPerSec), ms(plain.busyMsPerSec), ratio(app.busyMsPerSec, plain.busyMsPerSec)],
    ['  of which script, per second', ms(app.scriptMsPerSec), ms(plain.scriptMsPerSec), ratio(app.scriptMsPerSec, plain.scriptMsPerSec)],
    ['main thread CPU while idle, per second', ms(app.threadCpuMsPerSec), ms(plain.threadCpuMsPerSec), ratio(app.threadCpuMsPerSec, plain.threadCpuMsPerSec)],
    ['renderer process CPU while idle, per second', ms(app.processCpuMsPerSec), ms(plain.processCpuMsPerSec), ratio(app.processCpuMsPerSec, plain.processCpuMsPerSec)],
    ['  busy per profile, per second', `${((app.busyMsPerSec / count) * 1000).toFixed(0)} µs`, `${((plain.busyMsPerSec / count) * 1000).toFixed(0)} µs`, ''],
    ['layouts per second', app.layoutsPerSec.toFixed(1), plain.layoutsPerSec.toFixed(1), ''],
    ['style recalculations per second', app.styleRecalcsPerSec.toFixed(1), plain.styleRecalcsPerSec.toFixed(1), ''],
    [`first render, all names laid out (median of ${RUNS})`, ms(app.firstRenderMs), ms(plain.firstRenderMs), ratio(app.firstRenderMs, plain.firstRenderMs)],
    ['longest task while loading', ms(app.longestTaskMs), ms(plain.longestTaskMs), ''],
    ['JS heap after load and a GC', mb(app.heapBytes), mb(plain.heapBytes), ratio(app.heapBytes, plain.heapBytes)],
  ];
  console.log(`\n${count} profiles            | dashboard | plain page | ratio`);
  for (const [name, a, p, r] of rows) console.log(`${name.padEnd(48)} | ${a.padStart(9)} | ${p.padStart(10)} | ${r}`);
  console.log(roundsLine(roundRatios, FIRST_RENDER_GOAL));
}

export async function run(): Promise<void> {
  if (!existsSync(join(DIST, 'index.html'))) {
    execFileSync('npx', ['vite', 'build', '--config', 'renderer/vite.config.ts', '--logLevel', 'warn'], { cwd: ROOT, stdio: 'inherit' });
  }
  const size = await assetSizes();
  console.log(
    `dashboard files: ${size.files}, ${kb(size.raw)} raw (${kb(size.gzip)} gzip); JavaScript ${kb(size.jsRaw)} raw (${kb(size.jsGzip)} gzip)`,
  );

  const css = (await readdir(join(DIST, 'assets'))).find((f) => f.endsWith('.css'));
  const plainDir = await mkdtemp(join(tmpdir(), 'tokentray-bench-plain-'));
  await mkdir(join(plainDir, 'assets'));
  if (css) await copyFile(join(DIST, 'assets', css), join(plainDir, 'assets', css));
  const servers: FakeDashboardServer[] = [];
  const browser = await launchChromium();
  try {
    for (const count of SIZES) {
      const statuses = freshStatuses(count);
      await writeFile(join(plainDir, `plain-${count}.html`), plainPage(statuses, `/assets/${css}`));
      // Rebased on every call so each load sees tokens obtained moments ago.
      const app = await startFakeDashboardServer({ staticDir: DIST, csp: DASHBOARD_CSP, handlers: profileListHandlers(() => freshStatuses(count)) });
      const plain = await startFakeDashboardServer({ staticDir: plainDir, handlers: {} });
      servers.push(app, plain);
      const urls = [`${plain.url}/plain-${count}.html`, `${app.url}/#/profiles`] as const;
      const { pages, roundRatios } = await firstRenders(browser, urls, count);
      const [plainFirst, appFirst] = pages;
      const plainMeasured: Measured = { ...plainFirst, ...(await idleAndHeap(browser, urls[0], count)) };
      const appMeasured: Measured = { ...appFirst, ...(await idleAndHeap(browser, urls[1], count)) };
      report(count, appMeasured, plainMeasured, roundRatios);
    }
  } finally {
    await browser.close();
    for (const server of servers) await server.close();
    await rm(plainDir, { recursive: true, force: true });
  }
}
