// The loopback API (SPEC section 4) and, in headless mode, the dashboard's transport (issue 5): one
// node:http server bound to 127.0.0.1 only. Every request passes the source checks of security.ts
// first; every answer carries Cache-Control: no-store and never a CORS header.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import {
  HTTP_EVENTS_PATH,
  HTTP_LOGIN_PATH,
  HTTP_RPC_PREFIX,
  PROFILE_ID_PATTERN,
} from '../../../common/contract.js';
import { ClientKeyIndex, clientMayAccess } from '../client-keys.js';
import type { Clock } from '../clock.js';
import { dispatchRpc, type RpcHandlers } from '../rpc.js';
import type { ClientKeyRecord, ConfigStore, Engine, Logger, Token } from '../types.js';
import { readBody } from './body.js';
import { EventStreams } from './events.js';
import { BASE_HEADERS, HttpProblem, problemFromError, sendJson, sendJsonText, sendProblem } from './problem.js';
import { ProfileProxy } from './proxy.js';
import { allowedHosts, checkRequestSource, readFrontDoorHeaders } from './security.js';
import { DashboardSessions, DEFAULT_SESSION_OPTIONS, sessionCookie, type SessionOptions } from './sessions.js';
import { serveDashboardFile } from './static-files.js';
import { tokenResponseJson } from './token-response.js';

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
};

export interface LoopbackServerDeps {
  engine: Engine;
  store: ConfigStore;
  clock: Clock;
  rpc: RpcHandlers;
  version: string;
  /** The built dashboard (dist/renderer), served at / in headless mode. */
  dashboardDir?: string;
  logger?: Logger;
  limits?: Partial<LoopbackLimits>;
  sessions?: Partial<SessionOptions>;
}

export interface LoopbackServer {
  /** Binds 127.0.0.1:port (0 picks a free port) and resolves with the actual port. */
  listen(port: number): Promise<number>;
  close(): Promise<void>;
  /** A fresh one-time dashboard login link (headless mode). */
  createLoginLink(): string;
  readonly port: number;
}

const PROFILES_PREFIX = '/v1/profiles/';
const TOKEN_ACTIONS: ReadonlySet<string> = new Set(['token', 'headers', 'refresh']);
const PROXY_PATH = /^\/v1\/proxy\/([^/?]+)(\/.*)?$/;

const KEY_HINT = 'Create a key with `tokentray clients add NAME` and send it as `Authorization: Bearer <key>`.';
const SNAPSHOT_TTL_MS = 1000;
const LOGIN_HINT = 'Run `tokentray dashboard` for a fresh login link.';

/**
 * The key in `Authorization: Bearer <key>` (the scheme is case-insensitive, RFC 7235), or undefined.
 * Anything else after the scheme is passed on as the key and fails the hash comparison like any wrong key.
 */
function bearerCredential(header: string): string | undefined {
  const separator = header.charCodeAt(6);
  if ((separator !== 0x20 && separator !== 0x09) || header.slice(0, 6).toLowerCase() !== 'bearer') return undefined;
  const key = header.slice(7).trim();
  return key === '' ? undefined : key;
}

/** `/v1/profiles/{id}/token|headers|refresh`, split without a regular expression (every token request comes here). */
function parseTokenPath(path: string): { id: string; what: 'token' | 'headers' | 'refresh' } | null {
  if (!path.startsWith(PROFILES_PREFIX)) return null;
  const slash = path.indexOf('/', PROFILES_PREFIX.length);
  if (slash <= PROFILES_PREFIX.length || path.indexOf('/', slash + 1) !== -1) return null;
  const what = path.slice(slash + 1);
  if (!TOKEN_ACTIONS.has(what)) return null;
  return { id: path.slice(PROFILES_PREFIX.length, slash), what: what as 'token' | 'headers' | 'refresh' };
}

function methodNotAllowed(allow: string): HttpProblem {
  return new HttpProblem(405, 'usage', `Use ${allow} on this path.`, undefined, { Allow: allow });
}

