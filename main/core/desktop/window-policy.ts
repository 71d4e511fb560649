// The dashboard window's security decisions (docs/desktop.md: strict CSP, no remote content,
// navigation denied, every IPC call checks its sender), kept out of main/electron so they are
// unit-tested under Node. The dashboard is served from a private `app://tokentray/` origin rather
// than file://: a real origin gets a CSP response header and lets the IPC layer tell our page from
// any other by URL.
import { readFile } from 'node:fs/promises';
import { DASHBOARD_CSP, DASHBOARD_ENTRY, dashboardFileHeaders, findDashboardFile, resolveDashboardPath } from '../api/dashboard-files.js';

export const APP_SCHEME = 'app';
export const APP_HOST = 'tokentray';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export { DASHBOARD_ENTRY };

/** The one dashboard policy (dashboard-files.ts), under the name the window code has always used. */
export const CONTENT_SECURITY_POLICY = DASHBOARD_CSP;

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
  return resolveDashboardPath(new URL(requestUrl).pathname, rootDir);
}

/** Headers for every file we serve to the dashboard: the same as the headless server's. */
export function appResponseHeaders(file: string): Record<string, string> {
  return dashboardFileHeaders(file);
}

/**
 * The app:// protocol's answer to one request (main/electron/window.ts hands every request here):
 * our files only, read with GET, with the dashboard's headers; anything else is a 404.
 */
export async function answerAppRequest(request: Pick<Request, 'url' | 'method'>, rootDir: string): Promise<Response> {
  if (!isAppUrl(request.url) || request.method !== 'GET') return new Response('Not found', { status: 404 });
  const file = await findDashboardFile(new URL(request.url).pathname, rootDir);
  if (file === null) return new Response('Not found', { status: 404 });
  try {
    return new Response(await readFile(file.path), { status: 200, headers: file.headers });
  } catch {
    return new Response('Not found', { status: 404 });
  }
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
