// ANY /v1/proxy/{id}/{path} (docs/http-api.md): forwards to the profile's API base URL with the
// profile's headers attached and streams both bodies. The caller's own credentials never pass
// through, and a 401 from the API is answered by one refresh and one retry when the request can be
// replayed safely.
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { pipeline } from 'node:stream/promises';
import { resolveProfile } from '../profiles.js';
import { tlsOptions } from '../tls-fetch.js';
import type { ClientTls, ConfigStore, Engine, Logger, Token } from '../types.js';
import { bufferUpTo } from './body.js';
import { noSuchProfile, type TokentrayError } from '../errors.js';
import { errorFromApiAnswer } from '../providers/http-errors.js';
import { BASE_HEADERS, HttpProblem, problemFromError, sendProblem } from './problem.js';

/** RFC 9110 section 7.6.1 hop-by-hop fields, plus the legacy Proxy-Connection. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** What the caller sends that must not reach the API: its credentials and browser/relay context. */
const STRIP_REQUEST = new Set([
  'host',
  'authorization',
  'cookie',
  'x-csrf-token',
  'operate-x-csrf-token',
  'origin',
  'referer',
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'sec-fetch-site',
  'sec-fetch-mode',
  'sec-fetch-dest',
  'sec-fetch-user',
]);

/** Tokentray's own headers (the dashboard's session, the caller's name) never leave the machine. */
const OWN_HEADER_PREFIX = 'x-tokentray-';

/** An API's error answer up to this size is read to find what the profile should show (seed 002). */
const ERROR_BODY_LIMIT = 64 * 1024;

/** Methods that may be replayed after a refresh (PUT/DELETE only when their body was buffered). */
const REPLAYABLE = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

export interface ProxyOptions {
  engine: Engine;
  store: ConfigStore;
  logger?: Logger;
  /** Bodies up to this size are buffered so the request can be retried after a 401. */
  retryBufferBytes: number;
  upstreamTimeoutMs: number;
}

export interface ProxyRequest {
  profileId: string;
  /** The raw (still percent-encoded) path after /v1/proxy/{id}, '' or starting with '/'. */
  rawPath: string;
  /** The raw query string without '?', or ''. */
  query: string;
  client: string;
}

/**
 * Refuses `..` and `.` segments in every spelling (`%2e%2e`, `..%2f`, double encoding), encoded
 * slashes and backslashes: the API base URL's path is a boundary the caller must not climb out of.
 */
export function checkProxyPath(rawPath: string): void {
  const bad = new HttpProblem(400, 'usage', 'The proxied path is not allowed.', 'Paths may not contain "..", "." segments, encoded slashes or backslashes.');
  if (rawPath.includes('\\')) throw bad;
  for (const segment of rawPath.split('/')) {
    let value = segment;
    for (let round = 0; round < 3; round += 1) {
      if (value === '.' || value === '..' || value.includes('\\') || value.includes('\0') || value.includes('/')) throw bad;
      if (!value.includes('%')) break;
      try {
        value = decodeURIComponent(value);
      } catch {
        throw bad;
      }
    }
    if (value === '.' || value === '..' || value.includes('/') || value.includes('\\') || value.includes('\0')) throw bad;
  }
}

export function proxyTarget(base: string, rawPath: string, query: string): URL {
  const baseUrl = new URL(base);
  const target = new URL(base.replace(/\/+$/, '') + rawPath + (query === '' ? '' : `?${query}`));
  if (target.origin !== baseUrl.origin) {
    throw new HttpProblem(400, 'usage', 'The proxied path is not allowed.');
  }
  return target;
}

function forwardHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const connectionListed = new Set(
    String(headers.connection ?? '')
      .split(',')
      .map((name) => name.trim().toLowerCase())
      .filter((name) => name !== ''),
  );
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || STRIP_REQUEST.has(name) || connectionListed.has(name)) continue;
    if (name.startsWith(OWN_HEADER_PREFIX)) continue;
    out[name] = value;
  }
  return out;
}

function responseHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const connectionListed = new Set(
    String(headers.connection ?? '')
      .split(',')
      .map((name) => name.trim().toLowerCase()),
  );
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || connectionListed.has(name)) continue;
    // Never a CORS grant, never a cookie for the loopback origin, never a cache instruction but ours.
    if (name.startsWith('access-control-') || name === 'set-cookie' || name === 'cache-control') continue;
    out[name] = value;
  }
  return { ...out, ...BASE_HEADERS };
}

function upstreamProblem(error: unknown, target: URL): HttpProblem {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  // Only the API's host goes in the message: the path and query are the caller's and may hold data.
  if (code === 'ETIMEDOUT' || code === 'ESOCKETTIMEDOUT') {
    return new HttpProblem(504, 'timeout', `The API at ${target.host} did not answer in time.`);
  }
  if (code === 'ECONNREFUSED') {
    return new HttpProblem(502, 'connection_refused', `The API at ${target.host} refused the connection.`, 'Check the profile\'s API base URL.');
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new HttpProblem(502, 'dns', `The API host ${target.hostname} could not be found.`, 'Check the profile\'s API base URL.');
  }
  return new HttpProblem(502, 'network', `The request to the API at ${target.host} failed.`);
}

export class ProfileProxy {
  /** The re-authentication after a 401, shared by every request that failed with the same token. */
  private readonly reauth = new Map<string, { failed: string; next: Promise<Token> }>();
  /**
   * One keep-alive agent per profile's TLS material (the engine hands out the same object until the
   * profile changes), so connections that present a client certificate are reused by that profile only.
   */
  private readonly agents = new WeakMap<ClientTls, HttpsAgent>();

  constructor(private readonly options: ProxyOptions) {}

