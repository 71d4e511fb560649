// The headless dashboard's transport (issue 5): POST /ui/rpc/{channel} with the verb's arguments as
// a JSON array, answered by the same RPC verbs the app's IPC serves.
import { HTTP_RPC_PREFIX } from '../../../common/contract.js';
import { dispatchRpc } from '../rpc.js';
import { readJson } from './body.js';
import { sendJson } from './problem.js';
import type { RequestContext } from './router.js';
import type { ServerArea } from './server-area.js';

export function registerRpcRoutes(area: ServerArea): void {
  const { router, rpc, rpcBodyBytes } = area;

  async function call({ req, res, params }: RequestContext): Promise<void> {
    const body = await readJson(req, rpcBodyBytes);
    const args = body === undefined ? [] : body;
    let channel: string;
    try {
      channel = decodeURIComponent(params.channel ?? '');
    } catch {
      channel = '';
    }
    sendJson(res, 200, await dispatchRpc(rpc, channel, args));
  }

  router.add({ path: `${HTTP_RPC_PREFIX}{channel*}`, access: 'session', methods: { POST: call } });
}
