// The dashboard window's security decisions (docs/desktop.md: strict CSP, no remote content,
// navigation denied, every IPC call checks its sender), kept out of main/electron so they are
// unit-tested under Node. The dashboard is served from a private `app://tokentray/` origin rather
// than file://: a real origin gets a CSP response header and lets the IPC layer tell our page from
// any other by URL.
import path from 'node:path';

export const APP_SCHEME = 'app';
export const APP_HOST = 'tokentray';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const DASHBOARD_ENTRY = 'index.html';

/**
 * Only our own files: no remote scripts, styles, images or connections, no plugins, no framing,
 * no <base> tricks, no form posts. React sets styles through the CSSOM, which style-src does not
 * restrict, so no 'unsafe-inline' is needed.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** The dashboard's URL; with a profile id it opens at that profile (renderer/src/router.ts: #/profiles/ID). */
export function dashboardUrl(profileId?: string): string {
  const hash = profileId ? `#/profiles/${encodeURIComponent(profileId)}` : '#/profiles';
  return `${APP_ORIGIN}/${DASHBOARD_ENTRY}${hash}`;
}

/** True only for URLs of our own origin. (Node's URL gives custom schemes an opaque origin, so compare parts.) */
export function isAppUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === `${APP_SCHEME}:` && url.host === APP_HOST && url.username === '' && url.password === '';
  } catch {
    return false;
  }
}

/**
 * Maps an app:// request onto a file under the renderer's build folder, or null when it is not
 * ours or would step outside the folder (`..`, encoded slashes, absolute paths).
 */
export function resolveAppAsset(requestUrl: string, rootDir: string): string | null {
  if (!isAppUrl(requestUrl)) return null;
  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(requestUrl).pathname);
  } catch {
    return null;
  }
  if (pathname.includes('\0') || pathname.includes('\\')) return null;
  const relative = pathname === '/' || pathname === '' ? DASHBOARD_ENTRY : pathname.replace(/^\/+/, '');
  const root = path.resolve(rootDir);
  const file = path.resolve(root, relative);
  if (file !== root && !file.startsWith(root + path.sep)) return null;
  return file;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.txt': 'text/plain; charset=utf-8',
};

/** One map for the app:// protocol and the headless server, so both serve the dashboard alike. */
export function contentTypeFor(file: string): string {
  return CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/** Headers for every file we serve to the dashboard. */
export function appResponseHeaders(file: string): Record<string, string> {
  return {
    'Content-Type': contentTypeFor(file),
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'no-store',
  };
}

/** What the IPC layer knows about who is calling (from IpcMainInvokeEvent). */
export interface SenderInfo {
  /** event.sender.id */
  webContentsId: number;
  /** event.senderFrame?.url; null when the frame is gone (navigated away or destroyed). */
  frameUrl: string | null;
  /** True when the sending frame is the top frame of its page (event.senderFrame.parent === null). */
  isMainFrame: boolean;
}

/**
 * An IPC call is trusted only when it comes from the top frame of our own dashboard window and
 * that frame shows our own page (desktop/desktop trusted-ipc-sender.ts, electron/fiddle ipc.ts).
 */
export function isTrustedSender(sender: SenderInfo, dashboardWebContentsId: number | null): boolean {
  if (dashboardWebContentsId === null || sender.webContentsId !== dashboardWebContentsId) return false;
  if (!sender.isMainFrame || sender.frameUrl === null) return false;
  return isAppUrl(sender.frameUrl);
}
