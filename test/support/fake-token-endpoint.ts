// An in-process token endpoint (a FetchLike) that answers like Acquia's (seed 002): a form POST of
// client_credentials returns {"access_token", "token_type":"Bearer", "expires_in":300}. Tests switch
// its behaviour to every failure mode the engine must survive, and it records when each request
// arrived (by the fake clock) so tests can count upstream requests and check their timing.
import type { Clock } from '../../main/core/clock.js';
import type { FetchLike } from '../../main/core/types.js';

export type EndpointMode =
  | 'ok'
  | 'rate-limited' // 429 with Retry-After (Camunda's rate limit, seed 001)
  | 'server-error' // 500
  | 'unavailable' // 503 with Retry-After
  | 'timeout'
  | 'reset'
  | 'refused'
  | 'html' // a login or proxy page with 200
  | 'not-json'
  | 'no-access-token'
  | 'invalid-client' // 401 {"error":"invalid_client"}
  | 'hang'; // never answers until the request is aborted or release() is called

export const FAILURE_MODES: readonly EndpointMode[] = [
  'rate-limited',
  'server-error',
  'unavailable',
  'timeout',
  'reset',
  'refused',
  'html',
  'not-json',
  'no-access-token',
];

export interface FakeEndpointOptions {
  lifetimeSec?: number;
  retryAfterSec?: number;
  /** Skip building a real Response and keeping per-request records (the benchmark measures the engine, not undici or this fake). */
  lightweight?: boolean;
}

function transportError(code: string): Error {
  // fetch wraps socket errors in TypeError('fetch failed') with the code on the cause, like undici.
  const cause = Object.assign(new Error('socket'), { code });
  return new TypeError('fetch failed', { cause });
}

export class FakeTokenEndpoint {
  mode: EndpointMode | ((requestIndex: number) => EndpointMode) = 'ok';
  /** Fake-clock times of every request, in arrival order (not kept when lightweight: see requestCount). */
  readonly requests: number[] = [];
  /** How many requests arrived; the benchmark's count, whose heap figure must be the engine's alone. */
  requestCount = 0;
  /** The form bodies received (not kept when lightweight; tests only use fake secrets). */
  readonly bodies: URLSearchParams[] = [];
  lifetimeSec: number;
  retryAfterSec: number;
  private counter = 0;
  private readonly hanging = new Set<() => void>();
  private readonly lightweight: boolean;

  constructor(
    private readonly clock: Clock,
    options: FakeEndpointOptions = {},
  ) {
    this.lifetimeSec = options.lifetimeSec ?? 300;
    this.retryAfterSec = options.retryAfterSec ?? 60;
    this.lightweight = options.lightweight ?? false;
  }

  readonly fetch: FetchLike = async (_input, init) => {
    const index = this.requestCount;
    this.requestCount += 1;
    if (!this.lightweight) this.requests.push(this.clock.now());
    if (!this.lightweight && typeof init?.body === 'string') this.bodies.push(new URLSearchParams(init.body));
    const mode = typeof this.mode === 'function' ? this.mode(index) : this.mode;
    switch (mode) {
      case 'ok':
        this.counter += 1;
        return this.answer(
          200,
          { 'content-type': 'application/json' },
          JSON.stringify({ access_token: `tok-${this.counter}`, token_type: 'Bearer', expires_in: this.lifetimeSec }),
        );
      case 'rate-limited':
        return this.answer(
          429,
          { 'content-type': 'application/json', 'retry-after': String(this.retryAfterSec) },
          JSON.stringify({ error: 'too_many_requests' }),
        );
      case 'server-error':
        return this.answer(500, { 'content-type': 'text/plain' }, 'Internal Server Error');
      case 'unavailable':
        return this.answer(503, { 'content-type': 'text/plain', 'retry-after': String(this.retryAfterSec) }, 'Service Unavailable');
      case 'timeout':
        throw transportError('UND_ERR_HEADERS_TIMEOUT');
      case 'reset':
        throw transportError('ECONNRESET');
      case 'refused':
        throw transportError('ECONNREFUSED');
      case 'html':
        return this.answer(200, { 'content-type': 'text/html' }, '<!doctype html><title>Sign in</title>');
      case 'not-json':
        return this.answer(200, { 'content-type': 'application/json' }, 'access_token=oops');
      case 'no-access-token':
        return this.answer(200, { 'content-type': 'application/json' }, JSON.stringify({ token_type: 'Bearer', expires_in: 300 }));
      case 'invalid-client':
        return this.answer(
          401,
          { 'content-type': 'application/json' },
          JSON.stringify({ error: 'invalid_client', error_description: 'The client credentials are invalid' }),
        );
      case 'hang':
        return new Promise<Response>((resolve, reject) => {
          const release = () => {
            this.hanging.delete(release);
            this.counter += 1;
            resolve(
              this.answer(
                200,
                { 'content-type': 'application/json' },
                JSON.stringify({ access_token: `tok-${this.counter}`, token_type: 'Bearer', expires_in: this.lifetimeSec }),
              ),
            );
          };
          this.hanging.add(release);
          init?.signal?.addEventListener('abort', () => {
            this.hanging.delete(release);
            reject(init.signal?.reason ?? new DOMException('aborted', 'AbortError'));
          });
        });
    }
  };

  /** Answers every hanging request with a token. */
  release(): void {
    for (const release of [...this.hanging]) release();
  }

  hangingCount(): number {
    return this.hanging.size;
  }

  private answer(status: number, headers: Record<string, string>, body: string): Response {
    if (!this.lightweight) return new Response(body, { status, headers });
    // Just what the providers read: status, headers.get and text().
    const lower = new Map(Object.entries(headers));
    return {
      status,
      ok: status >= 200 && status < 300,
      headers: { get: (name: string) => lower.get(name.toLowerCase()) ?? null },
      text: async () => body,
    } as unknown as Response;
  }
}
