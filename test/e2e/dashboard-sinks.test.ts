// The profile card's token files in Chromium against a real `tokentray serve`: a profile with two
// sinks, one in a private folder (written) and one in a world-writable folder (refused by the one
// writer, docs/sinks.md); the card shows both paths, the first as written, the second with its reason.
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Browser, type Page } from 'playwright-core';
import { ensureDashboardBuilt, launchChromium } from '../support/chromium.js';
import { runCli } from '../support/cli.js';
import { startServe, stopServe, type Served } from '../support/serve-process.js';
import { startProviderServer, type ProviderServer } from '../support/servers/index.js';

const ROOT = resolve(import.meta.dirname, '../..');

describe('the dashboard card shows token files', () => {
  let configDir: string;
  let files: string;
  let provider: ProviderServer;
  let served: Served | undefined;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  before(async () => {
    ensureDashboardBuilt(ROOT);
    configDir = await mkdtemp(join(tmpdir(), 'tokentray-e2e-sinks-'));
    files = await mkdtemp(join(tmpdir(), 'tokentray-e2e-sink-files-'));
    await mkdir(join(files, 'private'), { mode: 0o700 });
    await mkdir(join(files, 'open'), { mode: 0o700 });
    provider = await startProviderServer('oauth2', { lifetimeSec: 3600 });
    const profile = provider.profile({ id: 'job' });
    const dir = ['--config-dir', configDir];
    const added = await runCli(['profile', 'add', 'job', '--provider', 'oauth2', '--client-id', profile.clientId as string, '--token-url', profile.tokenUrl as string, '--secret-stdin', ...dir], {
      stdin: provider.credentials.clientSecret,
    });
    assert.equal(added.code, 0, added.stderr);
    for (const path of [join(files, 'private', 'token'), join(files, 'open', 'token.env')]) {
      const sink = await runCli(['sink', 'add', 'job', path, ...(path.endsWith('.env') ? ['--format', 'env'] : []), ...dir]);
      assert.equal(sink.code, 0, sink.stderr);
    }
    // sink add refuses such a folder too: it becomes world-writable after, as folders do.
    await chmod(join(files, 'open'), 0o777);
    served = await startServe(configDir);
    browser = await launchChromium();
    page = await browser.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
  });

  after(async () => {
    await browser?.close();
    await stopServe(served);
    await provider?.close();
    for (const dir of [configDir, files]) if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('a written sink with its path and time, a refused one with its reason', async () => {
    assert.ok(served);
    await page.goto(served.link);
    const card = page.locator('li[data-profile-id="job"]');
    const sinks = card.getByRole('list', { name: 'Token files' });
    const written = sinks.locator('li[data-present="true"]');
    const refused = sinks.locator('li[data-present="false"]');
    // The serve writes after its first refresh; the card follows the event without a reload.
    await written.waitFor({ timeout: 60_000 });
    assert.match((await written.textContent()) ?? '', new RegExp(`^${join(files, 'private', 'token')} raw, 0600 · written `));
    // The card says what is on disk: the token the provider issued, in the written file.
    const onDisk = await readFile(join(files, 'private', 'token'), 'utf8');
    assert.ok(provider.issued.some((t) => t.accessToken === onDisk));
    await refused.waitFor();
    const reason = (await refused.textContent()) ?? '';
    assert.match(reason, new RegExp(`^${join(files, 'open', 'token.env')} env, 0600 · not written: `));
    assert.match(reason, /may be written by others \(mode 0777\)/);
    assert.doesNotMatch(reason, new RegExp(onDisk), 'never the token in the card');
    assert.deepEqual(pageErrors, []);
  });
});
