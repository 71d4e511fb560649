// The one way providers talk HTTP: a timeout per profile combined with the caller's signal, no
// redirects (a secret must never follow a redirect to another host), and every failure mapped to a
// TokentrayError that names the host at most.
import type { ProfileSecrets } from '../../../common/contract.js';
import { authMethodOf, isKeyAuthMethod } from '../../../common/providers.js';
import { TokentrayError } from '../errors.js';
import { CLIENT_ASSERTION_TYPE, clientAssertion, privateKeyOf, signingAlgFor } from './client-auth.js';
import { errorFromResponse, errorFromTransport, hostOf } from './http-errors.js';
import { bearerToken, parseTokenAnswer } from './token-answer-parser.js';
import type { ProviderContext, ResolvedProfile, Token } from '../types.js';

export interface HttpExchange {
  status: number;
  headers: Headers;
  body: string;
}

export interface OutgoingRequest {
  url: string;
  method?: 'POST' | 'GET';
  headers: Record<string, string>;
  body?: string;
  /** Where messages say the request went (defaults to the url's host). */
  host?: string;
}

const DEFAULT_TIMEOUT_MS = 10_000;

/** Sends one request and reads the whole answer, within the profile's timeout. */
export async function send(profile: ResolvedProfile, context: ProviderContext, request: OutgoingRequest): Promise<HttpExchange> {
  const host = request.host ?? hostOf(request.url);
  const timeoutMs = profile.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  // The timeout and the caller's signal end with the request. (AbortSignal.timeout keeps its timer,
  // and AbortSignal.any its combined signal, alive for the whole timeout after the answer came: at a
  // thousand profiles that was most of the engine bench's heap.)
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new DOMException('The token request timed out.', 'TimeoutError'));
  }, timeoutMs);
  const caller = context.signal;
  const cancel = (): void => controller.abort(caller?.reason);
  if (caller?.aborted === true) cancel();
  else caller?.addEventListener('abort', cancel, { once: true });
  const signal = controller.signal;
  try {
    const response = await context.fetch(request.url, {
      method: request.method ?? 'POST',
      headers: request.headers,
      ...(request.body === undefined ? {} : { body: request.body }),
      redirect: 'manual',
      signal,
      // The profile's client certificate and CA bundle, for the token URL as for the API.
      ...(context.tls === undefined ? {} : { tls: context.tls }),
    });
    // Reading the body is inside the same timeout and error mapping: a reset can come mid-body.
    const body = await response.text();
    return { status: response.status, headers: response.headers, body };
  } catch (error) {
    throw errorFromTransport(error, host, {
      timedOut,
      cancelled: caller?.aborted ?? false,
      timeoutMs,
    });
  } finally {
    clearTimeout(timer);
    caller?.removeEventListener('abort', cancel);
  }
}

const NOT_A_TOKEN_HINT = 'Check the token URL: it should point at the OAuth token endpoint.';

/**
 * Turns a token endpoint's answer into a Bearer token, or throws the matching TokentrayError. Its
 * lifetime counts from `sentAt`, when the request left: the server's clock started no earlier, so a
 * slow answer never makes the token look valid longer than it is.
 */
export function tokenFromExchange(exchange: HttpExchange, profile: ResolvedProfile, host: string, now: number, sentAt: number = now): Token {
  const { status, headers, body } = exchange;
  const wording = isKeyAuthMethod(authMethodOf(profile)) ? 'key' : 'client';
  if (status < 200 || status >= 300) throw errorFromResponse(status, headers, body, host, { now, wording });
  const contentType = headers.get('content-type') ?? '';
  if (/html/i.test(contentType) || /^\s*</.test(body)) {
    throw new TokentrayError('bad_response', `${host} answered with an HTML page instead of a token.`, {
      hint: NOT_A_TOKEN_HINT,
    });
  }
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    throw new TokentrayError('bad_response', `${host} answered with something that is not JSON.`, { hint: NOT_A_TOKEN_HINT });
  }
  if (value !== null && typeof value === 'object' && typeof (value as { error?: unknown }).error === 'string') {
    throw errorFromResponse(status, headers, body, host, { now, wording });
  }
  return bearerToken(parseTokenAnswer(value, host), profile, sentAt);
}

/** POSTs a token request and returns the Bearer token. */
export async function requestToken(
  profile: ResolvedProfile,
  context: ProviderContext,
  request: OutgoingRequest,
): Promise<Token> {
  const host = request.host ?? hostOf(request.url);
  const sentAt = context.clock.now();
  const exchange = await send(profile, context, {
    ...request,
    host,
    headers: { Accept: 'application/json', ...request.headers },
  });
  return tokenFromExchange(exchange, profile, host, context.clock.now(), sentAt);
}

