// The administration verbs on the local socket (common/admin-verbs.ts): POST /v1/admin/{verb} with
// one JSON object, answered with JSON or a problem. Only the socket's own user reaches them; on TCP
// the path answers like any unknown one, so the client-key rules stay exactly as they were.
import { ADMIN_PATH_PREFIX } from '../../../common/admin-verbs.js';
import { dispatchAdmin } from '../admin.js';
import { readJson } from './body.js';
import { sendJson } from './problem.js';
import type { RequestContext } from './router.js';
import type { ServerArea } from './server-area.js';

export function registerAdminRoutes(area: Pick<ServerArea, 'router' | 'admin' | 'rpcBodyBytes'>): void {
  const { router, admin, rpcBodyBytes } = area;
  if (admin === undefined) return;

  async function call(ctx: RequestContext): Promise<void> {
    const body = await readJson(ctx.req, rpcBodyBytes);
    let verb: string;
    try {
      verb = decodeURIComponent(ctx.params.verb ?? '');
    } catch {
      verb = '';
    }
    sendJson(ctx.res, 200, await dispatchAdmin(admin!, verb, body));
  }

  router.add({ path: `${ADMIN_PATH_PREFIX}{verb}`, access: 'local', methods: { POST: call } });
}
