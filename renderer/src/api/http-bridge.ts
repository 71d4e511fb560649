// The headless-mode transport (docs/cli.md, `tokentray serve`): the same verbs as the preload
// bridge, sent as POST /ui/rpc/{channel} with a JSON array of arguments, and engine events read from
// the server-sent event stream on /v1/events. Both are same-origin and carry the session two ways:
// the HttpOnly cookie the login set, and the origin-bound secret this page keeps in sessionStorage
// and sends as X-Tokentray-Session. Cookies ignore ports, so the cookie alone opens
// nothing; sessionStorage belongs to this origin, port included, so no page on another port can read
// the secret. The event stream is read with fetch() rather than EventSource, because EventSource
// cannot send a header and the secret must never go into a URL.
import type { EngineEvent, ErrorInfo, IpcChannel, IpcRequest, IpcResponses, Result, TokentrayBridge } from '../../../common/contract.js';
import {
  DASHBOARD_LOGIN_PAGE,
  HTTP_EVENTS_PATH,
  HTTP_LOGIN_PATH,
  HTTP_LOGOUT_PATH,
  HTTP_RPC_PREFIX,
  SESSION_HEADER,
  SESSION_HINT,
  SESSION_STORAGE_KEY,
} from '../../../common/dashboard-http.js';
import { readProblem } from '../../../common/problem.js';

export type ConnectionState = 'connecting' | 'open' | 'closed';

/** The bridge shape plus what only a network transport has: a connection that can drop, a session. */
export interface DashboardBridge extends TokentrayBridge {
  /** Fires when the event stream opens, drops or gives up; a reopened stream may have missed events. */
  onDidChangeConnection?(listener: (state: ConnectionState) => void): () => void;
  /** Ends this tab's dashboard session on the server and forgets it here. */
  logout?(): Promise<void>;
}

/** The part of sessionStorage the transport uses, so tests can pass their own. */
export interface SessionStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** Where the page is and how to clean its address, so tests can drive the login link. */
export interface PageLocation {
  pathname: string;
  hash: string;
  /** Replaces the address without a navigation (history.replaceState). */
  replace(url: string): void;
}

export interface HttpBridgeOptions {
  /** Where the dashboard was served from; '' means the page's own origin. */
  baseUrl?: string;
  fetch?: typeof fetch;
  /** Default: the page's sessionStorage (per origin, port included, per tab). */
  storage?: SessionStore | null;
  /** Default: the page's location; a one-time login link's `#token=` is redeemed from it. */
  location?: PageLocation | null;
  /** Wait before reopening a dropped event stream, unless the server says otherwise (`retry:`). */
  reconnectMs?: number;
}


function defaultStorage(): SessionStore | null {
  try {
    return globalThis.sessionStorage ?? null;
  } catch {
    return null; // Storage can be disabled; then every request is simply refused with the hint.
  }
}

function defaultLocation(): PageLocation | null {
  const page = globalThis.location as Location | undefined;
  if (page === undefined || typeof globalThis.history?.replaceState !== 'function') return null;
  return {
    pathname: page.pathname,
    hash: page.hash,
    replace: (url) => globalThis.history.replaceState(null, '', url),
  };
}

