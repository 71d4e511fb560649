// Errors are values with a kind, plain words for people and a hint (docs/providers.md). They never carry
// a secret or a token: messages are built from fixed text plus provider error codes, never from
// request bodies we sent.
import type { ErrorInfo } from '../../common/contract.js';
import {
  NO_SUCH_PROFILE_HINT,
  PROVIDER_ANSWER_KINDS,
  TRANSPORT_KINDS,
  noSuchProfileMessage,
  type ErrorKind,
} from '../../common/errors.js';

export { ERROR_KINDS, isErrorKind, type ErrorKind } from '../../common/errors.js';

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
 * exit code 4 (docs/cli.md), whatever the underlying transport.
 */
const PROVIDER_KINDS: ReadonlySet<ErrorKind> = new Set<ErrorKind>([
  ...PROVIDER_ANSWER_KINDS,
  ...TRANSPORT_KINDS,
  // A demand that found no valid token because refreshing failed upstream.
  'no_valid_token',
]);

/** Credential errors stop retrying until the profile changes or a person asks again (docs/refreshing.md). */
export function isCredentialErrorKind(kind: ErrorKind): boolean {
  return CREDENTIAL_KINDS.has(kind);
}

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
  /** The form field the error is about, for a form to show it beside that field. */
  field?: string;
  cause?: unknown;
}

export class TokentrayError extends Error {
  override readonly name = 'TokentrayError';
  readonly kind: ErrorKind;
  readonly hint: string | undefined;
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;
  readonly field: string | undefined;

  constructor(kind: ErrorKind, message: string, options: TokentrayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.kind = kind;
    this.hint = options.hint;
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
    this.field = options.field;
  }

  /** Credential errors stop retrying until the profile changes or a person asks again (docs/refreshing.md). */
  get isCredentialError(): boolean {
    return isCredentialErrorKind(this.kind);
  }

  toInfo(at?: Date): ErrorInfo {
    const info: ErrorInfo = { kind: this.kind, message: this.message };
    if (this.hint !== undefined) info.hint = this.hint;
    if (this.status !== undefined) info.status = this.status;
    if (at !== undefined) info.at = at.toISOString();
    if (this.field !== undefined) info.field = this.field;
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

/** The one "no such profile" error, for every surface that looks a profile up. */
export function noSuchProfile(id: string): TokentrayError {
  return new TokentrayError('not_found', noSuchProfileMessage(id), { hint: NO_SUCH_PROFILE_HINT });
}
