// Errors on the wire are application/problem+json (RFC 9457, docs/http-api.md): type, title, status,
// detail and a hint. The detail is a TokentrayError message, which by contract never holds a secret.
import type { ServerResponse } from 'node:http';
import type { Problem } from '../../../common/contract.js';
import { problemType } from '../../../common/errors.js';
import { toTokentrayError, type ErrorKind } from '../errors.js';

export { PROBLEM_TYPE_PREFIX } from '../../../common/errors.js';

/** Headers every answer carries, success or not (docs/http-api.md). Never any Access-Control-* header. */
export const BASE_HEADERS: Readonly<Record<string, string>> = {
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

const TITLES: Record<number, string> = {
  400: 'Bad request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not found',
  405: 'Method not allowed',
  408: 'Request timeout',
  413: 'Request too large',
  415: 'Unsupported media type',
  421: 'Misdirected request',
  431: 'Request header fields too large',
  500: 'Internal error',
  502: 'Bad gateway',
  503: 'Service unavailable',
  504: 'Gateway timeout',
};

export class HttpProblem extends Error {
  override readonly name = 'HttpProblem';
  constructor(
    readonly status: number,
    readonly kind: ErrorKind,
    readonly detail: string,
    readonly hint?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
  }

  toProblem(): Problem {
    const problem: Problem = {
      type: problemType(this.kind),
      title: TITLES[this.status] ?? 'Error',
      status: this.status,
      detail: this.detail,
    };
    if (this.hint !== undefined) problem.hint = this.hint;
    return problem;
  }
}

/** Where each engine error kind lands: 404 for a missing profile, 503 when no valid token can be had now. */
export function statusForKind(kind: ErrorKind): number {
  switch (kind) {
    case 'not_found':
      return 404;
    case 'usage':
    case 'config':
      return 400;
    case 'unauthorized':
    case 'session':
      return 401;
    case 'forbidden':
      return 403;
    case 'internal':
      return 500;
    default:
      // no_valid_token, paused, keychain, provider and transport errors: nothing valid to hand out now.
      return 503;
  }
}

export function problemFromError(error: unknown): HttpProblem {
  if (error instanceof HttpProblem) return error;
  const tt = toTokentrayError(error);
  const headers: Record<string, string> = {};
  if (tt.retryAfterMs !== undefined && tt.retryAfterMs > 0) headers['Retry-After'] = String(Math.ceil(tt.retryAfterMs / 1000));
  return new HttpProblem(statusForKind(tt.kind), tt.kind, tt.message, tt.hint, headers);
}

/** BASE_HEADERS and the JSON content type as a flat name/value list, built once. */
const JSON_HEADER_LIST: readonly string[] = [
  ...Object.entries(BASE_HEADERS).flat(),
  'Content-Type',
  'application/json; charset=utf-8',
];

export function sendJson(res: ServerResponse, status: number, body: unknown, extra?: Record<string, string>): void {
  const payload = JSON.stringify(body);
  if (extra === undefined) {
    sendJsonText(res, status, payload);
    return;
  }
  res.writeHead(status, {
    ...BASE_HEADERS,
    ...extra,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(payload),
  });
  res.end(payload);
}

/**
 * An answer already serialized as JSON, with sendJson's headers. The headers go as a flat list
 * (no per-answer object spreads): this runs for every token the loopback API hands out.
 */
export function sendJsonText(res: ServerResponse, status: number, payload: string): void {
  if (payload !== last.payload) {
    last = { payload, headers: [...JSON_HEADER_LIST, 'Content-Length', String(Buffer.byteLength(payload))] };
  }
  res.writeHead(status, last.headers);
  // node joins a string body to the header in one chunk (a Buffer stays a chunk of its own); the
  // two measured the same in the API benchmark.
  res.end(last.payload);
}

// The same cached token answer goes out many times a second: its header list (with the length) is
// made once per distinct answer. (node:http only reads it.)
let last: { payload: string; headers: string[] } = { payload: '', headers: [] };

export function sendProblem(res: ServerResponse, problem: HttpProblem): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const payload = JSON.stringify(problem.toProblem());
  res.writeHead(problem.status, {
    ...BASE_HEADERS,
    ...problem.headers,
    'Content-Type': 'application/problem+json; charset=utf-8',
    'Content-Length': Buffer.byteLength(payload),
  });
  res.end(payload);
}

/**
 * A whole HTTP/1.1 answer carrying the problem, for a socket node's parser gave up on (no
 * ServerResponse exists then); the connection closes after it.
 */
export function problemResponseText(problem: HttpProblem): string {
  const body = problem.toProblem();
  const payload = JSON.stringify(body);
  const headers: Record<string, string | number> = {
    ...BASE_HEADERS,
    ...problem.headers,
    'Content-Type': 'application/problem+json; charset=utf-8',
    'Content-Length': Buffer.byteLength(payload),
    Connection: 'close',
  };
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
  return `HTTP/1.1 ${problem.status} ${body.title}\r\n${lines.join('')}\r\n${payload}`;
}
