// The dashboard's built files in headless mode (`tokentray serve`), under a strict Content-Security-
// Policy: the page may talk only to this origin and run only its own scripts.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { contentTypeFor } from '../window-policy.js';
import { BASE_HEADERS, HttpProblem } from './problem.js';

export const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "style-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': DASHBOARD_CSP,
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};


const notFound = (): HttpProblem => new HttpProblem(404, 'not_found', 'There is no such page.');

async function fileAt(path: string): Promise<{ path: string; size: number } | null> {
  try {
    const info = await stat(path);
    if (info.isDirectory()) return fileAt(join(path, 'index.html'));
    return info.isFile() ? { path, size: info.size } : null;
  } catch {
    return null;
  }
}

export async function serveDashboardFile(
  req: IncomingMessage,
  res: ServerResponse,
  dashboardDir: string | undefined,
  rawPath: string,
): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    throw new HttpProblem(405, 'usage', 'Only GET and HEAD are allowed here.', undefined, { Allow: 'GET, HEAD' });
  }
  if (dashboardDir === undefined) {
    throw new HttpProblem(404, 'not_found', 'The dashboard is not part of this build.', 'Run `npm run build` to build it.');
  }
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    throw notFound();
  }
  if (decoded.includes('\0') || decoded.includes('\\')) throw notFound();
  const root = resolve(dashboardDir);
  const wanted = resolve(root, `.${decoded}`);
  if (wanted !== root && !wanted.startsWith(root + sep)) throw notFound();

  // Client-side routes (no file extension) get the app's index page.
  let file = await fileAt(wanted);
  if (file === null && extname(decoded) === '') file = await fileAt(join(root, 'index.html'));
  if (file === null) {
    if (decoded === '/' || decoded === '/index.html') {
      throw new HttpProblem(404, 'not_found', 'The dashboard has not been built.', 'Run `npm run build` in the project folder.');
    }
    throw notFound();
  }
  res.writeHead(200, {
    ...BASE_HEADERS,
    ...PAGE_HEADERS,
    'Content-Type': contentTypeFor(file.path),
    'Content-Length': file.size,
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  try {
    await pipeline(createReadStream(file.path), res);
  } catch {
    res.destroy();
  }
}
