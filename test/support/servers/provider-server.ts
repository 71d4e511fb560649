// Local stand-ins for the providers' token endpoints, faithful to shared/seeds/ (what a real server
// checks, how it answers, with which content type), plus every failure the engine must survive.
// Used by provider, engine, CLI, loopback API and dashboard tests: keep the API stable.
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT } from 'jose';
import type { ProfileConfig, ProfileSecrets } from '../../../common/contract.js';
import type { ProviderId } from '../../../common/providers.js';

export type ServerKind =
  | 'redpanda'
  | 'camunda-console'
  | 'camunda-operate'
  | 'camunda-operate-identity'
  | 'camunda-operate-cookie'
  | 'acquia'
  | 'sendcloud'
  | 'oauth2';

export const SERVER_KINDS: readonly ServerKind[] = [
  'redpanda',
  'camunda-console',
  'camunda-operate',
  'camunda-operate-identity',
  'camunda-operate-cookie',
  'acquia',
  'sendcloud',
  'oauth2',
];

/** How the token (or login) endpoint answers. Every mode but 'ok' fails every token request. */
export type ServerMode =
  | 'ok'
  | 'invalid_client'
  | 'unauthorized_client'
  | 'invalid_scope'
  | 'access_denied'
  | 'additional_authentication_required'
  | 'rate_limited'
  | 'server_error'
  | 'service_unavailable'
  | 'bad_request'
  | 'unauthorized'
  | 'not_found'
  | 'html'
  | 'not_json'
  | 'no_access_token'
  | 'empty_access_token'
  | 'negative_expires_in'
  | 'zero_expires_in'
  | 'non_numeric_expires_in'
  | 'string_expires_in'
  | 'hang'
  | 'reset';

export const SERVER_MODES: readonly ServerMode[] = [
  'ok',
  'invalid_client',
  'unauthorized_client',
  'invalid_scope',
  'access_denied',
  'additional_authentication_required',
  'rate_limited',
  'server_error',
  'service_unavailable',
  'bad_request',
  'unauthorized',
  'not_found',
  'html',
  'not_json',
  'no_access_token',
  'empty_access_token',
  'negative_expires_in',
  'zero_expires_in',
  'non_numeric_expires_in',
  'string_expires_in',
  'hang',
  'reset',
];

export interface ModeOptions {
  /** Overrides the HTTP status of an error mode (e.g. 'html' with 502, 'server_error' with 503). */
  status?: number;
  /** Retry-After value for 'rate_limited' / 'service_unavailable' (seconds or an HTTP date). Default '30'. */
  retryAfter?: string | null;
}

export interface ServerCredentials {
  clientId: string;
  clientSecret: string;
  username: string;
  password: string;
}

export interface ProviderServerOptions extends Partial<ServerCredentials> {
  /** Token lifetime in seconds (Operate cookie: the server-side session lifetime). Seed defaults. */
  lifetimeSec?: number;
  /** The audience a Camunda server requires (default: the seed's). */
  audience?: string;
  /** Acquia: requests without scope organization:<organizationUuid> fail (seed 002). */
  federated?: boolean;
  /**
   * Acquia, federated: where the missing scope is refused. 'token' (default): the token request;
   * 'api': the token is issued and every API call with it is refused, as seed 002 describes, with
   * the error code and the message ('code') or the message alone ('message').
   */
  federatedAt?: 'token' | 'api';
  federatedApiAnswer?: 'code' | 'message';
  organizationUuid?: string;
  /** Operate cookie: hand out a CSRF token with the login answer (default true). */
  csrf?: boolean;
  /**
   * Operate cookie: which release to behave like. 8.5 names the CSRF token `OPERATE-X-CSRF-TOKEN`,
   * 8.6 `X-CSRF-TOKEN` (camunda/camunda PR 17570, PR 19305); each expects it back under its own name
   * only (default '8.6').
   */
  operateVersion?: '8.5' | '8.6';
  /** Operate cookie: the CSRF token comes as a response header (default) or as a cookie of that name. */
  csrfIn?: 'header' | 'cookie';
  /** Operate cookie: also set a second cookie (default true) to prove every cookie is kept. */
  extraCookie?: boolean;
  /** Operate cookie: put Max-Age on the session cookie. */
  cookieMaxAgeSec?: number;
  /** oauth2: which client authentication the server accepts (default 'any'). */
  authMethod?: 'client_secret_basic' | 'client_secret_post' | 'json' | 'any';
  /** Automatic rate limiting like Camunda's auth service: more than max token requests in windowMs -> 429. */
  rateLimit?: { max: number; windowMs: number; retryAfterSec?: number };
  /** The server's clock for issuing and checking tokens (default Date.now); pass a fake clock's now. */
  now?: () => number;
  /** Initial mode (default 'ok'). */
  mode?: ServerMode;
}

