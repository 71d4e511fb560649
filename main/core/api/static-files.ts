// The dashboard's built files in headless mode (`tokentray serve`): the same files and headers as
// the app window's (dashboard-files.ts), as HTTP answers with this server's errors.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { DASHBOARD_ENTRY, findDashboardFile } from './dashboard-files.js';
import { BASE_HEADERS, HttpProblem } from './problem.js';

export { DASHBOARD_CSP } from './dashboard-files.js';

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
  const file = await findDashboardFile(rawPath, dashboardDir);
  if (file === null) {
    if (rawPath === '/' || rawPath === `/${DASHBOARD_ENTRY}`) {
      throw new HttpProblem(404, 'not_found', 'The dashboard has not been built.', 'Run `npm run build` in the project folder.');
    }
    throw new HttpProblem(404, 'not_found', 'There is no such page.');
  }
  res.writeHead(200, { ...BASE_HEADERS, ...file.headers, 'Content-Length': file.size });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  try {
    await pipeline(file.open(), res);
  } catch {
    res.destroy();
  }
}
