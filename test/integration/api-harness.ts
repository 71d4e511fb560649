// The loopback API as the app runs it, for the api*.test.ts files: createCore with the real engine,
// the real file store in a temp dir, the real keychain (scripts/test.sh) and local provider servers;
// requests go over real HTTP on 127.0.0.1.
import { writeFile } from 'node:fs/promises';
import { createServer, request, type Agent, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { EngineEvent, ProfileConfig, Result } from '../../common/contract.js';
import { CLI_KEY_ACCOUNT, createCore, type Core } from '../../main/core/app-core.js';
import type { LoopbackLimits } from '../../main/core/api/server.js';
import type { ConfigStore } from '../../main/core/types.js';
import { openFileStore } from '../../main/node/file-store.js';
import { KeytarVault } from '../../main/node/keytar-vault.js';
import { startProviderServer, type ProviderServer, type ProviderServerOptions, type ServerKind } from '../support/servers/index.js';
import { makeTempDir, removeTempDir } from '../support/temp-dir.js';
import { httpRequest } from '../support/http.js';

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface Harness {
  core: Core;
  /** The file store the core runs on (another process's store is openFileStore(join(dir, 'config'))). */
  store: ConfigStore;
  port: number;
  dir: string;
  /** An unlimited client key named 'tester'. */
  key: string;
  servers: ProviderServer[];
  /** Starts a provider server and adds a profile for it. */
  addProfile(kind: ServerKind, id: string, overrides?: Partial<ProfileConfig>, lifetimeSec?: number, serverOptions?: ProviderServerOptions): Promise<ProviderServer>;
  addKey(name: string, profiles: string[] | null): Promise<string>;
  call(method: string, path: string, options?: CallOptions): Promise<Answer>;
  close(): Promise<void>;
}

export interface CallOptions {
  key?: string | null;
  headers?: Record<string, string>;
  body?: string | Buffer;
  agent?: Agent;
}

export async function startHarness(
  options: { limits?: Partial<LoopbackLimits>; dashboard?: boolean; /** The real built dashboard (dist/renderer). */ dashboardDir?: string } = {},
): Promise<Harness> {
  const dir = await makeTempDir('tokentray-api-');
  let dashboardDir: string | undefined = options.dashboardDir;
  if (options.dashboard === true) {
    dashboardDir = join(dir, 'renderer');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(join(dashboardDir, 'assets'), { recursive: true });
    await writeFile(join(dashboardDir, 'index.html'), '<!doctype html><title>Tokentray</title><script src="/assets/app.js"></script>');
    await writeFile(join(dashboardDir, 'assets', 'app.js'), 'console.log("dashboard");');
    await writeFile(join(dir, 'secret.txt'), 'outside the dashboard');
  }
  const { store } = openFileStore(join(dir, 'config'));
  const vault = new KeytarVault();
  const core = await createCore({
    store,
    vault,
    version: '9.9.9-test',
    ...(dashboardDir === undefined ? {} : { dashboardDir }),
    ...(options.limits === undefined ? {} : { limits: options.limits }),
  });
  const port = await core.start(0);
  const servers: ProviderServer[] = [];
  const profileIds: string[] = [];

  const addKey = async (name: string, profiles: string[] | null): Promise<string> => {
    const added = await core.rpc['clients:add']({ name, profiles });
    return added.key;
  };
  const key = await addKey('tester', null);

  const call = (method: string, path: string, callOptions: CallOptions = {}): Promise<Answer> => {
    const headers: Record<string, string> = { ...callOptions.headers };
    const useKey = callOptions.key === undefined ? key : callOptions.key;
    if (useKey !== null && headers.Authorization === undefined) headers.Authorization = `Bearer ${useKey}`;
    return httpRequest(port, path, { method, headers, ...(callOptions.body === undefined ? {} : { body: callOptions.body }), ...(callOptions.agent === undefined ? {} : { agent: callOptions.agent }) });
  };

  return {
    core,
    store,
    port,
    dir,
    key,
    servers,
    addKey,
    call,
    async addProfile(kind, id, overrides = {}, lifetimeSec, serverOptions = {}) {
      const server = await startProviderServer(kind, { ...serverOptions, ...(lifetimeSec === undefined ? {} : { lifetimeSec }) });
      servers.push(server);
      profileIds.push(id);
      await core.engine.upsertProfile(server.profile({ id, name: `${kind} ${id}`, ...overrides }), server.secrets());
      return server;
    },
    async close() {
      await core.stop();
      for (const id of profileIds) await vault.deleteProfile(id).catch(() => undefined);
      await vault.deleteItem(CLI_KEY_ACCOUNT).catch(() => undefined);
      store.close();
      await Promise.all(servers.map((s) => s.close()));
      await removeTempDir(dir);
    },
  };
}

/** Sends raw bytes and reads the answer's head (for requests node's client would refuse to build). */
export function rawRequest(port: number, head: string): Promise<{ status: number; head: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      const end = received.indexOf('\r\n\r\n');
      if (end >= 0) {
        socket.destroy();
        resolve({ status: Number(received.slice(9, 12)), head: received });
      }
    });
    socket.on('error', reject);
    socket.on('close', () => reject(new Error(`connection closed before an answer: ${JSON.stringify(received.slice(0, 200))}`)));
    socket.write(head);
  });
}

