// The token relay (docs/http-api.md, "The token relay"): Tokentray as the token endpoint of OAuth 2.0
// clients people already run (the Camunda SDKs, zbctl, Postman, openid-client...). This module is the
// pure part: reading a client-credentials request (RFC 6749 sections 2.3 and 4.4, and the JSON body
// the Camunda clients send, seed 001), the answers in RFC 6749's own shapes (sections 5.1 and 5.2,
// not problem+json, because OAuth clients parse them), the RFC 8414 metadata, and the growing delay
// after wrong secrets. No I/O here: relay-handler.ts wires it to the loopback server.
import { clientNameSchema } from '../../../common/contract.js';
import { relayEndpoints } from '../../../common/relay.js';
import { doublingDelay } from '../engine/backoff.js';
import type { Token } from '../types.js';
import { secondsLeft } from '../wire.js';
import { BASE_HEADERS } from './problem.js';

/** A relay refusal in RFC 6749 section 5.2's terms, ready to send. */
export class OAuthError extends Error {
  override readonly name = 'OAuthError';
  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(description);
  }

  get json(): string {
    return JSON.stringify({ error: this.error, error_description: this.description });
  }
}

export type RelayAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'json';

/** The realm of the Basic challenge sent with an invalid_client answer (RFC 6749 section 5.2). */
export const BASIC_CHALLENGE = 'Basic realm="tokentray"';

/** RFC 8414 section 2 metadata for the relay of one profile, at the origin the client used. */
export function relayMetadata(origin: string, id: string): Record<string, unknown> {
  const { issuer, tokenUrl } = relayEndpoints(origin, id);
  return {
    issuer,
    token_endpoint: tokenUrl,
    grant_types_supported: ['client_credentials'],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    response_types_supported: [],
  };
}

/**
 * application/x-www-form-urlencoded decoding of one value (`+` is a space, then percent-decoding),
 * as RFC 6749 section 2.3.1 says the Basic user and password are encoded; null when malformed.
 */
function formDecode(value: string): string | null {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return null;
  }
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * `Authorization: Basic base64(urlencode(client_id):urlencode(secret))` (RFC 6749 section 2.3.1,
 * RFC 7617). Undefined when the header is another scheme; null when it is Basic but unreadable.
 */
export function readBasicCredentials(header: string): { clientId: string; secret: string } | null | undefined {
  const space = header.indexOf(' ');
  if (space < 0 || header.slice(0, space).toLowerCase() !== 'basic') return undefined;
  const encoded = header.slice(space + 1).trim();
  if (encoded === '' || encoded.length % 4 !== 0 || !BASE64.test(encoded)) return null;
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  const clientId = formDecode(decoded.slice(0, colon));
  const secret = formDecode(decoded.slice(colon + 1));
  return clientId === null || secret === null ? null : { clientId, secret };
}

/** Each parameter's values, in order. */
export type RelayParams = Map<string, string[]>;

/** Parameters whose value is a plain string; anything else in a JSON body is refused for these. */
const KNOWN_PARAMS = ['grant_type', 'client_id', 'client_secret', 'audience', 'scope'] as const;

/**
 * A form or JSON body as parameters. RFC 6749 specifies forms; the Camunda clients and Camunda's own
 * docs send `{"grant_type":…,"audience":…,"client_id":…,"client_secret":…}` as JSON (seed 001).
 * Parameters the relay does not read are ignored, whatever their type.
 */
