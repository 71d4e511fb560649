// Maps what a token endpoint (or the transport under it) did into a TokentrayError with plain words
// and a hint (docs/providers.md). Messages name the host at most: never a query string (the Operate
// login URL carries the password), a body we sent, a secret or a token. Causes are reduced to their
// error code for the same reason.
import { TokentrayError, type ErrorKind } from '../errors.js';

/** The host[:port] of a URL for messages, or a neutral phrase when the URL does not parse. */
export function hostOf(url: string): string {
  try {
    return new URL(url).host || 'the provider';
  } catch {
    return 'the provider';
  }
}

/** Retry-After in milliseconds: delta-seconds or an HTTP date (RFC 9110 section 10.2.3). */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** Who was refused: a client by its secret, a user by a password, or a client by its key. */
export type CredentialWording = 'client' | 'user' | 'key';

interface OAuthErrorText {
  kind: ErrorKind;
  message: (host: string, wording: CredentialWording) => string;
  hint: string;
}

const CREDENTIALS_REJECTED = (host: string, wording: CredentialWording): string =>
  wording === 'user'
    ? `The username or password was rejected by ${host}.`
    : wording === 'key'
      ? `The client id or key was rejected by ${host}.`
      : `The client id or secret was rejected by ${host}.`;

/**
 * A key is refused for reasons only the server knows (an unregistered key, a wrong kid or audience,
 * an unknown certificate), so its own words (RFC 6749 error_description: text it wrote for people,
 * and never a secret of ours) are passed on, cut short and stripped of control characters.
 */
function serverWords(body: string): string {
  try {
    const value = JSON.parse(body) as { error?: unknown; error_description?: unknown };
    const words = [value.error, value.error_description].filter((v): v is string => typeof v === 'string' && v !== '').join(': ');
    const clean = words.replace(/\p{Cc}+/gu, ' ').trim().slice(0, 300);
    return clean === '' ? '' : ` The server said: "${clean}".`;
  } catch {
    return '';
  }
}

const KEY_HINT = 'Check that the key (its JWKS or certificate) registered with the server for this client is the one in the profile, and the key id and algorithm (docs/client-auth.md).';

const OAUTH_ERRORS: Record<string, OAuthErrorText> = {
  invalid_client: {
    kind: 'invalid_client',
    message: CREDENTIALS_REJECTED,
    hint: 'Check the client id and secret in the profile; the secret may have been rotated or revoked.',
  },
  unauthorized_client: {
    kind: 'unauthorized_client',
    message: (host) => `The client is not allowed to use the client credentials grant at ${host}.`,
    hint: 'Enable the client credentials grant for this client (or service account) at the provider, and check the client id and secret.',
  },
  invalid_grant: {
    kind: 'invalid_grant',
    message: (host) => `The grant was rejected by ${host}.`,
    hint: 'Check the credentials and the grant settings of this client at the provider.',
  },
  invalid_scope: {
    kind: 'invalid_scope',
    message: (host) => `The requested scope was rejected by ${host}.`,
    hint: "Check the profile's scope (and audience) against what this client may request.",
  },
  invalid_request: {
    kind: 'invalid_request',
    message: (host) => `${host} rejected the token request as malformed.`,
    hint: 'Check the token URL, audience, scope, extra parameters and client authentication method.',
  },
  unsupported_grant_type: {
    kind: 'unauthorized_client',
    message: (host) => `${host} does not accept the client credentials grant.`,
    hint: 'Check the token URL and that client credentials are enabled for this client.',
  },
  access_denied: {
    kind: 'access_denied',
    message: (host) => `Access was denied by ${host}.`,
    hint: "Check the client id and secret, the client's permissions and the audience.",
  },
  // seed 002: Federated Authentication organizations need scope=organization:<uuid>.
  additional_authentication_required: {
    kind: 'additional_authentication_required',
    message: (host) => `${host} requires additional authentication for this organization.`,
    hint: "Add scope organization:<uuid> to the profile, with your organization's UUID (Federated Authentication).",
  },
};

const RATE_LIMIT_CODES = new Set(['too_many_requests', 'rate_limited', 'slow_down']);
const SERVER_ERROR_CODES = new Set(['server_error', 'temporarily_unavailable']);

