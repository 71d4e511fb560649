// The loopback API (docs/http-api.md) and, in headless mode, the dashboard's transport: one
// node:http server bound to 127.0.0.1 only, and the lifecycle around it. What a request meets is
// composed here: the middleware (middleware.ts: front door, route, caller, method) in front of a
// router whose routes each area registers (api-handlers.ts, login-, rpc-, static-handlers.ts).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { AdminHandlers } from '../admin.js';
import type { Clock } from '../clock.js';
import type { RpcHandlers } from '../rpc.js';
import type { ConfigStore, Engine, Logger } from '../types.js';
import type { VaultState } from '../storage/vault-control.js';
import { registerAdminRoutes } from './admin-handlers.js';
import { registerApiRoutes } from './api-handlers.js';
import { CallerAuth } from './caller-auth.js';
import { EventStreams } from './events.js';
import { loginLink, registerLoginRoutes } from './login-handlers.js';
import { createPipeline, type Door } from './middleware.js';
import { HttpProblem, problemFromError, problemResponseText, sendProblem } from './problem.js';
import { ProfileProxy } from './proxy.js';
import { OpenWork } from './revocation.js';
import { Router, type Access } from './router.js';
import { registerActivityRoutes } from './activity.js';
import { registerRelayRoutes } from './relay-handler.js';
import { registerRpcRoutes } from './rpc-handlers.js';
import { allowedHosts } from './security.js';
import type { ServerArea } from './server-area.js';
import { DashboardSessions, DEFAULT_SESSION_OPTIONS, type SessionOptions } from './sessions.js';
import { registerStaticRoutes } from './static-handlers.js';
import type { SharedCache } from '../fleet/shared-cache.js';

export type { Door } from './middleware.js';

export interface LoopbackLimits {
  /** Open sockets at once; more are dropped by node before any parsing. */
  maxConnections: number;
  /** Bytes of request line plus headers; more gets 431. */
  maxHeaderSize: number;
  /** The dashboard's RPC bodies. */
  rpcBodyBytes: number;
  /** Proxied bodies up to this size are buffered so PUT/DELETE can be retried after a 401. */
  retryBufferBytes: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  upstreamTimeoutMs: number;
  heartbeatMs: number;
  /** How often a client key's lastUsedAt may be written (it is a file write). */
  lastUsedWriteMs: number;
  /** How often open streams and proxied requests re-read the keys (revocation by another process). */
  revocationPollMs: number;
  /** The token relay's request bodies (a client-credentials request is a few hundred bytes). */
  relayBodyBytes: number;
  /** The delay before the relay refuses a wrong secret, doubling per failure of one client_id, up to the max. */
  relayFailureDelayMs: number;
  relayFailureDelayMaxMs: number;
}

export const DEFAULT_LIMITS: LoopbackLimits = {
  maxConnections: 2048,
  maxHeaderSize: 16 * 1024,
  rpcBodyBytes: 1024 * 1024,
  retryBufferBytes: 1024 * 1024,
  headersTimeoutMs: 15_000,
  requestTimeoutMs: 120_000,
  upstreamTimeoutMs: 120_000,
  heartbeatMs: 15_000,
  lastUsedWriteMs: 10 * 60_000,
  revocationPollMs: 250,
  relayBodyBytes: 16 * 1024,
  relayFailureDelayMs: 100,
  relayFailureDelayMaxMs: 5000,
};

export interface LoopbackServerDeps {
  engine: Engine;
  store: ConfigStore;
  clock: Clock;
  rpc: RpcHandlers;
  /** The local socket's administration verbs; built with the server's open work when absent. */
  admin?: (keysChanged: () => void) => AdminHandlers;
  version: string;
  /** The built dashboard (dist/renderer), served at / in headless mode. */
  dashboardDir?: string;
  logger?: Logger;
  limits?: Partial<LoopbackLimits>;
  sessions?: Partial<SessionOptions>;
  /**
   * The file vault: while it is not unlocked, health says "locked" and token demands answer 503;
   * when it locks, every dashboard session ends.
   */
  vault?: { readonly state: VaultState; onDidChangeState?(listener: (state: VaultState) => void): () => void };
  /** The fleet's shared cache: /v1/health says whether it answers (SPEC section 8). */
  sharedCache?: Pick<SharedCache, 'health'>;
}

