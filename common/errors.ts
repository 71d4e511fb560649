// The one list of error kinds (docs/providers.md): main, the app client, the CLI and the renderer all
// speak it, and no surface invents its own. Plain data with no imports, so the preload and the
// renderer can take it without bundling anything else.

/** What a token endpoint answered (RFC 6749 section 5.2 and the seeds). */
export const PROVIDER_ANSWER_KINDS = [
  'invalid_client',
  'unauthorized_client',
  'invalid_grant',
  'invalid_scope',
  'invalid_request',
  'access_denied',
  'additional_authentication_required',
  'rate_limited',
  'server_error',
  'http_error',
  'bad_response',
] as const;

/** Why a token endpoint (or a proxied API) could not be reached. */
export const TRANSPORT_KINDS = ['timeout', 'connection_refused', 'connection_reset', 'dns', 'tls', 'network'] as const;

export const LOCAL_KINDS = [
  /** The request was aborted by its caller (shutdown, profile removed), not by a timeout. */
  'cancelled',
  'keychain_unavailable',
  /** The file vault waits for its passphrase (absent: not created yet; locked: not unlocked yet). */
  'vault_locked',
  /** The passphrase given does not open the file vault. */
  'vault_passphrase',
  /** The vault file is truncated, altered, of an unknown version or otherwise not readable. */
  'vault_damaged',
  /** Another process held the vault file's lock for too long. */
  'vault_busy',
  'config',
  'usage',
  'not_found',
  'missing_secret',
  'no_valid_token',
  'paused',
  /** The running Tokentray did not answer, or refused this program (the CLI's exit 5). */
  'app_unavailable',
  /** A shared-only profile found no valid token in the fleet's shared cache (SPEC section 8; exit 5, 503). */
  'shared_unavailable',
  'internal',
] as const;

/** What the loopback API refuses before any engine work (docs/http-api.md): 401 and 403. */
export const CALLER_KINDS = [
  /** No client key, or one that was not accepted. */
  'unauthorized',
  /** A key that may not do this, or a request from a source the API refuses (Host, Origin). */
  'forbidden',
  /** The dashboard's session is missing or has ended (Lock, logout, idle expiry). */
  'session',
] as const;

/** Only the dashboard page meets this one: the browser refused clipboard access. */
export const PAGE_KINDS = ['clipboard'] as const;

export const ERROR_KINDS = [...PROVIDER_ANSWER_KINDS, ...TRANSPORT_KINDS, ...LOCAL_KINDS, ...CALLER_KINDS, ...PAGE_KINDS] as const;
export type ErrorKind = (typeof ERROR_KINDS)[number];

const KNOWN: ReadonlySet<string> = new Set(ERROR_KINDS);

export function isErrorKind(value: unknown): value is ErrorKind {
  return typeof value === 'string' && KNOWN.has(value);
}

/** problem+json `type` of every loopback API error (docs/http-api.md). */
export const PROBLEM_TYPE_PREFIX = 'urn:tokentray:problem:';

export function problemType(kind: ErrorKind): string {
  return PROBLEM_TYPE_PREFIX + kind;
}

/** The kind a problem+json `type` names, or undefined for one that is not ours. */
export function kindOfProblemType(type: unknown): ErrorKind | undefined {
  if (typeof type !== 'string' || !type.startsWith(PROBLEM_TYPE_PREFIX)) return undefined;
  const kind = type.slice(PROBLEM_TYPE_PREFIX.length);
  return isErrorKind(kind) ? kind : undefined;
}

/** "There is no profile" said once, with one hint, by every surface that looks a profile up. */
export function noSuchProfileMessage(id: string): string {
  return `There is no profile "${id}".`;
}

/**
 * What the dashboard's Add and the CLI's `profile add` say when the id is taken: adding never
 * replaces a profile (its secret and cached token with it); only Edit does.
 */
export const PROFILE_EXISTS_MESSAGE = 'A profile with this id already exists';

export const NO_SUCH_PROFILE_HINT = 'See the profiles with `tokentray profile list` or GET /v1/profiles, or add it with `tokentray profile add`.';