export interface RecordedRequest {
  method: string;
  /** Path with query string, exactly as received. */
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** The raw body as received. */
  body: string;
  /** Server clock at arrival. */
  at: number;
}

export interface IssuedToken {
  accessToken: string;
  /** Epoch ms (server clock). */
  expiresAt: number;
  clientId: string;
  scope?: string;
  audience?: string;
  /** Operate cookie: the CSRF token that goes with the session, if any. */
  csrfToken?: string;
  /** Operate cookie: every cookie set, as name=value. */
  cookies?: string[];
}

export interface ProviderServer {
  readonly kind: ServerKind;
  /** Base URL, e.g. http://127.0.0.1:PORT (no trailing slash). */
  readonly url: string;
  /** The token endpoint (Operate cookie: the login endpoint without query). */
  readonly tokenUrl: string;
  /** API base: GET {apiUrl}/whoami answers 200 JSON only with a currently valid credential, else 401. */
  readonly apiUrl: string;
  readonly credentials: ServerCredentials;
  /** Acquia's organization UUID for scope organization:<uuid>. */
  readonly organizationUuid: string;
  /** Token/login requests as received (whoami requests are not recorded). */
  readonly requests: RecordedRequest[];
  readonly issued: IssuedToken[];
  /** Every whoami request with its outcome. */
  readonly apiCalls: { status: number; at: number }[];
  /**
   * Operate cookie: every write (POST, PUT, PATCH, DELETE under {apiUrl}) with its outcome; like
   * Operate, a write needs the session cookie and the CSRF token under this release's header name.
   */
  readonly writes: { method: string; path: string; status: number; headers: Record<string, string | string[] | undefined>; body: string }[];
  /** Operate cookie: the CSRF header name this stand-in hands out and expects back. */
  readonly csrfHeader: string;
  tokenRequestCount(): number;
  setMode(mode: ServerMode, options?: ModeOptions): void;
  readonly mode: ServerMode;
  setLifetime(seconds: number): void;
  /**
   * Holds every token answer this long after deciding it (its lifetime already counting), as a
   * slow network or a loaded server would.
   */
  setAnswerDelay(ms: number): void;
  /** Makes every token and session issued so far invalid (server-side revocation / session loss). */
  revokeAll(): void;
  /** A profile pointing at this server (provider id chosen by kind; overrides win). */
  profile(overrides?: Partial<ProfileConfig>): ProfileConfig;
  /** The secrets for profile(). */
  secrets(): ProfileSecrets;
  /** Resolves when the next token/login request arrives (before it is answered). */
  nextRequest(): Promise<RecordedRequest>;
  close(): Promise<void>;
}

const DEFAULT_SECRET = 'se cr&t+%/=?ü';

const DEFAULT_LIFETIME: Record<ServerKind, number> = {
  redpanda: 3600, // seed 000: "valid for one hour"
  'camunda-console': 86_400, // seed 001: validity only inside the JWT
  'camunda-operate': 58_847, // seed 003's example answer
  'camunda-operate-identity': 300, // Keycloak's default access token lifespan
  'camunda-operate-cookie': 1800, // servlet session timeout
  acquia: 300, // seed 002: "expires in 300 seconds"
  sendcloud: 3599, // seed 004's example answer
  oauth2: 3600,
};

