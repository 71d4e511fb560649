// The headless-mode transport (SPEC section 5, `tokentray serve`): the same verbs as the preload
// bridge, sent as POST /ui/rpc/{channel} with a JSON array of arguments, and engine events read from
// the server-sent event stream on /v1/events. Both are same-origin and carry the session cookie that
// the one-time login link set, so no key ever lives in the page.
import {
  HTTP_EVENTS_PATH,
  HTTP_RPC_PREFIX,
  type EngineEvent,
  type ErrorInfo,
  type IpcChannel,
  type IpcRequest,
  type IpcResponses,
  type Result,
  type TokentrayBridge,
} from '../../../common/contract.js';

export type ConnectionState = 'connecting' | 'open' | 'closed';

/** The bridge shape plus what only a network transport has: a connection that can drop. */
export interface DashboardBridge extends TokentrayBridge {
  /** Fires when the event stream opens, drops or gives up; a reopened stream may have missed events. */
  onDidChangeConnection?(listener: (state: ConnectionState) => void): () => void;
}

/** The parts of EventSource the transport uses, so tests can pass a Node implementation. */
export interface EventSourceLike {
  readonly readyState: number;
  onopen: ((this: never, ev: Event) => unknown) | null;
  onmessage: ((this: never, ev: MessageEvent) => unknown) | null;
  onerror: ((this: never, ev: Event) => unknown) | null;
  close(): void;
}

export type EventSourceFactory = (url: string) => EventSourceLike;

export interface HttpBridgeOptions {
  /** Where the dashboard was served from; '' means the page's own origin. */
  baseUrl?: string;
  fetch?: typeof fetch;
  eventSource?: EventSourceFactory;
}

const CLOSED = 2;

const SESSION_HINT = 'Open a fresh login link: run `tokentray dashboard` and follow the link it prints.';

export function createHttpBridge(options: HttpBridgeOptions = {}): DashboardBridge {
  const baseUrl = (options.baseUrl ?? '').replace(/\/$/, '');
  const doFetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const openEventSource: EventSourceFactory =
    options.eventSource ?? ((url) => new EventSource(url) as unknown as EventSourceLike);

  const listeners = new Set<(event: EngineEvent) => void>();
  const connectionListeners = new Set<(state: ConnectionState) => void>();
  let source: EventSourceLike | null = null;

  const setConnection = (state: ConnectionState): void => {
    for (const listener of [...connectionListeners]) listener(state);
  };

  const connect = (): void => {
    if (source) return;
    setConnection('connecting');
    const es = openEventSource(`${baseUrl}${HTTP_EVENTS_PATH}`);
    source = es;
    es.onopen = () => setConnection('open');
    es.onmessage = (message: MessageEvent) => {
      let event: EngineEvent;
      try {
        event = JSON.parse(String(message.data)) as EngineEvent;
      } catch {
        return; // Comments and keep-alives are not events.
      }
      if (typeof event !== 'object' || event === null || typeof event.type !== 'string') return;
      for (const listener of [...listeners]) listener(event);
    };
    es.onerror = () => {
      // EventSource retries by itself; CLOSED means it gave up (the session is gone, or a 4xx).
      setConnection(es.readyState === CLOSED ? 'closed' : 'connecting');
    };
  };

  const disconnect = (): void => {
    source?.close();
    source = null;
  };

  return {
    transport: 'http',
    async invoke<C extends IpcChannel>(channel: C, ...args: IpcRequest<C>): Promise<Result<IpcResponses[C]>> {
      let response: Response;
      try {
        response = await doFetch(`${baseUrl}${HTTP_RPC_PREFIX}${encodeURIComponent(channel)}`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
          body: JSON.stringify(args),
          credentials: 'same-origin',
          cache: 'no-store',
        });
      } catch {
        return failure({
          kind: 'network',
          message: 'Tokentray did not answer.',
          hint: 'Check that `tokentray serve` is still running, then reload this page.',
        });
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
  // A problem+json answer (SPEC section 4) carries title, detail and maybe a hint.
  const problem = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  return failure({
    kind: typeof problem.type === 'string' ? problem.type : 'http',
    message:
      typeof problem.detail === 'string'
        ? problem.detail
        : typeof problem.title === 'string'
          ? problem.title
          : `Tokentray answered with HTTP ${response.status}.`,
    ...(typeof problem.hint === 'string' ? { hint: problem.hint } : {}),
    status: response.status,
  });
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