/** Whether any header of the answer is a CORS grant. */
export function corsHeaders(headers: IncomingHttpHeaders): string[] {
  return Object.keys(headers).filter((name) => name.toLowerCase().startsWith('access-control-'));
}

export interface EventStream {
  status: number;
  headers: IncomingMessage['headers'];
  /** Resolves with the first event (from now on) that matches. */
  next(match: (event: EngineEvent) => boolean): Promise<EngineEvent>;
  /** Resolves when the server ends the stream (or the connection drops), with when that was. */
  ended: Promise<number>;
  close(): void;
}

/** Opens GET /v1/events and parses `data:` frames as they arrive. */
export function openEvents(port: number, headers: Record<string, string>): Promise<EventStream> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/v1/events', headers });
    const waiters: { match: (event: EngineEvent) => boolean; resolve: (event: EngineEvent) => void }[] = [];
    req.on('response', (res) => {
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = frame.split('\n').find((line) => line.startsWith('data: '));
          if (data === undefined) continue;
          const event = JSON.parse(data.slice(6)) as EngineEvent;
          for (const waiter of [...waiters]) {
            if (waiter.match(event)) {
              waiters.splice(waiters.indexOf(waiter), 1);
              waiter.resolve(event);
            }
          }
        }
      });
      res.on('error', () => undefined);
      const ended = new Promise<number>((done) => {
        res.once('end', () => done(Date.now()));
        res.once('close', () => done(Date.now()));
      });
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        ended,
        next: (match) => new Promise((done) => waiters.push({ match, resolve: done })),
        close: () => req.destroy(),
      });
    });
    // Before the answer any error fails the open; after it, close() resets the socket on purpose.
    req.on('error', reject);
    req.end();
  });
}

/** What a logged-in dashboard page sends with every RPC and event request. */
export interface DashboardLogin {
  /** The session cookie as the browser would send it (`tokentray_session=...`): one factor only. */
  cookie: string;
  /** The origin-bound secret the page keeps in sessionStorage and sends as X-Tokentray-Session. */
  secret: string;
  /** Every header the page adds to an RPC call: cookie, secret, and Origin set to the dashboard's own. */
  headers: Record<string, string>;
}

/** The one-time token of a login link (`/ui/login#token=...`). */
export function linkToken(link: string): string {
  return new URLSearchParams(new URL(link).hash.slice(1)).get('token') ?? '';
}

/** POST /ui/login as the dashboard's own script sends it (same-origin fetch: Origin, JSON). */
export function redeemLink(h: Pick<Harness, 'call' | 'port'>, token: string, headers: Record<string, string> = {}): Promise<Answer> {
  return h.call('POST', '/ui/login', {
    key: null,
    headers: { 'Content-Type': 'application/json', Origin: `http://127.0.0.1:${h.port}`, 'Sec-Fetch-Site': 'same-origin', ...headers },
    body: JSON.stringify({ token }),
  });
}

/** Opens a fresh one-time login link the way the dashboard page does, and returns its session. */
export async function loginDashboard(h: Harness): Promise<DashboardLogin> {
  const login = await redeemLink(h, linkToken(h.core.server.createLoginLink()));
  if (login.status !== 200) throw new Error(`login answered ${login.status}: ${login.body}`);
  const cookie = String(login.headers['set-cookie']).split(';')[0] as string;
  const secret = (JSON.parse(login.body) as { session: string }).session;
  return { cookie, secret, headers: { Cookie: cookie, 'X-Tokentray-Session': secret, Origin: `http://127.0.0.1:${h.port}` } };
}

/** POST /ui/rpc/{channel} with a dashboard session; the Result as answered. */
export async function dashboardRpc<T = unknown>(
  h: Harness,
  login: DashboardLogin,
  channel: string,
  args: unknown[],
): Promise<{ status: number; result: Result<T> }> {
  const answer = await h.call('POST', `/ui/rpc/${encodeURIComponent(channel)}`, {
    key: null,
    headers: { ...login.headers, 'Content-Type': 'application/json' },
    body: JSON.stringify(args),
  });
  return { status: answer.status, result: JSON.parse(answer.body) as Result<T> };
}

/** A plain HTTP server that records everything it receives and answers 401: the attacker's address. */
export interface RecordingServer {
  url: string;
  received: { method: string; url: string; headers: IncomingHttpHeaders; body: string }[];
  close(): Promise<void>;
}

export async function startRecordingServer(): Promise<RecordingServer> {
  const received: RecordingServer['received'] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end('{"error":"invalid_client"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
