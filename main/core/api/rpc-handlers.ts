// The headless dashboard's transport (issue 5): POST /ui/rpc/{channel} with the verb's arguments as
// a JSON array, answered by the same RPC verbs the app's IPC serves.
import { HTTP_RPC_PREFIX } from '../../../common/contract.js';
import { dispatchRpc } from '../rpc.js';
import { readBody } from './body.js';
import { HttpProblem, sendJson } from './problem.js';
import type { RequestContext } from './router.js';
import type { ServerArea } from './server-area.js';

export function registerRpcRoutes(area: ServerArea): void {
  const { router, rpc, rpcBodyBytes } = area;

  async function call({ req, res, params }: RequestContext): Promise<void> {
    // Only JSON: an HTML form cannot send it, which closes the classic cross-site form post.
    const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (type !== 'application/json') {
      throw new HttpProblem(415, 'usage', 'The request body must be application/json.');
    }
    const body = await readBody(req, rpcBodyBytes);
    let args: unknown;
    try {
      args = body.length === 0 ? [] : JSON.parse(body.toString('utf8'));
    } catch {
      throw new HttpProblem(400, 'usage', 'The request body is not valid JSON.');
    }
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