export interface LoopbackServer {
  /** Binds 127.0.0.1:port (0 picks a free port) and resolves with the actual port. */
  listen(port: number): Promise<number>;
  close(): Promise<void>;
  /** A fresh one-time dashboard login link (headless mode). */
  createLoginLink(): string;
  /** Ends every dashboard session and its event streams now (the vault's Lock). */
  revokeAllSessions(): void;
  /**
   * A node:http server answering the same routes through another door (e.g. the user-only local
   * socket, whose callers need no key), with the same limits; close() closes it too. The caller
   * listens on it.
   */
  createListener(door: Door): Server;
  readonly port: number;
  /** Every route this server answers: its path, access and methods (docs/http-api.md lists them). */
  routes(): readonly { path: string; access: Access; methods: readonly string[] }[];
  /** The shared cache /v1/health reports from now on (a fleet joined or left while running). */
  useSharedCache(cache: Pick<SharedCache, 'health'> | undefined): void;
}

/**
 * Each area's routes, in no particular order (the router picks the most specific route). The relay:
 * POST /v1/profiles/{id}/oauth/token (access `open`: it authenticates the client secret
 * itself with area.auth.findClient and touch) and the RFC 8414 metadata. Each takes only the parts
 * of the area it uses.
 */
const AREAS: readonly ((area: ServerArea) => void)[] = [
  registerApiRoutes,
  registerLoginRoutes,
  registerRpcRoutes,
  registerStaticRoutes,
  registerRelayRoutes,
  registerActivityRoutes,
  registerAdminRoutes,
];