export function parseRelayBody(contentType: string | undefined, body: Buffer): RelayParams {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  const params: RelayParams = new Map();
  if (type === 'application/x-www-form-urlencoded' || (type === '' && body.length === 0)) {
    for (const [name, value] of new URLSearchParams(body.toString('utf8'))) {
      const values = params.get(name);
      if (values === undefined) params.set(name, [value]);
      else values.push(value);
    }
    return params;
  }
  if (type === 'application/json' || type.endsWith('+json')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      throw new OAuthError(400, 'invalid_request', 'The request body is not valid JSON.');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new OAuthError(400, 'invalid_request', 'The JSON body must be an object of parameters.');
    }
    const record = parsed as Record<string, unknown>;
    for (const name of KNOWN_PARAMS) {
      const value = record[name];
      if (value === undefined || value === null) continue;
      if (typeof value !== 'string') throw new OAuthError(400, 'invalid_request', `The parameter ${name} must be a string.`);
      params.set(name, [value]);
    }
    // RFC 8707 allows several resources; JSON can say so with an array.
    const resource = record.resource;
    const resources = resource === undefined || resource === null ? [] : Array.isArray(resource) ? resource : [resource];
    if (resources.some((r) => typeof r !== 'string')) {
      throw new OAuthError(400, 'invalid_request', 'The parameter resource must be a string or a list of strings.');
    }
    if (resources.length > 0) params.set('resource', resources as string[]);
    return params;
  }
  throw new OAuthError(400, 'invalid_request', 'The request body must be application/x-www-form-urlencoded or application/json.');
}

/** One client-credentials request, as read and checked for form (not yet authenticated). */
export interface RelayRequest {
  clientId: string;
  secret: string;
  method: RelayAuthMethod;
  audience: string | undefined;
  resources: readonly string[];
}

function single(params: RelayParams, name: string): string | undefined {
  const values = params.get(name);
  if (values === undefined) return undefined;
  // RFC 6749 section 3.2: parameters must not be included more than once.
  if (values.length > 1) throw new OAuthError(400, 'invalid_request', `The parameter ${name} is sent more than once.`);
  return values[0];
}

/**
 * The request's client credentials and target. Throws OAuthError: invalid_request for a malformed
 * request, unsupported_grant_type for any grant but client_credentials, invalid_client (401) when no
 * usable client credentials came (with the Basic challenge when Basic was tried).
 */
export function readRelayRequest(authorization: string | undefined, params: RelayParams, json: boolean): RelayRequest {
  const grantType = single(params, 'grant_type');
  const bodyId = single(params, 'client_id');
  const bodySecret = single(params, 'client_secret');
  const audience = single(params, 'audience');
  single(params, 'scope');
  if (grantType === undefined || grantType === '') throw new OAuthError(400, 'invalid_request', 'The parameter grant_type is missing.');
  if (grantType !== 'client_credentials') {
    throw new OAuthError(400, 'unsupported_grant_type', 'Only grant_type=client_credentials is supported.');
  }
  let credentials: { clientId: string; secret: string; method: RelayAuthMethod };
  const basic = authorization === undefined ? undefined : readBasicCredentials(authorization);
  if (basic === null) {
    throw new OAuthError(401, 'invalid_client', 'The Authorization header is not readable Basic credentials.', { 'WWW-Authenticate': BASIC_CHALLENGE });
  }
  if (basic !== undefined) {
    // RFC 6749 section 2.3: one authentication method per request.
    if (bodySecret !== undefined) {
      throw new OAuthError(400, 'invalid_request', 'Send the client secret either in the Authorization header or in the body, not both.');
    }
    if (bodyId !== undefined && bodyId !== basic.clientId) {
      throw new OAuthError(400, 'invalid_request', 'The client_id in the body differs from the one in the Authorization header.');
    }
    credentials = { ...basic, method: 'client_secret_basic' };
  } else {
    if (authorization !== undefined) {
      throw new OAuthError(401, 'invalid_client', 'Authenticate with HTTP Basic (client_secret_basic) or client_id and client_secret in the body.');
    }
    if (bodyId === undefined || bodySecret === undefined || bodyId === '' || bodySecret === '') {
      throw new OAuthError(401, 'invalid_client', 'The request carries no client_id and client_secret.');
    }
    credentials = { clientId: bodyId, secret: bodySecret, method: json ? 'json' : 'client_secret_post' };
  }
  return { ...credentials, audience, resources: params.get('resource') ?? [] };
}

