// What the user at the running app's local socket may ask besides tokens: read and change profiles,
// client keys and the vault, so that while an app runs it is the one writer and the CLI never needs
// a passphrase the app already has (docs: README "The local socket"). Each verb is
// `POST /v1/admin/{verb}` with one JSON object, answered with JSON or a problem. Socket only: the
// TCP API's client keys hand out tokens and never administer, so a leaked or limited key cannot
// add a key, read which secrets exist or remove a profile.
import { z } from 'zod';
import { clientNameSchema, passphraseSchema, profileIdSchema, profileSecretsSchema, type ClientKeyInfo, type ErrorInfo, type ProfileConfig, type VaultBackend, type VaultInfo } from './contract.js';

export const ADMIN_PATH_PREFIX = '/v1/admin/';

export const adminVerbSchemas = {
  'profiles:list': z.strictObject({}),
  /** The profile and whether the vault holds each of its secrets (never their values). */
  'profiles:show': z.strictObject({ id: profileIdSchema }),
  /** Everything a new profile needs but its secrets, checked before anyone is asked for them. */
  'profiles:check': z.strictObject({ profile: z.unknown() }),
  /** Creates (never replaces) a profile; with `test`, first asks the provider for a token with it. */
  'profiles:add': z.strictObject({ profile: z.unknown(), secrets: profileSecretsSchema, test: z.boolean() }),
  'profiles:remove': z.strictObject({ id: profileIdSchema }),
  'clients:list': z.strictObject({}),
  'clients:add': z.strictObject({ name: clientNameSchema, profiles: z.array(profileIdSchema).nullable() }),
  /** Answers once the key works nowhere in this app: its streams and proxied requests are ended. */
  'clients:remove': z.strictObject({ name: clientNameSchema }),
  'vault:status': z.strictObject({}),
  /**
   * Whether this is the file vault's passphrase, checked against the file (never trusted because the
   * app is unlocked); `vault passphrase` asks it before the new one is typed twice for nothing.
   */
  'vault:check-passphrase': z.strictObject({ passphrase: passphraseSchema }),
  /** Re-encrypts the app's open file vault under `next`, atomically; the current one is checked again. */
  'vault:passphrase': z.strictObject({ current: passphraseSchema, next: passphraseSchema }),
} as const;

export type AdminVerb = keyof typeof adminVerbSchemas;
export type AdminInput<V extends AdminVerb> = z.infer<(typeof adminVerbSchemas)[V]>;

/** Whether the vault holds a secret field: `unavailable` when the vault cannot be read now (locked). */
export type SecretPresence = 'stored' | 'missing' | 'unavailable';

/** How `profiles:add` judged the credential: `unreachable` saves it anyway, with the reason as a warning. */
export type AddTest = 'passed' | 'skipped' | 'unreachable';

export interface CreatedProfile {
  profile: ProfileConfig;
  test: AddTest;
  /** Why the provider could not judge the credential (`unreachable`). */
  warning?: ErrorInfo;
}

export interface AdminOutputs {
  'profiles:list': ProfileConfig[];
  'profiles:show': { profile: ProfileConfig; secrets: Record<string, SecretPresence>; backend: VaultBackend };
  'profiles:check': ProfileConfig;
  'profiles:add': CreatedProfile & { backend: VaultBackend };
  'profiles:remove': { removed: true; id: string };
  'clients:list': ClientKeyInfo[];
  'clients:add': { key: string; client: ClientKeyInfo };
  'clients:remove': { removed: true; name: string };
  'vault:status': VaultInfo;
  'vault:check-passphrase': { checked: true };
  'vault:passphrase': VaultInfo;
}

export function isAdminVerb(value: string): value is AdminVerb {
  return Object.hasOwn(adminVerbSchemas, value);
}