export function createLoopbackServer(deps: LoopbackServerDeps): LoopbackServer {
  const limits: LoopbackLimits = { ...DEFAULT_LIMITS, ...deps.limits };
  const { engine, store, clock, logger } = deps;
  const sessions = new DashboardSessions(clock, { ...DEFAULT_SESSION_OPTIONS, ...deps.sessions });
  const streams = new EventStreams({ engine, clock, heartbeatMs: limits.heartbeatMs, maxBufferedBytes: 1024 * 1024 });
  const proxy = new ProfileProxy({
    engine,
    store,
    ...(logger === undefined ? {} : { logger }),
    retryBufferBytes: limits.retryBufferBytes,
    upstreamTimeoutMs: limits.upstreamTimeoutMs,
  });
  const auth = new CallerAuth({ store, ...(logger === undefined ? {} : { logger }), lastUsedWriteMs: limits.lastUsedWriteMs });
  // Revocation is immediate: a key removed or narrowed, here or by the CLI, ends what it
  // holds open at once; a session's logout or Lock likewise.
  const work = new OpenWork({ clock, listClients: () => store.listClients(), pollMs: limits.revocationPollMs });
  const unsubscribeStore = store.onDidChange(() => work.checkKeys());
  const unsubscribeSessions = sessions.onDidRevoke((sessionKey) => work.endSessions(sessionKey));
  // Lock ends every dashboard session and its streams at once, whoever locked; the tab
  // that pressed Lock gets a lock-screen session in its answer (rpc-handlers.ts).
  const unsubscribeVault = deps.vault?.onDidChangeState?.((state) => {
    if (state !== 'unlocked') sessions.revokeAll();
  });
  const router = new Router();
  const area: ServerArea = {
    router,
    engine,
    store,
    clock,
    rpc: deps.rpc,
    // A key removed here works nowhere once the answer leaves: the cached key snapshot goes, and
    // what the key still holds open is ended, before the verb answers.
    admin: deps.admin?.(() => {
      auth.forget();
      work.checkKeys();
    }),
    version: deps.version,
    logger,
    auth,
    sessions,
    streams,
    proxy,
    work,
    dashboardDir: deps.dashboardDir,
    rpcBodyBytes: limits.rpcBodyBytes,
    relay: { bodyBytes: limits.relayBodyBytes, failureDelayMs: limits.relayFailureDelayMs, failureDelayMaxMs: limits.relayFailureDelayMaxMs },
    createLoginLink,
    vault: deps.vault,
    sharedCache: deps.sharedCache,
  };
  for (const register of AREAS) register(area);

  let port = 0;
  let hosts = allowedHosts(0);
  let listening = false;
  const listeners = new Set<Server>();

  function fail(req: IncomingMessage, res: ServerResponse, error: unknown): void {
    const problem = problemFromError(error);
    if (problem.status >= 500 && problem.kind === 'internal') logger?.error('request failed', { path: pathOf(req) });
    // A body left unread (413, or a refusal before reading) makes the connection unusable for the
    // next request: close it after this answer instead of keeping it alive.
    if (!req.complete && !res.headersSent) res.setHeader('Connection', 'close');
    sendProblem(res, problem);
  }

  function createListener(door: Door): Server {
    const handle = createPipeline(door, { router, auth, sessions, clock, hosts: () => hosts });
    const server = createServer({ maxHeaderSize: limits.maxHeaderSize }, (req, res) => {
      let pending: Promise<void> | void;
      try {
        pending = handle(req, res);
      } catch (error) {
        // Answered a microtask later, as from a rejected promise: by then node has seen the end of a
        // bodiless request, so a refusal keeps the connection alive (fail closes it when a body is unread).
        queueMicrotask(() => fail(req, res, error));
        return;
      }
      pending?.catch((error: unknown) => fail(req, res, error));
    });
    server.maxConnections = limits.maxConnections;
    server.headersTimeout = limits.headersTimeoutMs;
    server.requestTimeout = limits.requestTimeoutMs;
    server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => answerClientError(error, socket, clock));
    listeners.add(server);
    return server;
  }

  const server = createListener({ kind: 'tcp' });

  function createLoginLink(): string {
    if (!listening) throw new Error('The loopback server is not listening.');
    return loginLink(port, sessions.createLoginToken());
  }

  return {
    get port() {
      return port;
    },
    createLoginLink,
    revokeAllSessions: () => sessions.revokeAll(),
    createListener,
    routes: () => router.routes().map((route) => ({ path: route.path, access: route.access, methods: Object.keys(route.methods) })),
    useSharedCache(cache) {
      area.sharedCache = cache;
    },
    listen(wanted: number): Promise<number> {
      return new Promise((resolve, reject) => {
        const onError = (error: Error): void => {
          server.off('listening', onListening);
          reject(error);
        };
        const onListening = (): void => {
          server.off('error', onError);
          const address = server.address();
          port = typeof address === 'object' && address !== null ? address.port : wanted;
          hosts = allowedHosts(port);
          listening = true;
          resolve(port);
        };
        server.once('error', onError);
        server.once('listening', onListening);
        // 127.0.0.1 only: never 0.0.0.0 or ::, which would put the API on the network.
        server.listen({ port: wanted, host: '127.0.0.1', exclusive: true });
      });
    },
    close(): Promise<void> {
      auth.dispose();
      unsubscribeStore();
      unsubscribeVault?.();
      sessions.dispose();
      if (!listening) return Promise.resolve();
      listening = false;
      sessions.revokeAll();
      unsubscribeSessions();
      work.endAll();
      streams.closeAll();
      return Promise.all(
        [...listeners].filter((listener) => listener.listening).map(
          (listener) =>
            new Promise<void>((resolve) => {
              listener.close(() => resolve());
              listener.closeIdleConnections();
              // Requests still running get a moment to finish, then their sockets are closed too.
              const timer = setTimeout(() => listener.closeAllConnections(), 2000);
              timer.unref();
            }),
        ),
      ).then(() => undefined);
    },
  };
}

function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

/** Parser-level refusals (oversized headers, garbage) answered as problems before the socket closes. */
function answerClientError(error: NodeJS.ErrnoException, socket: Socket, clock: Clock): void {
  if (!socket.writable || error.code === 'ECONNRESET') {
    socket.destroy();
    return;
  }
  const problem =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? new HttpProblem(431, 'usage', 'The request headers are too large.')
      : new HttpProblem(error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400, 'usage', 'The request could not be read.');
  socket.end(problemResponseText(problem));
  // Keep reading what the client is still sending: closing with unread data makes the kernel reset
  // the connection, and the client would never see the answer.
  socket.on('data', () => undefined);
  socket.on('error', () => undefined);
  socket.resume();
  const timer = clock.setTimeout(() => socket.destroy(), 5000);
  socket.once('close', () => clock.clearTimeout(timer));
}