/** The one-time token from `/login#token=...`, if this page was opened from a login link. */
function loginTokenOf(location: PageLocation | null): string | null {
  if (location === null || location.pathname !== DASHBOARD_LOGIN_PAGE) return null;
  const token = new URLSearchParams(location.hash.replace(/^#/, '')).get('token');
  return token === null || token === '' ? null : token;
}

export function createHttpBridge(options: HttpBridgeOptions = {}): DashboardBridge {
  const baseUrl = (options.baseUrl ?? '').replace(/\/$/, '');
  const doFetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const storage = options.storage === undefined ? defaultStorage() : options.storage;
  const location = options.location === undefined ? defaultLocation() : options.location;
  let reconnectMs = options.reconnectMs ?? 3000;

  const sessionHeaders = (): Record<string, string> => {
    const secret = storage?.getItem(SESSION_STORAGE_KEY);
    return secret ? { [SESSION_HEADER]: secret } : {};
  };

  // A login link: take the token out of the address at once (no history entry, no bookmark keeps
  // it), then trade it for the session. Every request waits for that first.
  const token = loginTokenOf(location);
  let ready: Promise<void> = Promise.resolve();
  if (token !== null && location !== null) {
    location.replace('/');
    ready = (async () => {
      try {
        const response = await doFetch(`${baseUrl}${HTTP_LOGIN_PATH}`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
          body: JSON.stringify({ token }),
          credentials: 'same-origin',
          cache: 'no-store',
        });
        const body = (await response.json().catch(() => null)) as { session?: unknown } | null;
        if (response.ok && typeof body?.session === 'string') storage?.setItem(SESSION_STORAGE_KEY, body.session);
      } catch {
        // Not answered: the requests that follow report it (network error or session ended).
      }
    })();
  }

  const listeners = new Set<(event: EngineEvent) => void>();
  const connectionListeners = new Set<(state: ConnectionState) => void>();
  let stream: AbortController | null = null;

  const setConnection = (state: ConnectionState): void => {
    for (const listener of [...connectionListeners]) listener(state);
  };

  const deliver = (data: string): void => {
    let event: EngineEvent;
    try {
      event = JSON.parse(data) as EngineEvent;
    } catch {
      return;
    }
    if (typeof event !== 'object' || event === null || typeof event.type !== 'string') return;
    for (const listener of [...listeners]) listener(event);
  };

  /** One server-sent event frame (WHATWG HTML 9.2.6): data lines joined, comments ignored. */
  const frame = (text: string): void => {
    const data: string[] = [];
    for (const line of text.split('\n')) {
      if (line === '' || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'data') data.push(value);
      else if (field === 'retry' && /^\d+$/.test(value)) reconnectMs = Number(value);
    }
    if (data.length > 0) deliver(data.join('\n'));
  };

  /** Reads the stream until it ends; true when it is worth opening again (not refused). */
  const readStream = async (controller: AbortController): Promise<boolean> => {
    await ready;
    let response: Response;
    try {
      response = await doFetch(`${baseUrl}${HTTP_EVENTS_PATH}`, {
        headers: { Accept: 'text/event-stream', ...sessionHeaders() },
        credentials: 'same-origin',
        cache: 'no-store',
        signal: controller.signal,
      });
    } catch {
      return true;
    }
    // 4xx: the session is gone (or never was); retrying would only be refused again.
    if (response.status >= 400 && response.status < 500) {
      void response.body?.cancel().catch(() => undefined);
      return false;
    }
    if (!response.ok || response.body === null) return true;
    setConnection('open');
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        // (Our server ends lines with \n only; a CR is folded in for other servers' streams.)
        buffer += value.replace(/\r\n?/g, '\n');
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          frame(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
      }
    } catch {
      // Dropped or aborted: the loop below decides.
    }
    return true;
  };

  const connect = (): void => {
    if (stream) return;
    const controller = new AbortController();
    stream = controller;
    setConnection('connecting');
    void (async () => {
      // Keeps reconnecting like EventSource does, until the last listener leaves or a 4xx.
      while (!controller.signal.aborted) {
        const again = await readStream(controller);
        if (controller.signal.aborted) return;
        if (!again) {
          setConnection('closed');
          if (stream === controller) stream = null;
          return;
        }
        setConnection('connecting');
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, reconnectMs);
          controller.signal.addEventListener('abort', () => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
    })();
  };

  const disconnect = (): void => {
    stream?.abort();
    stream = null;
  };

  return {
    transport: 'http',
    async invoke<C extends IpcChannel>(channel: C, ...args: IpcRequest<C>): Promise<Result<IpcResponses[C]>> {
      await ready;
      let response: Response;
      try {
        response = await doFetch(`${baseUrl}${HTTP_RPC_PREFIX}${encodeURIComponent(channel)}`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Accept: 'application/json', ...sessionHeaders() },
          body: JSON.stringify(args),
          credentials: 'same-origin',
          cache: 'no-store',
        });
      } catch {
        return failure({
          kind: 'app_unavailable',
          message: 'Tokentray did not answer.',
          hint: 'Check that `tokentray serve` is still running, then reload this page.',
        });
      }
      // Lock and unlock rotate the session: the answer carries the tab's new secret (its
      // cookie came with it), and the event stream reopens under it.
      const rotated = response.headers.get(SESSION_HEADER);
      if (rotated !== null && rotated !== '') {
        storage?.setItem(SESSION_STORAGE_KEY, rotated);
        if (listeners.size > 0) {
          disconnect();
          connect();
        }
      }
      return readResult<IpcResponses[C]>(response);
    },
    onEvent(listener) {
      listeners.add(listener);
      connect();
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0) disconnect();
      };
    },
    onDidChangeConnection(listener) {
      connectionListeners.add(listener);
      return () => connectionListeners.delete(listener);
    },
    async logout() {
      await ready;
      try {
        await doFetch(`${baseUrl}${HTTP_LOGOUT_PATH}`, { method: 'POST', headers: sessionHeaders(), credentials: 'same-origin', cache: 'no-store' });
      } finally {
        storage?.removeItem(SESSION_STORAGE_KEY);
        disconnect();
        setConnection('closed');
      }
    },
  };
}

async function readResult<T>(response: Response): Promise<Result<T>> {
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    body = undefined;
  }
  if (isResult(body)) return body as Result<T>;
  if (response.status === 401 || response.status === 403) {
    return failure({ kind: 'session', message: 'This dashboard session has ended.', hint: SESSION_HINT, status: response.status });
  }
  return failure({ ...readProblem(body, response.status), status: response.status });
}

function isResult(body: unknown): boolean {
  if (typeof body !== 'object' || body === null) return false;
  const value = body as Record<string, unknown>;
  if (value.ok === true) return 'value' in value;
  return value.ok === false && typeof value.error === 'object' && value.error !== null;
}

function failure(error: ErrorInfo): { ok: false; error: ErrorInfo } {
  return { ok: false, error };
}