export const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded';
export const JSON_CONTENT_TYPE = 'application/json';

/**
 * The plain client-credentials form (Redpanda, seed 000; Operate Identity, seed 003): grant_type,
 * client_id, client_secret in the seeds' order, then whichever optional fields the profile sets. Built
 * with URLSearchParams so every value is encoded.
 */
export async function requestTokenWithForm(
  profile: ResolvedProfile,
  secrets: ProfileSecrets,
  context: ProviderContext,
  optional: readonly ('audience' | 'scope')[],
): Promise<Token> {
  const keyed = await keyClientAuth(profile, secrets, context);
  const body = new URLSearchParams(
    keyed ?? [
      ['grant_type', 'client_credentials'],
      ['client_id', clientIdOf(profile)],
      ['client_secret', secretOf(secrets, 'clientSecret')],
    ],
  );
  for (const field of optional) {
    const value = profile[field];
    if (value) body.set(field, value);
  }
  return requestToken(profile, context, {
    url: tokenUrlOf(profile),
    headers: { 'Content-Type': FORM_CONTENT_TYPE },
    body: body.toString(),
  });
}

/**
 * The form parameters of client authentication with a key (docs/client-auth.md), after
 * grant_type; null for a profile that authenticates with its secret. private_key_jwt signs a fresh
 * assertion for every request (RFC 7523 section 2.2); the TLS methods send only the client id (RFC
 * 8705 section 2), the certificate goes on the connection (context.tls).
 */
export async function keyClientAuth(profile: ResolvedProfile, secrets: ProfileSecrets, context: ProviderContext): Promise<[string, string][] | null> {
  const method = authMethodOf(profile);
  if (!isKeyAuthMethod(method)) return null;
  const clientId = clientIdOf(profile);
  const params: [string, string][] = [
    ['grant_type', 'client_credentials'],
    ['client_id', clientId],
  ];
  if (method === 'private_key_jwt') {
    const key = privateKeyOf(secrets);
    const assertion = await clientAssertion({
      clientId,
      audience: profile.assertionAudience || tokenUrlOf(profile),
      key,
      alg: signingAlgFor(key, profile.signingAlg),
      keyId: profile.keyId || undefined,
      now: context.clock.now(),
    });
    params.push(['client_assertion_type', CLIENT_ASSERTION_TYPE], ['client_assertion', assertion]);
  } else if (context.tls?.cert === undefined) {
    throw new TokentrayError('config', `${method} needs the profile's client certificate and key, and none is set.`, {
      hint: 'Add the certificate (--client-cert FILE) and its key (--private-key-stdin) to the profile.',
    });
  }
  return params;
}

/** The profile's token URL, checked to be http(s). */
export function tokenUrlOf(profile: ResolvedProfile): string {
  return httpUrlOf(profile.tokenUrl, 'token URL');
}

export function httpUrlOf(value: string | undefined, label: string): string {
  if (!value) {
    throw new TokentrayError('config', `This profile has no ${label}.`, { hint: `Set the ${label} in the profile.` });
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new TokentrayError('config', `The ${label} of this profile is not a valid URL.`, {
      hint: `Set the ${label} to an http:// or https:// address.`,
    });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TokentrayError('config', `The ${label} of this profile is not an http:// or https:// URL.`, {
      hint: `Set the ${label} to an http:// or https:// address.`,
    });
  }
  return value;
}

export function clientIdOf(profile: ResolvedProfile, label = 'client id'): string {
  if (!profile.clientId) {
    throw new TokentrayError('config', `This profile has no ${label}.`, { hint: `Set the ${label} in the profile.` });
  }
  return profile.clientId;
}

export function secretOf(secrets: ProfileSecrets, field: 'clientSecret' | 'password'): string {
  const value = secrets[field];
  if (!value) {
    const label = field === 'password' ? 'password' : 'client secret';
    throw new TokentrayError('missing_secret', `No ${label} is stored for this profile.`, {
      hint: `Enter the ${label} again (dashboard, or tokentray profile add … --secret-stdin).`,
    });
  }
  return value;
}

/**
 * application/x-www-form-urlencoded encoding of one value, as RFC 6749 section 2.3.1 requires for
 * the client id and secret before they go into HTTP Basic.
 */
export function formEncode(value: string): string {
  return new URLSearchParams([['', value]]).toString().slice(1);
}

/** HTTP Basic client authentication per RFC 6749 section 2.3.1. */
export function basicClientAuth(clientId: string, clientSecret: string): string {
  return `Basic ${Buffer.from(`${formEncode(clientId)}:${formEncode(clientSecret)}`, 'utf8').toString('base64')}`;
}

