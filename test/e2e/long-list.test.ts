// A thousand profiles in Debian's Chromium: the list renders its first screenful with the
// page and the rest in chunks, and what people and assistive technology get is still one list of
// every profile. All 1,000 names arrive in one <ul> that axe accepts, the list says it is busy only
// while it fills, the browser's find-in-page and the keyboard reach the last card, and a link to the
// last profile focuses it on a fresh load. The list's page loads one script, without the validating
// views and their zod.
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Browser, type Page } from 'playwright-core';
import { injectAxe } from '../support/axe.js';
import { ensureDashboardBuilt, launchChromium } from '../support/chromium.js';
import { DASHBOARD_CSP } from '../../main/core/api/static-files.js';
import { profileListHandlers, startFakeDashboardServer, syntheticStatuses, type FakeDashboardServer } from '../renderer/fake-dashboard-server.js';

const ROOT = resolve(import.meta.dirname, '../..');
const COUNT = 1000;

describe('a thousand profiles, rendered progressively (Chromium)', () => {
  let server: FakeDashboardServer;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  before(async () => {
    ensureDashboardBuilt(ROOT);
    const statuses = syntheticStatuses(COUNT);
    server = await startFakeDashboardServer({ staticDir: join(ROOT, 'dist/renderer'), csp: DASHBOARD_CSP, handlers: profileListHandlers(() => statuses) });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.on('pageerror', (e) => pageErrors.push(e.message));
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it('every name arrives, in one list that is busy only while it fills, and axe finds the list sound', async () => {
    await page.goto(`${server.url}/#/profiles`);
    const list = page.getByRole('list', { name: 'Profiles' });
    await list.locator('> li').nth(COUNT - 1).waitFor({ state: 'attached' });
    assert.equal(await page.locator('ul.profile-list').count(), 1, 'one list');
    assert.equal(await list.locator('> li').count(), COUNT);
    assert.equal(await list.getAttribute('aria-busy'), 'false');
    const names = await list.locator('> li h2').allTextContents();
    assert.deepEqual(names, syntheticStatuses(COUNT).map((s) => s.name), 'every name, in order');

    await injectAxe(page);
    const violations = (await page.evaluate(`axe.run('ul.profile-list', { runOnly: ['list', 'listitem', 'aria-allowed-attr', 'aria-valid-attr-value'] })
      .then((r) => r.violations.map((v) => v.id + ': ' + v.nodes.length))`)) as string[];
    assert.deepEqual(violations, []);
    assert.deepEqual(pageErrors, []);
    // The list's script has no zod: the views that validate load when opened (renderer/src/lazy-view.tsx).
    const scripts = (await page.evaluate(`performance.getEntriesByType('resource').map((e) => e.name).filter((n) => n.endsWith('.js'))`)) as string[];
    assert.equal(scripts.length, 1, scripts.join(', '));
  });

  it('the keyboard and find-in-page reach the last card', async () => {
    // Nothing focusable follows the list: from a stop put at the page's end, one Shift+Tab lands
    // on the last card's last action.
    await page.evaluate(`(() => { const end = document.createElement('span'); end.tabIndex = 0; end.id = 'end'; document.body.append(end); end.focus(); })()`);
    await page.keyboard.press('Shift+Tab');
    const focused = await page.evaluate(`(() => {
      const card = document.activeElement.closest('[data-profile-id]');
      return { card: card && card.getAttribute('data-profile-id'), text: document.activeElement.textContent };
    })()`);
    assert.deepEqual(focused, { card: 'profile-999', text: 'Delete' });
    await page.evaluate(`document.getElementById('end').remove()`);
    // content-visibility keeps skipped cards' text searchable: the browser's find sees the last name.
    assert.equal(await page.evaluate(`window.find('Service 999')`), true);
  });

  it('a link to the last profile focuses it on a fresh load', async () => {
    await page.goto('about:blank');
    await page.goto(`${server.url}/#/profiles/profile-999`);
    // Polled with plain evaluations: the dashboard's CSP has no 'unsafe-eval' for waitForFunction.
    for (let i = 0; (await page.evaluate('document.activeElement && document.activeElement.id')) !== 'profile-title-profile-999'; i += 1) {
      assert.ok(i < 200, 'the linked profile never took focus');
      await new Promise((r) => setTimeout(r, 50));
    }
    const list = page.getByRole('list', { name: 'Profiles' });
    await list.locator('> li').nth(COUNT - 1).waitFor({ state: 'attached' });
    assert.equal(await page.evaluate('document.activeElement.id'), 'profile-title-profile-999', 'focus stays as the rest arrives');
    assert.equal(await list.locator('> li').count(), COUNT);
  });
});