/** Null when the request may have this profile's token, else invalid_target naming its audience. */
export function checkTarget(request: RelayRequest, profileAudience: string | undefined): OAuthError | null {
  const wanted = profileAudience === undefined || profileAudience === '' ? undefined : profileAudience;
  const named = [...(request.audience === undefined || request.audience === '' ? [] : [request.audience]), ...request.resources];
  const other = named.find((target) => target !== wanted);
  if (other === undefined) return null;
  const description =
    wanted === undefined
      ? `This profile's tokens are requested without an audience, so they cannot be for "${other}". Leave audience and resource out.`
      : `This profile's tokens are for the audience "${wanted}", not "${other}". Ask for "${wanted}", or leave audience out.`;
  return new OAuthError(400, 'invalid_target', description);
}

/** The refusal's words live in common/relay.ts: the CLI and the dashboard's panel say the same. */
export { relayRefusal, relayRefusalFor } from '../../../common/relay.js';

/**
 * The audience the profile's tokens are requested for: the profile's, else its provider's default,
 * else an `audience` extra parameter. One rule, in common/relay.ts, for the relay's check and for what
 * the CLI and the dashboard tell clients to send.
 */
export { relayAudience as profileAudience } from '../../../common/relay.js';

/** RFC 6749 section 5.1: expires_in counts whole seconds from now (rounded down), scope when known. */
export function relayTokenJson(token: Token, now: number): string {
  const answer: Record<string, unknown> = { access_token: token.accessToken, token_type: 'Bearer' };
  const seconds = secondsLeft(token, now);
  if (seconds !== null) answer.expires_in = seconds;
  if (token.scope !== undefined && token.scope !== '') answer.scope = token.scope;
  return JSON.stringify(answer);
}

/** The headers of every relay answer, success or error (RFC 6749 sections 5.1 and 5.2). */
export const RELAY_HEADERS: Readonly<Record<string, string>> = {
  ...BASE_HEADERS,
  Pragma: 'no-cache',
  'Content-Type': 'application/json; charset=utf-8',
};

/** Whether a client_id could name a client key at all (keys are named by clientNameSchema). */
export function isClientName(clientId: string): boolean {
  return clientNameSchema.safeParse(clientId).success;
}

export interface FailureDelayOptions {
  /** The delay after the first wrong secret; it doubles with each further one. */
  baseMs: number;
  maxMs: number;
  /** Failures older than this are forgotten. */
  forgetMs: number;
  /** How many client ids are tracked at most (the oldest is dropped first). */
  capacity: number;
}

export const DEFAULT_FAILURE_DELAYS: FailureDelayOptions = { baseMs: 100, maxMs: 5000, forgetMs: 15 * 60_000, capacity: 1024 };

/**
 * Wrong secrets cost a growing delay per client_id: the refusal is answered only after
 * base·2^(n-1) ms, capped. Only refusals wait: a client name is not a secret, so delaying correct
 * secrets too would let anyone slow a client down by naming it. Memory is bounded by `capacity`; a
 * client_id that cannot be a key name shares one entry, so made-up ids cannot fill it either.
 */
export class FailureDelays {
  private readonly failures = new Map<string, { count: number; at: number }>();

  constructor(private readonly options: FailureDelayOptions = DEFAULT_FAILURE_DELAYS) {}

  /** Counts a wrong secret for this client and returns how long its refusal must wait. */
  fail(clientId: string, now: number): number {
    const key = isClientName(clientId) ? clientId : '';
    const previous = this.failures.get(key);
    const count = previous !== undefined && now - previous.at < this.options.forgetMs ? previous.count + 1 : 1;
    // Re-inserted, so the Map's order is the order of last failure and the first entry the stalest.
    this.failures.delete(key);
    if (this.failures.size >= this.options.capacity) {
      const stalest = this.failures.keys().next();
      if (stalest.done !== true) this.failures.delete(stalest.value);
    }
    this.failures.set(key, { count, at: now });
    return doublingDelay(count, this.options);
  }

  /** A correct secret clears the client's count. */
  succeed(clientId: string): void {
    if (this.failures.size > 0) this.failures.delete(clientId);
  }

  get size(): number {
    return this.failures.size;
  }
}
