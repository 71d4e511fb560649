import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import {
  CONTENT_SECURITY_POLICY,
  appResponseHeaders,
  dashboardUrl,
  isAppUrl,
  isTrustedSender,
  resolveAppAsset,
} from '../../main/core/desktop/window-policy.js';

const root = path.resolve('/opt/tokentray/dist/renderer');

describe('window policy', () => {
  it('opens the dashboard at a profile through the renderer route #/profiles/ID', () => {
    assert.equal(dashboardUrl(), 'app://tokentray/index.html#/profiles');
    assert.equal(dashboardUrl('acquia-prod'), 'app://tokentray/index.html#/profiles/acquia-prod');
  });

  it('recognises only our own origin', () => {
    assert.equal(isAppUrl('app://tokentray/index.html#/x'), true);
    for (const url of ['app://tokentray.evil/', 'app://evil/', 'https://tokentray/', 'file:///index.html', 'app://user@tokentray/', 'not a url']) {
      assert.equal(isAppUrl(url), false, url);
    }
  });

  it('maps app:// paths into the renderer folder and nowhere else', () => {
    assert.equal(resolveAppAsset('app://tokentray/', root), path.join(root, 'index.html'));
    assert.equal(resolveAppAsset('app://tokentray/assets/index-abc.js?x=1#y', root), path.join(root, 'assets/index-abc.js'));
    // The URL parser already folds plain dot segments, so they stay inside the folder.
    assert.equal(resolveAppAsset('app://tokentray/../../../etc/passwd', root), path.join(root, 'etc/passwd'));
    assert.equal(resolveAppAsset('app://tokentray/%2e%2e/%2e%2e/etc/passwd', root), path.join(root, 'etc/passwd'));
    for (const url of [
      'app://tokentray/assets/..%2f..%2f..%2fetc%2fpasswd',
      'app://tokentray/a%5c..%5c..%5cb',
      'app://tokentray/a%00.js',
      'app://other/index.html',
      'https://tokentray/index.html',
    ]) {
      assert.equal(resolveAppAsset(url, root), null, url);
    }
  });

  it('serves every file with the strict CSP, nosniff and no-store', () => {
    const headers = appResponseHeaders('/x/index.html');
    assert.equal(headers['Content-Type'], 'text/html; charset=utf-8');
    assert.equal(headers['Content-Security-Policy'], CONTENT_SECURITY_POLICY);
    assert.match(CONTENT_SECURITY_POLICY, /default-src 'none'/);
    assert.match(CONTENT_SECURITY_POLICY, /script-src 'self'(;|$)/);
    assert.doesNotMatch(CONTENT_SECURITY_POLICY, /unsafe-(inline|eval)|https?:|\*/);
    assert.equal(headers['X-Content-Type-Options'], 'nosniff');
    assert.equal(appResponseHeaders('/x/a.js')['Content-Type'], 'text/javascript; charset=utf-8');
  });

  it('trusts only the top frame of the dashboard window showing our page', () => {
    const ok = { webContentsId: 3, frameUrl: dashboardUrl(), isMainFrame: true };
    assert.equal(isTrustedSender(ok, 3), true);
    assert.equal(isTrustedSender(ok, null), false);
    assert.equal(isTrustedSender({ ...ok, webContentsId: 4 }, 3), false);
    assert.equal(isTrustedSender({ ...ok, isMainFrame: false }, 3), false);
    assert.equal(isTrustedSender({ ...ok, frameUrl: null }, 3), false);
    assert.equal(isTrustedSender({ ...ok, frameUrl: 'https://example.com/' }, 3), false);
  });
});