const TOKEN_PATH: Record<ServerKind, string> = {
  redpanda: '/oauth/token',
  'camunda-console': '/oauth/token',
  'camunda-operate': '/oauth/token',
  'camunda-operate-identity': '/auth/realms/camunda-platform/protocol/openid-connect/token',
  'camunda-operate-cookie': '/api/login',
  acquia: '/api/auth/oauth/token',
  sendcloud: '/oauth2/token',
  oauth2: '/token',
};

const PROVIDER_OF: Record<ServerKind, ProviderId> = {
  redpanda: 'redpanda',
  'camunda-console': 'camunda-console',
  'camunda-operate': 'camunda-operate',
  'camunda-operate-identity': 'camunda-operate-identity',
  'camunda-operate-cookie': 'camunda-operate-cookie',
  acquia: 'acquia',
  sendcloud: 'sendcloud-oauth2',
  oauth2: 'oauth2',
};

const JSON_TYPE = 'application/json;charset=utf-8';
const JWT_KEY = new TextEncoder().encode('tokentray-test-signing-key-0123456789abcdef');

class HttpAnswer {
  constructor(
    readonly status: number,
    readonly body: string,
    readonly headers: Record<string, string | string[]> = {},
  ) {}

  withHeaders(extra: Record<string, string | string[]>): HttpAnswer {
    return new HttpAnswer(this.status, this.body, { ...this.headers, ...extra });
  }
}

const json = (status: number, value: unknown, headers: Record<string, string | string[]> = {}): HttpAnswer =>
  new HttpAnswer(status, JSON.stringify(value), { 'content-type': JSON_TYPE, ...headers });

const oauthError = (status: number, error: string, description: string, extra: Record<string, unknown> = {}) =>
  json(status, { error, error_description: description, ...extra });

/** application/x-www-form-urlencoded decoding of one value, as RFC 6749 2.3.1 servers do. */
function formDecode(value: string): string | null {
  try {
    return decodeURIComponent(value.replace(/\+/g, '%20'));
  } catch {
    return null;
  }
}

function basicCredentials(header: string | undefined): { id: string; secret: string; raw: string } | null {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header ?? '');
  if (!match?.[1]) return null;
  const raw = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = raw.indexOf(':');
  if (colon < 0) return null;
  const id = formDecode(raw.slice(0, colon));
  const secret = formDecode(raw.slice(colon + 1));
  if (id === null || secret === null) return null;
  return { id, secret, raw };
}

