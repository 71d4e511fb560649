// A small real HTTP server that speaks the dashboard's headless protocol (POST /ui/rpc/{channel}
// with a JSON array, answering a Result; GET /v1/events as server-sent events) and can serve the
// built dashboard from dist/renderer. Used by the api-module tests and the renderer benchmark.
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import type { EngineEvent, ProfileStatus, Result } from '../../common/contract.js';
import { statusFixture } from '../support/status-fixture.js';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export type RpcHandler = (args: unknown[]) => Result<unknown> | Promise<Result<unknown>>;

export interface FakeDashboardServer {
  url: string;
  requests: RecordedRequest[];
  /** Sends one event to every open event stream. */
  emit(event: EngineEvent): void;
  /** Resolves once `count` event streams are open. */
  waitForStreams(count: number): Promise<void>;
  /** Resolves once `total` event streams were opened since the start, closed or not. */
  waitForStreamsOpened(total: number): Promise<void>;
  /** Resolves once no event stream is open (the client closed it). */
  waitForNoStreams(): Promise<void>;
  /** Ends every open event stream (the browser's EventSource reconnects by itself). */
  dropStreams(): void;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

export async function startFakeDashboardServer(options: {
  handlers: Record<string, RpcHandler>;
  staticDir?: string;
  csp?: string;
}): Promise<FakeDashboardServer> {
  const requests: RecordedRequest[] = [];
  const streams = new Set<ServerResponse>();
  let opened = 0;
  const streamWaiters: Array<{ done: () => boolean; resolve: () => void }> = [];

  const notifyStreams = (): void => {
    for (const waiter of [...streamWaiters]) {
      if (waiter.done()) {
        streamWaiters.splice(streamWaiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  };
  const waitUntil = (done: () => boolean): Promise<void> =>
    new Promise((resolve) => {
      streamWaiters.push({ done, resolve });
      notifyStreams();
    });

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      void handle(req, res, body).catch(() => {
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
    });
  });

  const handle = async (req: IncomingMessage, res: ServerResponse, body: string): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === '/v1/events' && req.method === 'GET') {
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
      // A short retry so a dropped stream reconnects quickly in tests.
      res.write('retry: 50\n: hello\n\n');
      streams.add(res);
      opened += 1;
      // The response closes when the client goes away (the request's own 'close' fires much earlier).
      res.on('close', () => {
        streams.delete(res);
        notifyStreams();
      });
      notifyStreams();
      return;
    }
    if (path.startsWith('/ui/rpc/') && req.method === 'POST') {
      const channel = decodeURIComponent(path.slice('/ui/rpc/'.length));
      const handler = options.handlers[channel];
      let args: unknown[];
      try {
        args = JSON.parse(body) as unknown[];
      } catch {
        res.writeHead(400, { 'Content-Type': 'application/json' }).end('{"ok":false,"error":{"kind":"usage","message":"bad json"}}');
        return;
      }
      const result: Result<unknown> = handler
        ? await handler(args)
        : { ok: false, error: { kind: 'usage', message: `no handler for ${channel}` } };
      res.writeHead(result.ok ? 200 : 400, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
      res.end(JSON.stringify(result));
      return;
    }
    if (options.staticDir && req.method === 'GET') {
      const relative = normalize(path === '/' ? '/index.html' : path).replace(/^(\.\.[/\\])+/, '');
      try {
        const file = await readFile(join(options.staticDir, relative));
        res.writeHead(200, {
          'Content-Type': TYPES[extname(relative)] ?? 'application/octet-stream',
          ...(options.csp ? { 'Content-Security-Policy': options.csp } : {}),
        });
        res.end(file);
        return;
      } catch {
        // fall through to 404
      }
    }
    res.writeHead(404).end();
  };

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    emit(event) {
      for (const res of streams) res.write(`data: ${JSON.stringify(event)}\n\n`);
    },
    waitForStreams: (count) => waitUntil(() => streams.size >= count),
    waitForStreamsOpened: (total) => waitUntil(() => opened >= total),
    waitForNoStreams: () => waitUntil(() => streams.size === 0),
    dropStreams() {
      for (const res of streams) res.end();
      streams.clear();
    },
    async close() {
      for (const res of streams) res.end();
      streams.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * What the profile list's page asks for, answered: `profiles()` as the list, no activity, default
 * settings and an unlocked keychain. For the long-list e2e test and the renderer benchmark.
 */
export function profileListHandlers(profiles: () => ProfileStatus[]): Record<string, RpcHandler> {
  const ok = <T>(value: T): Result<T> => ({ ok: true, value });
  return {
    'profiles:list': () => ok(profiles()),
    'activity:list': () => ok([]),
    'settings:get': () => ok({ port: 47210, leadTimeSec: 300, clipboardClearSec: 60, startAtLogin: false, notifications: true }),
    // The dashboard asks first whether the vault is unlocked (its lock screen).
    'vault:state': () => ok({ backend: 'keychain', state: 'unlocked', location: 'tokentray', entries: null }),
  };
}

/** N plausible profile statuses spread over every provider and state, for previews and benchmarks. */
export function syntheticStatuses(count: number, now = Date.now()): ProfileStatus[] {
  const providers = ['redpanda', 'camunda-console', 'acquia', 'sendcloud-oauth2', 'oauth2', 'camunda-operate-cookie'] as const;
  const states = ['fresh', 'fresh', 'expiring', 'refreshing', 'error', 'paused'] as const;
  return Array.from({ length: count }, (_, i) => {
    const state = states[i % states.length] ?? 'fresh';
    const lifetime = 300 + (i % 7) * 600;
    const obtained = now - ((i * 37) % lifetime) * 1000;
    return statusFixture({
      id: `profile-${String(i).padStart(3, '0')}`,
      name: `Service ${String(i).padStart(3, '0')}`,
      provider: providers[i % providers.length] ?? 'oauth2',
      state,
      obtainedAt: new Date(obtained).toISOString(),
      expiresAt: new Date(obtained + lifetime * 1000).toISOString(),
      validUntil: new Date(obtained + lifetime * 1000 - 5000).toISOString(),
      lastRefreshAt: new Date(obtained).toISOString(),
      nextRefreshAt: new Date(obtained + lifetime * 750).toISOString(),
      lastError:
        state === 'error'
          ? { kind: 'invalid_client', message: 'The client id or secret was rejected.', hint: 'Check the client secret, then save the profile again.' }
          : null,
      requestsLastHour: i % 5,
      requestsLastDay: (i % 5) * 12 + 3,
    });
  });
}
