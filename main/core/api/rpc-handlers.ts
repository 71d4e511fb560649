// The headless dashboard's transport: POST /ui/rpc/{channel} with the verb's arguments as
// a JSON array, answered by the same RPC verbs the app's IPC serves. Here too the session follows
// the vault: Lock ends every dashboard session (server.ts) and gives the tab that locked a
// lock-screen session in the same answer; unlocking trades that for a full one. A session is rotated
// whenever what it may do changes, so a secret seen before the change is worth nothing after it.
import { HTTP_RPC_PREFIX, SESSION_HEADER, type IpcChannel, type Result, type VaultInfo } from '../../../common/contract.js';
import { dispatchRpc } from '../rpc.js';
import { readJson } from './body.js';
import type { Caller } from './caller-auth.js';
import { callerOf } from './middleware.js';
import { sendJson } from './problem.js';
import type { RequestContext } from './router.js';
import type { ServerArea } from './server-area.js';
import { lockScreenRefusal, sessionCookie, type DashboardSessions, type IssuedSession } from './sessions.js';

/** What the lock screen needs; a lock-screen session may call nothing else. */
const LOCK_SCREEN_CHANNELS: ReadonlySet<string> = new Set<IpcChannel>(['vault:state', 'vault:unlock', 'vault:create', 'vault:strength']);

function vaultStateOf(result: Result<unknown>): VaultInfo['state'] | undefined {
  return result.ok ? (result.value as VaultInfo).state : undefined;
}

/** The session the caller continues with after this channel's answer, if it changes. */
function rotation(sessions: DashboardSessions, caller: Caller, channel: string, result: Result<unknown>): IssuedSession | null {
  const state = vaultStateOf(result);
  if (channel === 'vault:lock' && state !== undefined && state !== 'unlocked') {
    // The server already ended every session when the vault locked; ending them again is a no-op
    // that keeps this true even for a vault that tells its state late.
    sessions.revokeAll();
    return sessions.issue('lock-screen');
  }
  if ((channel === 'vault:unlock' || channel === 'vault:create') && state === 'unlocked' && caller.sessionScope === 'lock-screen' && caller.sessionKey !== undefined) {
    sessions.end(caller.sessionKey);
    return sessions.issue('full');
  }
  return null;
}

export function registerRpcRoutes(area: Pick<ServerArea, 'router' | 'rpc' | 'rpcBodyBytes' | 'sessions'>): void {
  const { router, rpc, rpcBodyBytes, sessions } = area;

  async function call(ctx: RequestContext): Promise<void> {
    const { req, res, params } = ctx;
    const caller = callerOf(ctx);
    const body = await readJson(req, rpcBodyBytes);
    const args = body === undefined ? [] : body;
    let channel: string;
    try {
      channel = decodeURIComponent(params.channel ?? '');
    } catch {
      channel = '';
    }
    if (caller.sessionScope === 'lock-screen' && !LOCK_SCREEN_CHANNELS.has(channel)) throw lockScreenRefusal();
    const result = await dispatchRpc(rpc, channel, args);
    const next = rotation(sessions, caller, channel, result);
    // The new secret goes only into this same-origin answer (no CORS, so no other origin reads it),
    // as at login; its cookie replaces the old one.
    if (next === null) sendJson(res, 200, result);
    else sendJson(res, 200, result, { [SESSION_HEADER]: next.secret, 'Set-Cookie': sessionCookie(next.cookie) });
  }

  router.add({ path: `${HTTP_RPC_PREFIX}{channel*}`, access: 'session', methods: { POST: call } });
}
