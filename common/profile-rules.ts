// "A secret never follows a changed destination": a stored secret was given for one
// address, one client and one way of sending it. An edit that changes any of those without the
// secret being given again would post the stored secret (or, for the API base URL, the token the
// proxy attaches) to a place its owner never chose, so it is refused, naming the field. One pure
// function, used wherever a profile is saved or tested (engine, dashboard form), so every door (RPC,
// IPC, CLI, the engine itself) applies the same rule.
import type { ProfileConfig, ProfileSecrets } from './contract.js';
import { COMMON_DEFAULTS, PROVIDERS, secretFieldsFor, type ProviderId } from './providers.js';
import type { FieldError } from './validation.js';

/**
 * What decides where and how a secret (or the token bought with it) is sent. Name, scope, audience,
 * lifetimes, timeout, extra parameters and pause change nothing about that. A signed assertion's
 * audience says which server may accept it, and the CA bundle which server is believed to be the
 * token URL's, so both are destinations too.
 */
export const DESTINATION_FIELDS = ['provider', 'tokenUrl', 'baseUrl', 'apiUrl', 'authMethod', 'clientId', 'username', 'assertionAudience', 'caFile'] as const;
export type DestinationField = (typeof DESTINATION_FIELDS)[number];

const FALLBACK_LABELS: Record<DestinationField, string> = {
  provider: 'Provider',
  tokenUrl: 'Token URL',
  baseUrl: 'Operate base URL',
  apiUrl: 'API base URL',
  authMethod: 'Client authentication',
  clientId: 'Client ID',
  username: 'Username',
  assertionAudience: 'Assertion audience',
  caFile: 'CA bundle file',
};

export const SECRET_AGAIN = 'enter the secret again to send it to the new address';

/**
 * The value the engine would use: the provider's seed default when the field is blank, URLs in
 * their parsed form, so writing the default out, or `HTTPS://Host/` for `https://host`, is not a change.
 */
function resolvedValue(profile: ProfileConfig, field: DestinationField): string | undefined {
  if (field === 'provider') return profile.provider;
  const own = (profile as Record<string, unknown>)[field];
  const defaults = PROVIDERS[profile.provider].defaults as Record<string, unknown>;
  const raw = own === undefined || own === '' ? (defaults[field] ?? (COMMON_DEFAULTS as Record<string, unknown>)[field]) : own;
  if (typeof raw !== 'string' || raw.trim() === '') return undefined;
  const value = raw.trim();
  if (field === 'tokenUrl' || field === 'baseUrl' || field === 'apiUrl') {
    try {
      // Trailing slashes are one address to every provider here (they strip or join them).
      return new URL(value).href.replace(/\/+$/, '');
    } catch {
      return value;
    }
  }
  return value;
}

function labelOf(provider: ProviderId, field: DestinationField): string {
  return PROVIDERS[provider].fields.find((f) => f.field === field)?.label ?? FALLBACK_LABELS[field];
}

/** The destination fields whose resolved value differs between the stored profile and the edit. */
export function changedDestinations(existing: ProfileConfig, next: ProfileConfig): DestinationField[] {
  return DESTINATION_FIELDS.filter((field) => resolvedValue(existing, field) !== resolvedValue(next, field));
}

/**
 * Empty when the edit may keep the stored secrets; else one error per changed destination field.
 * A new profile (no `existing`) is not this rule's business: it needs its secrets anyway. Giving
 * every secret the (new) provider has again allows any change.
 */
export function secretFollowErrors(existing: ProfileConfig | undefined, next: ProfileConfig, secrets: ProfileSecrets): FieldError[] {
  if (existing === undefined) return [];
  const fields = secretFieldsFor(next);
  if (fields.every((field) => typeof secrets[field] === 'string' && secrets[field] !== '')) return [];
  return changedDestinations(existing, next).map((field) => ({
    field,
    message: `${labelOf(next.provider, field)} changed: ${SECRET_AGAIN}`,
  }));
}