/** Who is asking: a client key, or the headless dashboard's session (which sees every profile). */
type Caller = { name: string; profiles: readonly string[] | null; record?: ClientKeyRecord };

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
  const lastUsedWritten = new Map<string, number>();
  // The file store parses config.json on every read; the hot path (every /token call) reads a
  // snapshot instead, dropped on every store change and after SNAPSHOT_TTL_MS at the latest, so a key
  // revoked by another process (whose change conf may only notice seconds later) stops working soon.
  let snapshot: { keys: ClientKeyIndex; profiles: Set<string>; at: number } | null = null;
  const unsubscribeStore = store.onDidChange(() => {
    snapshot = null;
  });
  const readSnapshot = (now: number, fresh = false): NonNullable<typeof snapshot> => {
    if (fresh || snapshot === null || now - snapshot.at > SNAPSHOT_TTL_MS || now < snapshot.at) {
      snapshot = { keys: new ClientKeyIndex(store.listClients()), profiles: new Set(store.listProfiles().map((p) => p.id)), at: now };
    }
    return snapshot;
  };
  const findClient = (key: string, now: number): ClientKeyRecord | undefined =>
    // A miss re-reads the store: a key created a moment ago by the CLI must work at once.
    readSnapshot(now).keys.find(key) ?? readSnapshot(now, true).keys.find(key);
  const profileExists = (id: string, now: number): boolean =>
    readSnapshot(now).profiles.has(id) || (PROFILE_ID_PATTERN.test(id) && readSnapshot(now, true).profiles.has(id));
  let port = 0;
  let hosts = allowedHosts(0);
  let listening = false;

  const server: Server = createServer({ maxHeaderSize: limits.maxHeaderSize }, (req, res) => {
    // handle answers synchronously where it can (health, refusals, a cached token's lookup) and
    // returns a promise only for work that waits: fewer promise hops on the hot path.
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

  function fail(req: IncomingMessage, res: ServerResponse, error: unknown): void {
    const problem = problemFromError(error);
    if (problem.status >= 500 && problem.kind === 'internal') logger?.error('request failed', { path: pathOf(req) });
    // A body left unread (413, or a refusal before reading) makes the connection unusable for the
    // next request: close it after this answer instead of keeping it alive.
    if (!req.complete && !res.headersSent) res.setHeader('Connection', 'close');
    sendProblem(res, problem);
  }

  function pathOf(req: IncomingMessage): string {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    return q < 0 ? url : url.slice(0, q);
  }

  /** Marks a key as used, at most once per lastUsedWriteMs: each write rewrites the store file. */
  function touch(record: ClientKeyRecord, now: number): void {
    const last = lastUsedWritten.get(record.name) ?? (record.lastUsedAt === null ? 0 : Date.parse(record.lastUsedAt));
    if (now - last < limits.lastUsedWriteMs) return;
    lastUsedWritten.set(record.name, now);
    try {
      // Re-read first: writing back a record revoked a moment ago by another process would revive it.
      const current = store.listClients().find((c) => c.name === record.name && c.hash === record.hash);
      if (current === undefined) return;
      store.putClient({ ...current, lastUsedAt: new Date(now).toISOString() });
    } catch {
      logger?.warn('could not record client key use', { client: record.name });
    }
  }

  function authenticate(header: string | undefined, now: number): Caller {
    if (header === undefined) {
      throw new HttpProblem(401, 'unauthorized', 'This request needs a client key.', KEY_HINT, {
        'WWW-Authenticate': 'Bearer realm="tokentray"',
      });
    }
    const key = bearerCredential(header);
    const record = key === undefined ? undefined : findClient(key, now);
    if (record === undefined) {
      // The same words for a wrong, malformed or revoked key: nothing to learn from the difference.
      throw new HttpProblem(401, 'unauthorized', 'The client key was not accepted.', KEY_HINT, {
        'WWW-Authenticate': 'Bearer realm="tokentray", error="invalid_token"',
      });
    }
    touch(record, now);
    return { name: record.name, profiles: record.profiles, record };
  }

  /** 403 before 404, so a limited key cannot probe which other profiles exist. */
  function requireProfile(caller: Caller, id: string, now: number): void {
    if (caller.record !== undefined && !clientMayAccess(caller.record, id)) {
      throw new HttpProblem(403, 'forbidden', `This client key may not use profile "${id}".`, 'Ask for a key that includes this profile.');
    }
    if (!profileExists(id, now)) {
      throw new HttpProblem(404, 'not_found', `There is no profile "${id}".`, 'List the profiles with GET /v1/profiles.');
    }
  }

  function handle(req: IncomingMessage, res: ServerResponse): Promise<void> | void {
    const front = readFrontDoorHeaders(req.rawHeaders);
    const refusal = checkRequestSource(front, hosts);
    if (refusal !== null) {
      sendProblem(res, refusal);
      return;
    }
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const query = q < 0 ? '' : url.slice(q + 1);
    const method = req.method ?? 'GET';

    if (path === '/v1/health') {
      if (method !== 'GET' && method !== 'HEAD') throw methodNotAllowed('GET');
      sendJson(res, 200, { status: 'ok', version: deps.version });
      return;
    }
    if (path.startsWith('/v1/')) return handleApi(req, res, method, path, query, front.authorization);
    if (path === HTTP_LOGIN_PATH) return handleLogin(res, method, query);
    if (path.startsWith(HTTP_RPC_PREFIX)) return handleRpc(req, res, method, path.slice(HTTP_RPC_PREFIX.length));
    if (path.startsWith('/ui/') || path === '/ui') throw new HttpProblem(404, 'not_found', 'There is no such page.');
    return serveDashboardFile(req, res, deps.dashboardDir, path);
  }

  function handleApi(
    req: IncomingMessage,
    res: ServerResponse,
    method: string,
    path: string,
    query: string,
    authorization: string | undefined,
  ): Promise<void> | void {
    // One reading of the clock per request: the snapshot, the key's last use and the answer share it.
    const now = clock.now();
    if (path === HTTP_EVENTS_PATH) {
      if (method !== 'GET') throw methodNotAllowed('GET');
      // The dashboard's session cookie or a client key (SPEC section 4, issue 5).
      const caller: Caller =
        authorization === undefined && sessions.isValid(req.headers.cookie)
          ? { name: 'dashboard', profiles: null }
          : authenticate(authorization, now);
      streams.attach(req, res, caller.profiles);
      return;
    }

    const caller = authenticate(authorization, now);

    if (path === '/v1/profiles') {
      if (method !== 'GET') throw methodNotAllowed('GET');
      const statuses = engine.statuses().filter((s) => caller.record === undefined || clientMayAccess(caller.record, s.id));
      sendJson(res, 200, statuses);
      return;
    }

    const tokenPath = parseTokenPath(path);
    if (tokenPath !== null) {
      const { id, what } = tokenPath;
      const wanted = what === 'refresh' ? 'POST' : 'GET';
      if (method !== wanted) throw methodNotAllowed(wanted);
      requireProfile(caller, id, now);
      // A valid cached token is answered at once, without a promise hop (the common case by far).
      const ready = what === 'refresh' ? null : engine.peekToken(id);
      if (ready !== null) {
        answerToken(res, what, ready, id, caller.name, now);
        return undefined;
      }
      const options = { client: caller.name };
      return (what === 'refresh' ? engine.refresh(id, options) : engine.getToken(id, options)).then((token) =>
        // After a wait, expires_in counts from the moment of answering.
        answerToken(res, what, token, id, caller.name, clock.now()),
      );
    }

    const proxyMatch = PROXY_PATH.exec(path);
    if (proxyMatch !== null) {
      const id = proxyMatch[1] as string;
      requireProfile(caller, id, now);
      return proxy.handle(req, res, { profileId: id, rawPath: proxyMatch[2] ?? '', query, client: caller.name });
    }

    if (path === '/v1/dashboard-link') {
      if (method !== 'POST') throw methodNotAllowed('POST');
      // A dashboard session sees every profile, so only an unlimited key may open one.
      if (caller.profiles !== null) {
        throw new HttpProblem(403, 'forbidden', 'This client key may not open the dashboard.', 'Use a key that is not limited to some profiles.');
      }
      sendJson(res, 200, { url: createLoginLink() });
      return;
    }

    throw new HttpProblem(404, 'not_found', 'There is no such API path.', 'See the paths in SPEC section 4: /v1/health, /v1/profiles, /v1/events, /v1/proxy.');
  }

  function answerToken(res: ServerResponse, what: 'token' | 'headers' | 'refresh', token: Token, id: string, client: string, now: number): void {
    // Every token handed out is recorded: which key, which profile, when (SPEC section 4).
    engine.record({ kind: 'token-issued', profileId: id, client });
    if (what === 'headers') sendJson(res, 200, token.headers);
    else sendJsonText(res, 200, tokenResponseJson(token, now));
  }

  function handleLogin(res: ServerResponse, method: string, query: string): void {
    if (method !== 'GET') throw methodNotAllowed('GET');
    const token = new URLSearchParams(query).get('token') ?? '';
    const result = token === '' ? ({ ok: false, reason: 'unknown' } as const) : sessions.redeem(token);
    if (!result.ok) {
      if (result.reason === 'used') throw new HttpProblem(403, 'forbidden', 'This login link was already used.', LOGIN_HINT);
      throw new HttpProblem(401, 'unauthorized', 'This login link is not valid or has expired.', LOGIN_HINT);
    }
    res.writeHead(303, { ...BASE_HEADERS, Location: '/', 'Set-Cookie': sessionCookie(result.sessionId), 'Content-Length': 0 });
    res.end();
  }

  async function handleRpc(req: IncomingMessage, res: ServerResponse, method: string, rawChannel: string): Promise<void> {
    if (method !== 'POST') throw methodNotAllowed('POST');
    if (!sessions.isValid(req.headers.cookie)) {
      throw new HttpProblem(401, 'unauthorized', 'The dashboard session is missing or has ended.', LOGIN_HINT);
    }
    // Only JSON: an HTML form cannot send it, which closes the classic cross-site form post.
    const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (type !== 'application/json') {
      throw new HttpProblem(415, 'usage', 'The request body must be application/json.');
    }
    const body = await readBody(req, limits.rpcBodyBytes);
    let args: unknown;
    try {
      args = body.length === 0 ? [] : JSON.parse(body.toString('utf8'));
    } catch {
      throw new HttpProblem(400, 'usage', 'The request body is not valid JSON.');
    }
    let channel: string;
    try {
      channel = decodeURIComponent(rawChannel);
    } catch {
      channel = '';
    }
    sendJson(res, 200, await dispatchRpc(deps.rpc, channel, args));
  }

  function createLoginLink(): string {
    if (!listening) throw new Error('The loopback server is not listening.');
    return `http://127.0.0.1:${port}${HTTP_LOGIN_PATH}?token=${sessions.createLoginToken()}`;
  }

  return {
    get port() {
      return port;
    },
    createLoginLink,
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
      unsubscribeStore();
      if (!listening) return Promise.resolve();
      listening = false;
      sessions.clear();
      return new Promise((resolve) => {
        server.close(() => resolve());
        streams.closeAll();
        server.closeIdleConnections();
        // Requests still running get a moment to finish, then their sockets are closed too.
        const timer = setTimeout(() => server.closeAllConnections(), 2000);
        timer.unref();
      });
    },
  };
}

/** Parser-level refusals (oversized headers, garbage) answered as problems before the socket closes. */
function answerClientError(error: NodeJS.ErrnoException, socket: Socket, clock: Clock): void {
  if (!socket.writable || error.code === 'ECONNRESET') {
    socket.destroy();
    return;
  }
  const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const title = status === 431 ? 'Request header fields too large' : status === 408 ? 'Request timeout' : 'Bad request';
  const body = JSON.stringify({
    type: 'urn:tokentray:problem:usage',
    title,
    status,
    detail: status === 431 ? 'The request headers are too large.' : 'The request could not be read.',
  });
  socket.end(
    `HTTP/1.1 ${status} ${title}\r\nContent-Type: application/problem+json; charset=utf-8\r\n` +
      `Cache-Control: no-store\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
  // Keep reading what the client is still sending: closing with unread data makes the kernel reset
  // the connection, and the client would never see the answer.
  socket.on('data', () => undefined);
  socket.on('error', () => undefined);
  socket.resume();
  const timer = clock.setTimeout(() => socket.destroy(), 5000);
  socket.once('close', () => clock.clearTimeout(timer));
}