export interface ResponseErrorOptions {
  /** 'user' for the Operate login (username/password), else 'client'. */
  wording?: CredentialWording;
  /** For Retry-After given as an HTTP date. */
  now: number;
}

/** The OAuth error code of a body, if it is JSON with a string `error` (RFC 6749 section 5.2). */
export function oauthErrorCode(body: string): string | undefined {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  const record = value as Record<string, unknown>;
  const code = typeof record.error === 'string' ? record.error : undefined;
  // Acquia may word it only in the message (seed 002).
  const text = [record.error_description, record.message].filter((v) => typeof v === 'string').join(' ');
  if (code !== 'additional_authentication_required' && /requires additional authentication/i.test(text)) {
    return 'additional_authentication_required';
  }
  return code;
}

/**
 * An error answer from a profile's API (through the proxy) that only a different token request can
 * cure, in the same words as the token endpoint's: Acquia's Federated Authentication organizations
 * refuse API calls with `additional_authentication_required` or "This resource requires additional
 * authentication." when the token lacks scope organization:<uuid> (seed 002). Else undefined.
 */
export function errorFromApiAnswer(status: number, body: string, host: string): TokentrayError | undefined {
  if (status < 400) return undefined;
  const named = oauthErrorCode(body) === 'additional_authentication_required' || /requires additional authentication/i.test(body);
  const known = OAUTH_ERRORS.additional_authentication_required;
  if (!named || known === undefined) return undefined;
  return new TokentrayError(known.kind, known.message(host, 'client'), { status, hint: known.hint });
}

/** An error answer (or a 2xx answer carrying an OAuth `error`) as a TokentrayError. */
export function errorFromResponse(
  status: number,
  headers: Headers,
  body: string,
  host: string,
  options: ResponseErrorOptions,
): TokentrayError {
  const wording = options.wording ?? 'client';
  const retryAfterMs = parseRetryAfter(headers.get('retry-after'), options.now);
  const withStatus = (extra: { hint: string; retryAfterMs?: number }) => ({
    ...extra,
    ...(status >= 400 ? { status } : {}),
  });
  const code = oauthErrorCode(body);

  if (status === 429 || (code !== undefined && RATE_LIMIT_CODES.has(code))) {
    return new TokentrayError('rate_limited', `${host} is rate limiting token requests.`, {
      ...withStatus({
        hint:
          retryAfterMs === undefined
            ? 'Wait a while before asking again; Tokentray backs off and caches tokens so it asks rarely.'
            : `Wait about ${Math.ceil(retryAfterMs / 1000)} s before asking again; Tokentray backs off on its own.`,
      }),
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    });
  }
  if (status >= 500 || (code !== undefined && SERVER_ERROR_CODES.has(code))) {
    return new TokentrayError('server_error', `${host} had a server error${status >= 500 ? ` (HTTP ${status})` : ''}.`, {
      ...withStatus({ hint: 'This is usually temporary at the provider; Tokentray retries with backoff.' }),
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    });
  }
  // The Operate login answers 401/403 without a body when the username or password is wrong (seed 003).
  if (wording === 'user' && (status === 401 || status === 403)) {
    return new TokentrayError('invalid_client', CREDENTIALS_REJECTED(host, wording), {
      status,
      hint: 'Check the username and password in the profile.',
    });
  }
  const known = code === undefined ? undefined : OAUTH_ERRORS[code];
  if (known && wording === 'key' && (known.kind === 'invalid_client' || known.kind === 'unauthorized_client' || known.kind === 'invalid_request')) {
    return new TokentrayError(known.kind, known.message(host, wording) + serverWords(body), withStatus({ hint: KEY_HINT }));
  }
  if (known) {
    return new TokentrayError(known.kind, known.message(host, wording), withStatus({ hint: known.hint }));
  }
  // Without an OAuth error code, 400 and 401 from a token endpoint still mean the request or the
  // credentials were refused (docs/refreshing.md): retrying cannot help.
  if (status === 401) {
    return new TokentrayError('invalid_client', CREDENTIALS_REJECTED(host, wording), {
      status,
      hint: OAUTH_ERRORS.invalid_client?.hint ?? '',
    });
  }
  if (status === 400) {
    return new TokentrayError('invalid_request', `${host} answered 400 Bad Request to the token request.`, {
      status,
      hint: 'Check the token URL, audience, scope, extra parameters and client authentication method.',
    });
  }
  if (status >= 300 && status < 400) {
    return new TokentrayError('http_error', `${host} redirected the request elsewhere (HTTP ${status}).`, {
      status,
      hint: 'Use the final URL (for example https:// instead of http://); secrets are never sent to a redirect.',
    });
  }
  if (status === 404 || status === 405) {
    return new TokentrayError('http_error', `${host} has no token endpoint at this address (HTTP ${status}).`, {
      status,
      hint: 'Check the token URL.',
    });
  }
  if (status >= 400) {
    return new TokentrayError('http_error', `${host} answered HTTP ${status}.`, {
      status,
      hint: 'Check the token URL and the profile settings.',
    });
  }
  return new TokentrayError('bad_response', `${host} answered with an error${code ? ` (${safeCode(code)})` : ''}.`, {
    hint: 'Check the token URL and the profile settings.',
  });
}

