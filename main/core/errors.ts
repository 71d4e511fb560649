// Errors are values with a kind, plain words for people and a hint (SPEC section 1). They never carry
// a secret or a token: messages are built from fixed text plus provider error codes, never from
// request bodies we sent.
import type { ErrorInfo } from '../../common/contract.js';

/** What a token endpoint answered (RFC 6749 section 5.2 and the seeds). */
const PROVIDER_ANSWER_KINDS = [
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

/** Why a token endpoint could not be reached. */
const TRANSPORT_KINDS = ['timeout', 'connection_refused', 'connection_reset', 'dns', 'tls', 'network'] as const;

const LOCAL_KINDS = [
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
  'app_unavailable',
  'internal',
] as const;

export const ERROR_KINDS = [...PROVIDER_ANSWER_KINDS, ...TRANSPORT_KINDS, ...LOCAL_KINDS] as const;
export type ErrorKind = (typeof ERROR_KINDS)[number];

/** Kinds that mean the credentials themselves were refused: retrying cannot help. */
const CREDENTIAL_KINDS: ReadonlySet<ErrorKind> = new Set([
  'invalid_client',
  'unauthorized_client',
  'invalid_grant',
  'invalid_scope',
  'access_denied',
  'additional_authentication_required',
  'invalid_request',
  'missing_secret',
]);

/**
 * Kinds that mean the provider answered with an error or could not be reached for a token: the CLI's
 * exit code 4 (SPEC section 5), whatever the underlying transport.
 */
const PROVIDER_KINDS: ReadonlySet<ErrorKind> = new Set<ErrorKind>([
  ...PROVIDER_ANSWER_KINDS,
  ...TRANSPORT_KINDS,
  // A demand that found no valid token because refreshing failed upstream.
  'no_valid_token',
]);

export function isProviderErrorKind(kind: ErrorKind): boolean {
  return PROVIDER_KINDS.has(kind);
}

const VAULT_KINDS: ReadonlySet<ErrorKind> = new Set<ErrorKind>(['vault_locked', 'vault_passphrase', 'vault_damaged', 'vault_busy']);

/** The vault (either backend) cannot be used now: the CLI's exit code 5, like a missing keychain. */
export function isVaultErrorKind(kind: ErrorKind): boolean {
  return kind === 'keychain_unavailable' || VAULT_KINDS.has(kind);
}

export interface TokentrayErrorOptions {
  hint?: string;
  /** HTTP status of the upstream answer, when there was one. */
  status?: number;
  /** From Retry-After on 429/503, in milliseconds. */
  retryAfterMs?: number;
  cause?: unknown;
}

export class TokentrayError extends Error {
  override readonly name = 'TokentrayError';
  readonly kind: ErrorKind;
  readonly hint: string | undefined;
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(kind: ErrorKind, message: string, options: TokentrayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.kind = kind;
    this.hint = options.hint;
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
  }

  /** Credential errors stop retrying until the profile changes or a person asks again (SPEC 2). */
  get isCredentialError(): boolean {
    return CREDENTIAL_KINDS.has(this.kind);
  }

  toInfo(at?: Date): ErrorInfo {
    const info: ErrorInfo = { kind: this.kind, message: this.message };
    if (this.hint !== undefined) info.hint = this.hint;
    if (this.status !== undefined) info.status = this.status;
    if (at !== undefined) info.at = at.toISOString();
    return info;
  }
}

export function isTokentrayError(value: unknown): value is TokentrayError {
  return value instanceof TokentrayError;
}

/** Wraps anything thrown into a TokentrayError without copying its message (it may hold a secret). */
export function toTokentrayError(value: unknown): TokentrayError {
  if (value instanceof TokentrayError) return value;
  return new TokentrayError('internal', 'An unexpected error occurred.', {
    hint: 'See the log for details.',
    cause: value,
  });
}
