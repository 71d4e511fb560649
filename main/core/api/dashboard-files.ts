// The dashboard's built files and the headers they go out with, for both doors: the app window's
// app://tokentray protocol and `tokentray serve`'s HTTP server. One policy, so the two cannot drift
// (docs/desktop.md: a strict CSP, no remote content). Node only, no electron import.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';

export const DASHBOARD_ENTRY = 'index.html';

/**
 * Only our own files: no remote scripts, styles, images or connections, no plugins, no framing, no
 * <base> tricks, no form posts. connect-src 'self' is the headless page's RPC and event stream.
 * Preact sets styles through the CSSOM, which style-src does not restrict, so no 'unsafe-inline'.
 */
export const DASHBOARD_CSP = [
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

export function contentTypeFor(file: string): string {
  return CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/** Every header a dashboard file carries, whichever door served it. */
export function dashboardFileHeaders(file: string): Record<string, string> {
  return {
    'Content-Type': contentTypeFor(file),
    'Content-Security-Policy': DASHBOARD_CSP,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Cache-Control': 'no-store',
  };
}

/**
 * A request path (still percent-encoded, starting with '/') as a file path inside the build folder,
 * or null when it would step outside it (`..` in any spelling, encoded slashes, backslashes, NUL).
 */
export function resolveDashboardPath(rawPath: string, rootDir: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const relative = decoded === '/' || decoded === '' ? DASHBOARD_ENTRY : decoded.replace(/^\/+/, '');
  const root = path.resolve(rootDir);
  const file = path.resolve(root, relative);
  if (file !== root && !file.startsWith(root + path.sep)) return null;
  return file;
}

export interface DashboardFile {
  path: string;
  size: number;
  headers: Record<string, string>;
  open(): Readable;
}

async function fileAt(file: string): Promise<{ path: string; size: number } | null> {
  try {
    const info = await stat(file);
    if (info.isDirectory()) return fileAt(path.join(file, DASHBOARD_ENTRY));
    return info.isFile() ? { path: file, size: info.size } : null;
  } catch {
    return null;
  }
}

/**
 * The file a dashboard path names, with its headers; null when there is none. Client-side routes (a
 * path without a file extension) get the app's index page.
 */
export async function findDashboardFile(rawPath: string, rootDir: string): Promise<DashboardFile | null> {
  const wanted = resolveDashboardPath(rawPath, rootDir);
  if (wanted === null) return null;
  let found = await fileAt(wanted);
  if (found === null && path.extname(wanted) === '') found = await fileAt(path.join(path.resolve(rootDir), DASHBOARD_ENTRY));
  if (found === null) return null;
  const file = found.path;
  return { path: file, size: found.size, headers: dashboardFileHeaders(file), open: () => createReadStream(file) };
}