/** Provider error codes are short ASCII words; anything else is not echoed. */
function safeCode(code: string): string {
  return /^[a-z0-9_.-]{1,64}$/i.test(code) ? code : 'unknown';
}

const RESET_CODES = new Set(['ECONNRESET', 'UND_ERR_SOCKET', 'EPIPE', 'ECONNABORTED', 'UND_ERR_CLOSED']);
const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_FAIL', 'EAI_NODATA']);
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);
const TLS_CODE = /CERT|SSL|TLS|EPROTO|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/;

/** The error codes along a cause chain (fetch wraps the socket error in TypeError('fetch failed')). */
function codesOf(error: unknown): string[] {
  const codes: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 6 && current !== null && typeof current === 'object'; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
    const errors = (current as { errors?: unknown }).errors; // AggregateError from happy eyeballs
    if (Array.isArray(errors)) codes.push(...errors.flatMap((e) => codesOf(e)));
    current = (current as { cause?: unknown }).cause;
  }
  return codes;
}

export interface TransportErrorContext {
  /** The request's own timeout fired. */
  timedOut: boolean;
  /** The caller aborted (shutdown, profile removed). */
  cancelled: boolean;
  timeoutMs: number;
}

/** A thrown fetch / body-read failure as a TokentrayError. The original message is never copied. */
export function errorFromTransport(error: unknown, host: string, context: TransportErrorContext): TokentrayError {
  if (error instanceof TokentrayError) return error;
  const codes = codesOf(error);
  const cause = { codes }; // codes only: undici messages can include the request URL
  if (context.timedOut || codes.some((c) => TIMEOUT_CODES.has(c))) {
    return new TokentrayError('timeout', `${host} did not answer within ${formatSeconds(context.timeoutMs)}.`, {
      hint: 'Check the network and the URL; a slow provider may need a longer timeout in the profile.',
      cause,
    });
  }
  if (context.cancelled) {
    return new TokentrayError('cancelled', `The request to ${host} was cancelled.`, {
      hint: 'Nothing to do: it was stopped on purpose (shutdown or profile change).',
      cause,
    });
  }
  if (codes.includes('ECONNREFUSED')) {
    return new TokentrayError('connection_refused', `${host} refused the connection.`, {
      hint: 'Check the URL and port, and that the server is running.',
      cause,
    });
  }
  if (codes.some((c) => DNS_CODES.has(c))) {
    return new TokentrayError('dns', `The name ${hostnameOf(host)} could not be resolved.`, {
      hint: 'Check the spelling of the URL and the network or DNS settings.',
      cause,
    });
  }
  if (codes.some((c) => TLS_CODE.test(c))) {
    return new TokentrayError('tls', `The secure connection to ${host} failed (certificate or TLS problem).`, {
      hint: "Check that the URL is right and the server's certificate is valid and trusted on this computer.",
      cause,
    });
  }
  if (codes.some((c) => RESET_CODES.has(c))) {
    return new TokentrayError('connection_reset', `The connection to ${host} was closed before an answer arrived.`, {
      hint: 'This is usually temporary; Tokentray retries with backoff. If it persists, check proxies and firewalls.',
      cause,
    });
  }
  return new TokentrayError('network', `The request to ${host} failed.`, {
    hint: 'Check the network connection and the URL.',
    cause,
  });
}

function hostnameOf(host: string): string {
  return host.replace(/:\d+$/, '');
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}
