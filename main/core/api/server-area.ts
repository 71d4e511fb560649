// What the loopback server hands each area's routes (api, login, rpc, static, relay): the router to
// register on and the parts the handlers share. One area, one `registerXRoutes(area)`, which takes a
// Pick<> of only the parts it uses.
import type { AdminHandlers } from '../admin.js';
import type { Clock } from '../clock.js';
import type { RpcHandlers } from '../rpc.js';
import type { ConfigStore, Engine, Logger } from '../types.js';
import type { SharedCache } from '../fleet/shared-cache.js';
import type { VaultState } from '../storage/vault-control.js';
import type { CallerAuth } from './caller-auth.js';
import type { EventStreams } from './events.js';
import type { ProfileProxy } from './proxy.js';
import type { OpenWork } from './revocation.js';
import type { Router } from './router.js';
import type { DashboardSessions } from './sessions.js';

export interface ServerArea {
  router: Router;
  engine: Engine;
  store: ConfigStore;
  clock: Clock;
  rpc: RpcHandlers;
  /** The local socket's administration verbs (profiles, client keys, the vault). */
  admin: AdminHandlers | undefined;
  version: string;
  logger: Logger | undefined;
  /** Client keys: the Bearer check, the relay's client secret, 403 before 404. */
  auth: CallerAuth;
  sessions: DashboardSessions;
  streams: EventStreams;
  proxy: ProfileProxy;
  /** What keys and sessions hold open (streams, proxied requests), ended when they are revoked. */
  work: OpenWork;
  /** The built dashboard (headless mode). */
  dashboardDir: string | undefined;
  /** The dashboard's RPC bodies are read up to this size. */
  rpcBodyBytes: number;
  /** The token relay's bounds: its bodies, and the delay before refusing a wrong secret (doubling, capped). */
  relay: { bodyBytes: number; failureDelayMs: number; failureDelayMaxMs: number };
  /** A fresh one-time dashboard login link. */
  createLoginLink(): string;
  /** The file vault: while it is not unlocked, health says "locked" and token demands answer 503. */
  vault: { readonly state: VaultState } | undefined;
  /** The fleet's shared cache, whose state /v1/health reports (SPEC section 8). */
  sharedCache: Pick<SharedCache, 'health'> | undefined;
}