  async handle(req: IncomingMessage, res: ServerResponse, target: ProxyRequest): Promise<void> {
    const { engine, store } = this.options;
    checkProxyPath(target.rawPath);
    const profile = store.getProfile(target.profileId);
    if (profile === undefined) throw problemFromError(noSuchProfile(target.profileId));
    const resolved = resolveProfile(profile);
    // Operate's cookie login has a base URL, not an API URL (seed 003).
    const base = resolved.apiUrl || resolved.baseUrl;
    if (base === undefined || base === '') {
      throw new HttpProblem(400, 'config', `Profile "${target.profileId}" has no API base URL.`, 'Set the API base URL in the profile.');
    }
    const url = proxyTarget(base, target.rawPath, target.query);
    const method = (req.method ?? 'GET').toUpperCase();

    let token = await engine.getToken(target.profileId, { client: target.client });
    // A certificate-bound token (RFC 8705 section 3) is accepted only over the certificate it was
    // issued to, and a profile's CA bundle is its API's trust too (docs/client-auth.md).
    const tls = url.protocol === 'https:' ? await engine.clientTls(target.profileId) : null;
    const agent = tls === null ? undefined : this.agentFor(tls);

    // Buffer a replayable request's body (up to the limit) so it can be sent twice; anything larger,
    // and every POST/PATCH, is streamed once and never retried.
    const hasBody = req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] ?? '0') !== '0';
    let replayable = REPLAYABLE.has(method);
    let prefix: Buffer[] = [];
    let buffered: Buffer | null = hasBody ? null : Buffer.alloc(0);
    if (hasBody && replayable) {
      const partial = await bufferUpTo(req, this.options.retryBufferBytes);
      if (partial.ended) buffered = Buffer.concat(partial.chunks, partial.size);
      else {
        replayable = false;
        prefix = partial.chunks;
      }
    }
    if (!hasBody) req.resume();

    const baseHeaders = forwardHeaders(req.headers);
    let retried = false;
    for (;;) {
      const upstreamRes = await this.send(req, res, url, method, { ...baseHeaders, ...token.headers }, buffered, prefix, agent);
      if (upstreamRes === null) return;
      const status = upstreamRes.statusCode ?? 502;
      let head: Buffer[] = [];
      let whole = false;
      let apiError: TokentrayError | undefined;
      if (status >= 400) {
        // Error answers are small; the start of one says whether the token itself is the problem.
        let partial;
        try {
          partial = await bufferUpTo(upstreamRes, ERROR_BODY_LIMIT);
        } catch {
          res.destroy();
          return;
        }
        head = partial.chunks;
        whole = partial.ended;
        if (partial.ended) apiError = errorFromApiAnswer(status, Buffer.concat(head, partial.size).toString('utf8'), url.host);
      }
      if (apiError !== undefined) engine.noteApiAnswer(target.profileId, apiError);
      else if (status < 400) engine.noteApiAnswer(target.profileId, null);
      // A token refused for want of a scope is refused again after a refresh: no retry for it.
      if (status === 401 && apiError === undefined) {
        const next = this.reauthenticate(target, token);
        if (replayable && !retried) {
          retried = true;
          upstreamRes.resume();
          token = await next;
          continue;
        }
        // Not replayable (or already retried): the caller gets this 401, the next request a fresh token.
        next.catch(() => undefined);
      }
      res.writeHead(status, responseHeaders(upstreamRes.headers));
      if (whole) {
        res.end(Buffer.concat(head));
        return;
      }
      try {
        for (const chunk of head) res.write(chunk);
        await pipeline(upstreamRes, res);
      } catch {
        // The caller went away or the API cut the stream: nothing more can be said on this response.
        res.destroy();
      }
      return;
    }
  }

  private agentFor(tls: ClientTls): HttpsAgent {
    let agent = this.agents.get(tls);
    if (agent === undefined) {
      agent = new HttpsAgent({ keepAlive: true, ...tlsOptions(tls) });
      this.agents.set(tls, agent);
    }
    return agent;
  }

  private reauthenticate(target: ProxyRequest, failed: Token): Promise<Token> {
    const current = this.reauth.get(target.profileId);
    if (current !== undefined && current.failed === failed.accessToken) return current.next;
    this.options.engine.invalidate(target.profileId);
    const next = this.options.engine.getToken(target.profileId, { client: target.client });
    this.reauth.set(target.profileId, { failed: failed.accessToken, next });
    next.catch(() => {
      const entry = this.reauth.get(target.profileId);
      if (entry?.next === next) this.reauth.delete(target.profileId);
    });
    return next;
  }

  /** One upstream attempt; null when the caller has gone or a problem has already been answered. */
  private send(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    method: string,
    headers: OutgoingHttpHeaders,
    buffered: Buffer | null,
    prefix: Buffer[],
    agent: HttpsAgent | undefined,
  ): Promise<IncomingMessage | null> {
    return new Promise((resolve) => {
      // Revoked (or gone) while waiting for a token or a body: nothing is sent upstream.
      if (res.destroyed) {
        resolve(null);
        return;
      }
      const outgoing = { ...headers };
      if (buffered !== null) {
        if (buffered.length > 0 || 'content-length' in outgoing) outgoing['content-length'] = String(buffered.length);
      }
      const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
      const upstream = send(url, { method, headers: outgoing, timeout: this.options.upstreamTimeoutMs, ...(agent === undefined ? {} : { agent }) });
      let settled = false;
      const finish = (value: IncomingMessage | null): void => {
        if (settled) return;
        settled = true;
        resolve(value);
      };
      const onCallerGone = (): void => {
        if (!res.writableFinished) upstream.destroy();
      };
      res.once('close', onCallerGone);
      upstream.on('timeout', () => upstream.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
      upstream.on('error', (error) => {
        if (settled) return;
        if (!res.destroyed) sendProblem(res, upstreamProblem(error, url));
        this.options.logger?.warn('proxy request failed', { code: (error as NodeJS.ErrnoException).code });
        finish(null);
      });
      upstream.on('response', (upstreamRes) => {
        upstreamRes.once('end', () => res.off('close', onCallerGone));
        finish(upstreamRes);
      });
      if (buffered !== null) {
        upstream.end(buffered);
      } else {
        for (const chunk of prefix) upstream.write(chunk);
        req.pipe(upstream);
        req.resume();
      }
    });
  }
}