function isForm(req: IncomingMessage): boolean {
  return (req.headers['content-type'] ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded');
}
function isJson(req: IncomingMessage): boolean {
  return (req.headers['content-type'] ?? '').toLowerCase().startsWith('application/json');
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseJsonObject(body: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(body);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function cookiesOf(req: IncomingMessage): Map<string, string> {
  const result = new Map<string, string>();
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) result.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  return result;
}

export async function startProviderServer(kind: ServerKind, options: ProviderServerOptions = {}): Promise<ProviderServer> {
  const now = options.now ?? (() => Date.now());
  const credentials: ServerCredentials = {
    clientId: options.clientId ?? `${kind}-client`,
    clientSecret: options.clientSecret ?? DEFAULT_SECRET,
    // seed 003's example user is demo/demo; the default password here has characters that need encoding.
    username: options.username ?? 'demo',
    password: options.password ?? 'de mo&+%/=?',
  };
  const organizationUuid = options.organizationUuid ?? randomUUID();
  const requiredAudience =
    options.audience ??
    (kind === 'camunda-console' ? 'api.cloud.camunda.io' : kind === 'camunda-operate' ? 'operate.camunda.io' : undefined);
  let lifetimeSec = options.lifetimeSec ?? DEFAULT_LIFETIME[kind];
  let mode: ServerMode = options.mode ?? 'ok';
  let modeOptions: ModeOptions = {};
  let answerDelayMs = 0;
  const requests: RecordedRequest[] = [];
  const issued: IssuedToken[] = [];
  const apiCalls: { status: number; at: number }[] = [];
  const writes: ProviderServer['writes'] = [];
  const csrfHeader = (options.operateVersion ?? '8.6') === '8.5' ? 'OPERATE-X-CSRF-TOKEN' : 'X-CSRF-TOKEN';
  const otherCsrfHeader = csrfHeader === 'X-CSRF-TOKEN' ? 'OPERATE-X-CSRF-TOKEN' : 'X-CSRF-TOKEN';
  const waiters: ((request: RecordedRequest) => void)[] = [];
  let revokedBefore = -1;

  const retryAfterHeader = (fallback: string): Record<string, string> => {
    const value = modeOptions.retryAfter === undefined ? fallback : modeOptions.retryAfter;
    return value === null ? {} : { 'retry-after': value };
  };

  /** The answer a failure mode forces, or null for 'ok' (and 'hang'/'reset', handled by the caller). */
  function modeAnswer(): HttpAnswer | null {
    const status = modeOptions.status;
    const token = `tt_${randomBytes(12).toString('hex')}`;
    switch (mode) {
      case 'ok':
      case 'hang':
      case 'reset':
        return null;
      case 'invalid_client':
        return oauthError(status ?? 401, 'invalid_client', 'Client authentication failed');
      case 'unauthorized_client':
        return oauthError(status ?? 400, 'unauthorized_client', 'The client is not authorized to use this grant type');
      case 'invalid_scope':
        return oauthError(status ?? 400, 'invalid_scope', 'The requested scope is invalid, unknown, or malformed');
      case 'access_denied':
        return oauthError(status ?? 403, 'access_denied', 'Service not enabled within domain');
      case 'additional_authentication_required':
        // seed 002's two phrasings of the same error.
        return oauthError(status ?? 400, 'additional_authentication_required', 'This resource requires additional authentication.', {
          message: 'This resource requires additional authentication.',
        });
      case 'rate_limited':
        return oauthError(status ?? 429, 'too_many_requests', 'Too many requests').withHeaders(retryAfterHeader('30'));
      case 'server_error':
        return oauthError(status ?? 500, 'server_error', 'The authorization server encountered an unexpected condition');
      case 'service_unavailable':
        return new HttpAnswer(status ?? 503, 'Service Unavailable', { 'content-type': 'text/plain', ...retryAfterHeader('30') });
      case 'bad_request':
        return new HttpAnswer(status ?? 400, 'Bad Request', { 'content-type': 'text/plain' });
      case 'unauthorized':
        return new HttpAnswer(status ?? 401, '', {});
      case 'not_found':
        return new HttpAnswer(status ?? 404, '<!doctype html><title>404 Not Found</title><h1>Not Found</h1>', {
          'content-type': 'text/html; charset=utf-8',
        });
      case 'html':
        return new HttpAnswer(status ?? 200, '<!DOCTYPE html><html><head><title>Sign in</title></head><body><form>…</form></body></html>', {
          'content-type': 'text/html; charset=utf-8',
        });
      case 'not_json':
        return new HttpAnswer(status ?? 200, 'access_token=abc&expires_in=3600', { 'content-type': JSON_TYPE });
      case 'no_access_token':
        return json(status ?? 200, { token_type: 'Bearer', expires_in: lifetimeSec });
      case 'empty_access_token':
        return json(status ?? 200, { access_token: '', token_type: 'Bearer', expires_in: lifetimeSec });
      case 'negative_expires_in':
        return json(status ?? 200, { access_token: token, token_type: 'Bearer', expires_in: -5 });
      case 'zero_expires_in':
        return json(status ?? 200, { access_token: token, token_type: 'Bearer', expires_in: 0 });
      case 'non_numeric_expires_in':
        return json(status ?? 200, { access_token: token, token_type: 'Bearer', expires_in: 'soon' });
      case 'string_expires_in': {
        // Some servers send the number as a string; that is a valid token (recorded as issued).
        issued.push({ accessToken: token, expiresAt: now() + lifetimeSec * 1000, clientId: credentials.clientId });
        return json(status ?? 200, { access_token: token, token_type: 'Bearer', expires_in: String(lifetimeSec) });
      }
    }
  }

  function rateLimited(at: number): HttpAnswer | null {
    if (!options.rateLimit) return null;
    const { max, windowMs, retryAfterSec = 60 } = options.rateLimit;
    const recent = requests.filter((r) => r.at > at - windowMs).length;
    if (recent <= max) return null;
    return oauthError(429, 'too_many_requests', 'Too many requests', {}).withHeaders({ 'retry-after': String(retryAfterSec) });
  }

  async function opaqueToken(clientId: string, extra: Partial<IssuedToken> = {}, prefix = 'tt_'): Promise<IssuedToken> {
    const token: IssuedToken = {
      accessToken: `${prefix}${randomBytes(24).toString('base64url')}`,
      expiresAt: now() + lifetimeSec * 1000,
      clientId,
      ...extra,
    };
    issued.push(token);
    return token;
  }

  async function jwtToken(clientId: string, audience: string | undefined, scope?: string): Promise<IssuedToken> {
    const iat = Math.floor(now() / 1000);
    const jwt = new SignJWT({ scope: scope ?? 'Cluster Members', 'https://camunda.com/orgId': organizationUuid })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer('https://weblogin.cloud.camunda.io/')
      .setSubject(`${clientId}@clients`)
      .setIssuedAt(iat)
      .setExpirationTime(iat + lifetimeSec)
      .setJti(randomUUID());
    if (audience) jwt.setAudience(audience);
    const token: IssuedToken = {
      accessToken: await jwt.sign(JWT_KEY),
      expiresAt: (iat + lifetimeSec) * 1000,
      clientId,
      ...(audience ? { audience } : {}),
      ...(scope ? { scope } : {}),
    };
    issued.push(token);
    return token;
  }

  /** The token endpoint of each kind, checking what the seed says the real server checks. */
  async function answerToken(req: IncomingMessage, body: string): Promise<HttpAnswer> {
    if (req.method !== 'POST') return oauthError(405, 'invalid_request', 'Method not allowed');
    switch (kind) {
      case 'redpanda':
      case 'camunda-operate-identity':
      case 'acquia': {
        // seed 000 / 002 / Keycloak: application/x-www-form-urlencoded client credentials in the body.
        if (!isForm(req)) return oauthError(400, 'invalid_request', 'Unsupported content type');
        const form = new URLSearchParams(body);
        if (form.get('grant_type') !== 'client_credentials') {
          return oauthError(400, 'unsupported_grant_type', 'Unsupported grant type');
        }
        if (form.get('client_id') !== credentials.clientId || form.get('client_secret') !== credentials.clientSecret) {
          return kind === 'camunda-operate-identity'
            ? oauthError(401, 'unauthorized_client', 'Invalid client or Invalid client credentials')
            : oauthError(401, kind === 'redpanda' ? 'access_denied' : 'invalid_client', kind === 'redpanda' ? 'Unauthorized' : 'Client authentication failed');
        }
        const scope = form.get('scope') ?? undefined;
        if (kind === 'acquia') {
          const wanted = `organization:${organizationUuid}`;
          if (scope !== undefined && scope.split(' ').some((s) => s.startsWith('organization:') && s !== wanted)) {
            return oauthError(400, 'invalid_scope', 'The requested scope is invalid, unknown, or malformed');
          }
          if (options.federated && options.federatedAt !== 'api' && !scope?.split(' ').includes(wanted)) {
            return oauthError(401, 'additional_authentication_required', 'This resource requires additional authentication.', {
              message: 'This resource requires additional authentication.',
            });
          }
          const token = await opaqueToken(credentials.clientId, scope ? { scope } : {});
          return json(200, { token_type: 'Bearer', expires_in: lifetimeSec, access_token: token.accessToken });
        }
        const audience = form.get('audience') ?? undefined;
        if (kind === 'redpanda') {
          const token = await jwtToken(credentials.clientId, audience ?? 'cloudv2-production.redpanda.cloud');
          return json(200, { access_token: token.accessToken, expires_in: lifetimeSec, token_type: 'Bearer' });
        }
        const token = await jwtToken(credentials.clientId, audience, scope);
        return json(200, {
          access_token: token.accessToken,
          expires_in: lifetimeSec,
          refresh_expires_in: 0,
          token_type: 'Bearer',
          'not-before-policy': 0,
          scope: scope ?? 'email profile',
        });
      }
      case 'camunda-console':
      case 'camunda-operate': {
        // seed 001 / 003: a JSON body {grant_type, audience, client_id, client_secret}.
        if (!isJson(req)) return oauthError(400, 'invalid_request', 'Unsupported content type');
        const value = parseJsonObject(body);
        if (!value) return oauthError(400, 'invalid_request', 'Invalid JSON body');
        if (value.grant_type !== 'client_credentials') return oauthError(400, 'unsupported_grant_type', 'Unsupported grant type');
        if (value.client_id !== credentials.clientId || value.client_secret !== credentials.clientSecret) {
          return oauthError(401, 'access_denied', 'Unauthorized');
        }
        if (value.audience !== requiredAudience) {
          return oauthError(403, 'access_denied', `Service not enabled within domain: ${String(value.audience)}`);
        }
        const token = await jwtToken(credentials.clientId, requiredAudience);
        // seed 001: "validity period found in the access token" -> no expires_in for Console.
        if (kind === 'camunda-console') return json(200, { access_token: token.accessToken, token_type: 'Bearer' });
        return json(200, { access_token: token.accessToken, scope: organizationUuid, expires_in: lifetimeSec, token_type: 'Bearer' });
      }
      case 'sendcloud': {
        // seed 004: form body grant_type=client_credentials&scope=api, client authenticated with HTTP Basic.
        const basic = basicCredentials(req.headers.authorization);
        if (!basic || basic.id !== credentials.clientId || basic.secret !== credentials.clientSecret) {
          return oauthError(401, 'invalid_client', 'Client authentication failed (e.g., unknown client, no client authentication included, or unsupported authentication method).');
        }
        if (!isForm(req)) return oauthError(400, 'invalid_request', 'The request is missing a required parameter');
        const form = new URLSearchParams(body);
        if (form.has('client_secret')) return oauthError(400, 'invalid_request', 'Multiple client authentication methods');
        if (form.get('grant_type') !== 'client_credentials') return oauthError(400, 'unsupported_grant_type', 'Unsupported grant type');
        if (form.get('scope') !== 'api') return oauthError(400, 'invalid_scope', 'The requested scope is invalid, unknown, or malformed.');
        const token = await opaqueToken(credentials.clientId, { scope: 'api' }, 'ory_at_');
        return json(200, { access_token: token.accessToken, expires_in: lifetimeSec, scope: 'api', token_type: 'bearer' });
      }
      case 'oauth2': {
        // A plain RFC 6749 server accepting the client authentication options.authMethod allows.
        const allowed = options.authMethod ?? 'any';
        let method: 'client_secret_basic' | 'client_secret_post' | 'json';
        let params: Record<string, unknown>;
        let id: string | undefined;
        let secret: string | undefined;
        if (isJson(req)) {
          const value = parseJsonObject(body);
          if (!value) return oauthError(400, 'invalid_request', 'Invalid JSON body');
          params = value;
          method = 'json';
          id = typeof value.client_id === 'string' ? value.client_id : undefined;
          secret = typeof value.client_secret === 'string' ? value.client_secret : undefined;
        } else if (isForm(req)) {
          const form = new URLSearchParams(body);
          params = Object.fromEntries(form);
          const basic = basicCredentials(req.headers.authorization);
          if (basic) {
            method = 'client_secret_basic';
            id = basic.id;
            secret = basic.secret;
          } else {
            method = 'client_secret_post';
            id = form.get('client_id') ?? undefined;
            secret = form.get('client_secret') ?? undefined;
          }
        } else {
          return oauthError(400, 'invalid_request', 'Unsupported content type');
        }
        if ((allowed !== 'any' && allowed !== method) || id !== credentials.clientId || secret !== credentials.clientSecret) {
          return oauthError(401, 'invalid_client', 'Client authentication failed');
        }
        if (params.grant_type !== 'client_credentials') return oauthError(400, 'unsupported_grant_type', 'Unsupported grant type');
        const scope = typeof params.scope === 'string' ? params.scope : undefined;
        const audience = typeof params.audience === 'string' ? params.audience : undefined;
        const token = await opaqueToken(credentials.clientId, {
          ...(scope ? { scope } : {}),
          ...(audience ? { audience } : {}),
        });
        return json(200, {
          access_token: token.accessToken,
          token_type: 'Bearer',
          expires_in: lifetimeSec,
          ...(scope ? { scope } : {}),
        });
      }
      case 'camunda-operate-cookie':
        return answerLogin(req);
    }
  }

  /** seed 003: POST /api/login?username=..&password=.. sets the session cookie. */
  function answerLogin(req: IncomingMessage): HttpAnswer {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.searchParams.get('username') !== credentials.username || url.searchParams.get('password') !== credentials.password) {
      return new HttpAnswer(401, '', {});
    }
    const session = randomBytes(16).toString('hex').toUpperCase();
    const cookies = [`OPERATE-SESSION=${session}`];
    const setCookie = [
      `OPERATE-SESSION=${session}; Path=/; HttpOnly${options.cookieMaxAgeSec !== undefined ? `; Max-Age=${options.cookieMaxAgeSec}` : ''}; SameSite=Lax`,
    ];
    if (options.extraCookie ?? true) {
      const affinity = `node-${randomBytes(3).toString('hex')}`;
      cookies.push(`OPERATE-AFFINITY=${affinity}`);
      setCookie.push(`OPERATE-AFFINITY=${affinity}; Path=/`);
    }
    const headers: Record<string, string | string[]> = { 'set-cookie': setCookie };
    const token: IssuedToken = {
      accessToken: cookies.join('; '),
      expiresAt: now() + lifetimeSec * 1000,
      clientId: credentials.username,
      cookies,
    };
    if (options.csrf ?? true) {
      token.csrfToken = randomBytes(18).toString('base64url');
      if (options.csrfIn === 'cookie') {
        setCookie.push(`${csrfHeader}=${token.csrfToken}; Path=/`);
        cookies.push(`${csrfHeader}=${token.csrfToken}`);
        token.accessToken = cookies.join('; ');
      } else headers[csrfHeader.toLowerCase()] = token.csrfToken;
    }
    issued.push(token);
    return new HttpAnswer(204, '', headers);
  }

  function isCurrent(token: IssuedToken | undefined): token is IssuedToken {
    return token !== undefined && token.expiresAt > now() && issued.indexOf(token) > revokedBefore;
  }

  /** Operate cookie: the session the request's cookies belong to, and whether its CSRF header is right. */
  function operateSession(req: IncomingMessage): { session: IssuedToken; csrfOk: boolean } | null {
    const jar = cookiesOf(req);
    const session = issued.find((t) => t.cookies?.every((c) => jar.get(c.split('=')[0] ?? '') === c.slice(c.indexOf('=') + 1)));
    if (!isCurrent(session)) return null;
    // Only this release's name counts: 8.5 ignores X-CSRF-TOKEN and 8.6 ignores OPERATE-X-CSRF-TOKEN.
    const csrfOk =
      session.csrfToken === undefined ||
      (req.headers[csrfHeader.toLowerCase()] === session.csrfToken && req.headers[otherCsrfHeader.toLowerCase()] === undefined);
    return { session, csrfOk };
  }

  /** POST/PUT/PATCH/DELETE {apiUrl}/...: Operate refuses a write without the CSRF token with 403. */
  function answerWrite(req: IncomingMessage, body: string): HttpAnswer {
    const found = operateSession(req);
    const answer =
      found === null
        ? json(401, { message: 'Unauthorized' })
        : !found.csrfOk
          ? json(403, { message: 'Forbidden: missing or invalid CSRF token' })
          : json(200, { method: req.method, received: body });
    writes.push({ method: req.method ?? '', path: req.url ?? '', status: answer.status, headers: { ...req.headers }, body });
    return answer;
  }

  /** GET {apiUrl}/whoami: 200 only with a credential this server issued and still honours. */
  function answerWhoami(req: IncomingMessage): HttpAnswer {
    const authorization = req.headers.authorization ?? '';
    if (kind === 'camunda-operate-cookie') {
      const found = operateSession(req);
      if (found === null) return json(401, { message: 'Unauthorized' });
      if (!found.csrfOk) return json(401, { message: 'Missing or invalid CSRF token' });
      return json(200, { userId: found.session.clientId, displayName: found.session.clientId, canLogout: true });
    }
    if (kind === 'sendcloud' && /^Basic /i.test(authorization)) {
      // seed 004: Basic base64(public:secret) with no encoding of the keys.
      const raw = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8');
      if (raw === `${credentials.clientId}:${credentials.clientSecret}`) return json(200, { user: { username: credentials.clientId } });
      return json(401, { error: { code: 401, message: 'Unauthorized' } });
    }
    const match = /^Bearer (.+)$/.exec(authorization);
    const token = match ? issued.find((t) => t.accessToken === match[1]) : undefined;
    if (!isCurrent(token)) return json(401, { error: 'invalid_token', error_description: 'The access token is invalid or has expired' });
    if (kind === 'acquia' && options.federated && !(token.scope ?? '').split(' ').includes(`organization:${organizationUuid}`)) {
      const message = 'This resource requires additional authentication.';
      return json(403, options.federatedApiAnswer === 'message' ? { message } : { error: 'additional_authentication_required', message });
    }
    return json(200, { clientId: token.clientId, scope: token.scope ?? null, audience: token.audience ?? null, kind });
  }

  const tokenPath = TOKEN_PATH[kind];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const body = await readBody(req);
      const path = req.url ?? '/';
      const pathname = path.split('?')[0];
      let answer: HttpAnswer;
      if (pathname === tokenPath) {
        const at = now();
        const recorded: RecordedRequest = { method: req.method ?? '', path, headers: { ...req.headers }, body, at };
        requests.push(recorded);
        for (const waiter of waiters.splice(0)) waiter(recorded);
        if (mode === 'hang') return; // never answers; close() destroys the socket
        if (mode === 'reset') {
          req.socket.destroy();
          return;
        }
        answer = rateLimited(at) ?? modeAnswer() ?? (await answerToken(req, body));
        if (answerDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, answerDelayMs));
      } else if (req.method === 'GET' && pathname === '/v1/whoami') {
        answer = answerWhoami(req);
        apiCalls.push({ status: answer.status, at: now() });
      } else if (kind === 'camunda-operate-cookie' && pathname?.startsWith('/v1/') && ['POST', 'PUT', 'PATCH', 'DELETE'].includes(req.method ?? '')) {
        answer = answerWrite(req, body);
      } else {
        answer = new HttpAnswer(404, '<!doctype html><h1>Not Found</h1>', { 'content-type': 'text/html; charset=utf-8' });
      }
      res.writeHead(answer.status, answer.headers);
      res.end(answer.body);
    })().catch((error: unknown) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`test server error: ${String(error)}`);
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const tokenUrl = `${url}${tokenPath}`;
  const apiUrl = `${url}/v1`;

  return {
    kind,
    url,
    tokenUrl,
    apiUrl,
    credentials,
    organizationUuid,
    requests,
    issued,
    apiCalls,
    writes,
    csrfHeader,
    tokenRequestCount: () => requests.length,
    get mode() {
      return mode;
    },
    setMode(next, nextOptions = {}) {
      mode = next;
      modeOptions = nextOptions;
    },
    setLifetime(seconds) {
      lifetimeSec = seconds;
    },
    setAnswerDelay(ms) {
      answerDelayMs = ms;
    },
    revokeAll() {
      revokedBefore = issued.length - 1;
    },
    profile(overrides = {}) {
      const provider = PROVIDER_OF[kind];
      const base: ProfileConfig = { id: `${kind}-test`, name: `${kind} test`, provider, apiUrl };
      if (kind === 'camunda-operate-cookie') Object.assign(base, { baseUrl: url, username: credentials.username });
      else Object.assign(base, { tokenUrl, clientId: credentials.clientId });
      if (options.audience) base.audience = options.audience;
      if (kind === 'acquia' && options.federated) base.scope = `organization:${organizationUuid}`;
      return { ...base, ...overrides };
    },
    secrets() {
      return kind === 'camunda-operate-cookie' ? { password: credentials.password } : { clientSecret: credentials.clientSecret };
    },
    nextRequest() {
      return new Promise((resolve) => waiters.push(resolve));
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
