// The dashboard's built files at / in headless mode (static-files.ts serves them under its CSP).
// Under /ui/ only the login and RPC paths exist; anything else there is a 404, never the app page.
import { HttpProblem } from './problem.js';
import type { ServerArea } from './server-area.js';
import { serveDashboardFile } from './static-files.js';

export function registerStaticRoutes(area: Pick<ServerArea, 'router' | 'dashboardDir'>): void {
  const { router, dashboardDir } = area;
  const noPage = (): never => {
    throw new HttpProblem(404, 'not_found', 'There is no such page.');
  };
  router
    .add({ path: '/ui', access: 'open', methods: { ANY: noPage } })
    .add({ path: '/ui/{rest*}', access: 'open', methods: { ANY: noPage } })
    // serveDashboardFile answers GET and HEAD, and a 405 to any other method.
    .add({ path: '/{file*}', access: 'open', methods: { ANY: ({ req, res, path }) => serveDashboardFile(req, res, dashboardDir, path) } });
}
