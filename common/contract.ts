// The one contract between the engine and its clients (IPC in the app, HTTP+SSE in headless mode,
// the CLI): types and the zod schemas that validate payloads. Imports nothing from main/ or renderer/.
import { z } from 'zod';
import type { ErrorKind } from './errors.js';
import { AUTH_METHODS, PROVIDER_IDS, SIGNING_ALGS, type ProviderId } from './providers.js';

export const PROFILE_ID_PATTERN = /^[a-z0-9-]{1,64}$/;

const httpUrl = z
  .string()
  .trim()
  .refine((value) => {
    try {
      const url = new URL(value);
      return url.protocol === 'http:' || url.protocol === 'https:';
    } catch {
      return false;
    }
  }, 'must be an http:// or https:// URL');

/** A profile as stored in the JSON store: everything except secrets. */
export const profileConfigSchema = z.strictObject({
  id: z.string().regex(PROFILE_ID_PATTERN, 'must be 1-64 characters of a-z, 0-9 and -'),
  name: z.string().trim().min(1, 'must not be empty').max(200),
  provider: z.enum(PROVIDER_IDS),
  clientId: z.string().min(1).max(1000).optional(),
  username: z.string().min(1).max(1000).optional(),
  tokenUrl: httpUrl.optional(),
  apiUrl: httpUrl.optional(),
  baseUrl: httpUrl.optional(),
  audience: z.string().max(2000).optional(),
  scope: z.string().max(2000).optional(),
  authMethod: z.enum(AUTH_METHODS).optional(),
  extraParams: z.record(z.string().min(1).max(200), z.string().max(2000)).optional(),
  defaultLifetimeSec: z.number().int().min(1).max(31_536_000).optional(),
  sessionLifetimeSec: z.number().int().min(1).max(31_536_000).optional(),
  timeoutMs: z.number().int().min(100).max(120_000).optional(),
  /** Client authentication with keys (docs/client-auth.md): the assertion's `kid` header. */
  keyId: z.string().trim().min(1).max(200).optional(),
  signingAlg: z.enum(SIGNING_ALGS).optional(),
  /** The assertion's `aud`; the token URL when absent. */
  assertionAudience: z.string().trim().min(1).max(2000).optional(),
  /** The client certificate, PEM: public, so it lives here; its private key is a secret. */
  clientCert: z.string().max(65_536).refine((value) => value.includes('-----BEGIN CERTIFICATE-----'), 'must be a PEM certificate (-----BEGIN CERTIFICATE-----)').optional(),
  /** A CA bundle (PEM file) to trust for the token URL and the API, read when used. */
  caFile: z.string().min(1).max(4096).refine((value) => value.startsWith('/') || /^[A-Za-z]:[\\/]/.test(value), 'must be an absolute path').optional(),
  paused: z.boolean().optional(),
  /** No secret on this machine: the profile only reads the fleet's shared cache (SPEC section 8). */
  sharedOnly: z.boolean().optional(),
  createdAt: z.string().optional(),
  updatedAt: z.string().optional(),
});
export type ProfileConfig = z.infer<typeof profileConfigSchema>;

/** Secrets that come with a create/edit/test request; they go to the keychain and nowhere else. */
export const profileSecretsSchema = z.strictObject({
  clientSecret: z.string().min(1).max(10_000).optional(),
  password: z.string().min(1).max(10_000).optional(),
  /** PEM (PKCS#8, PKCS#1, SEC1) or a private JWK; an RSA 4096 key in PEM is about 3.3 kB. */
  privateKey: z.string().min(1).max(65_536).optional(),
});
export type ProfileSecrets = z.infer<typeof profileSecretsSchema>;

/** Where secrets are kept (docs/storage.md): the OS keychain or the encrypted file. */
export const VAULT_BACKENDS = ['keychain', 'file'] as const;
export type VaultBackend = (typeof VAULT_BACKENDS)[number];
/** The setting, `--vault` and TOKENTRAY_VAULT: a backend, or `auto` (keychain when one answers, else file). */
export const VAULT_CHOICES = ['keychain', 'file', 'auto'] as const;
export type VaultChoice = (typeof VAULT_CHOICES)[number];

export const settingsSchema = z.strictObject({
  port: z.number().int().min(1024).max(65_535),
  /** Notify when a token will expire within this many seconds and refreshing fails. */
  leadTimeSec: z.number().int().min(10).max(86_400),
  /** Clear a copied token from the clipboard after this many seconds (0: never). */
  clipboardClearSec: z.number().int().min(0).max(3600),
  startAtLogin: z.boolean(),
  notifications: z.boolean(),
  /** Which vault holds the secrets (docs/storage.md); absent means `auto`. Read at start. */
  vault: z.enum(VAULT_CHOICES).optional(),
  /**
   * The fleet's shared cache, `redis://host:port[/db]` or `rediss://…` (SPEC section 8); read at
   * start and set by the dashboard's fleet panel. Never with a password: that stays in
   * TOKENTRAY_SHARED_CACHE or the vault (docs/shared-cache.md).
   */
  sharedCache: z
    .string()
    .max(2000)
    .refine((value) => !/^rediss?:\/\/[^/@]*:[^/@]*@/i.test(value.trim()), 'must not hold a password (join the fleet in the dashboard, which keeps it in the vault, or set TOKENTRAY_SHARED_CACHE)')
    .optional(),
});
export type Settings = z.infer<typeof settingsSchema>;

export const DEFAULT_SETTINGS: Settings = {
  port: 47210,
  leadTimeSec: 300,
  clipboardClearSec: 60,
  startAtLogin: false,
  notifications: true,
};

export const PROFILE_STATES = ['fresh', 'expiring', 'expired', 'refreshing', 'error', 'paused'] as const;
export type ProfileState = (typeof PROFILE_STATES)[number];

/** An error as people see it: a kind, plain words and a hint. Never carries a secret. */
export interface ErrorInfo {
  /** One of the one list in common/errors.ts. */
  kind: ErrorKind;
  message: string;
  hint?: string;
  status?: number;
  at?: string;
  /** The form field the error is about (e.g. `id` for a taken profile id), so a form can show it there. */
  field?: string;
}

/** GET /v1/profiles entries and the dashboard rows. No secrets, no tokens. Times are ISO 8601. */
export interface ProfileStatus {
  id: string;
  name: string;
  provider: ProviderId;
  state: ProfileState;
  expiresAt: string | null;
  /**
   * The last moment the engine hands this token out (a safety margin before expiresAt); null with no
   * token or one that never expires. Every surface judges "expired" by this one time.
   */
  validUntil: string | null;
  obtainedAt: string | null;
  lastRefreshAt: string | null;
  nextRefreshAt: string | null;
  lastError: ErrorInfo | null;
  requestsLastHour: number;
  requestsLastDay: number;
  /** No secret here: the profile only reads the fleet's shared cache (SPEC section 8). */
  sharedOnly?: boolean;
  /**
   * With a shared cache: the upstream requests the whole fleet made for this credential, as last
   * read from Redis; requestsLastHour and requestsLastDay then count the fleet's too.
   */
  fleet?: { requestsLastHour: number; requestsLastDay: number };
  /** The profile's token files (SPEC section 7), when it has any; added by the app that keeps them. */
  sinks?: SinkStatus[];
}

/**
 * Token files (SPEC section 7; docs/sinks.md): what `tokentray sink add` keeps in config.json. The
 * template is stored as text, read once from --template FILE, so what was checked is what is rendered.
 */
export const SINK_FORMATS = ['raw', 'env', 'json', 'header', 'netrc', 'template'] as const;
export type SinkFormat = (typeof SINK_FORMATS)[number];

/** A file mode as stored: four octal digits (`0600`), normalised by `sink add` (see main/core/sinks/sink-input.ts). */
export const SINK_MODE_PATTERN = /^0[0-7]{3}$/;

export const sinkConfigSchema = z.strictObject({
  profileId: z.string().regex(PROFILE_ID_PATTERN, 'must be a profile id'),
  path: z
    .string()
    .min(2)
    .max(4096)
    .refine((value) => value.startsWith('/') || /^[A-Za-z]:[\\/]/.test(value), 'must be an absolute path'),
  format: z.enum(SINK_FORMATS),
  template: z.string().min(1).max(65_536).optional(),
  mode: z.string().regex(SINK_MODE_PATTERN, 'must be four octal digits such as 0600'),
  /** An argument list run without a shell after the profile's files changed. */
  onChange: z.array(z.string().min(1).max(4096)).min(1).max(256).optional(),
  signal: z.string().regex(/^SIG[A-Z0-9]+$/).optional(),
  pidFile: z.string().min(2).max(4096).optional(),
});
export type SinkConfig = z.infer<typeof sinkConfigSchema>;

/** A sink as `/v1/profiles`, `sink list` and the dashboard show it: never the token. */
export interface SinkStatus {
  path: string;
  format: SinkFormat;
  mode: string;
  /** The last time the file was written (or found already up to date). */
  writtenAt: string | null;
  /** Whether the file holds the current token now. */
  present: boolean;
  /** Why the file is not there or not current (removed at expiry, refused folder, ...). */
  reason: string | null;
  /** The last hook run, when the sink has one: its outcome in words. */
  hook: string | null;
}

/** What the fleet's shared cache holds for one profile (SPEC section 8); never a token. */
export interface FleetProfileInfo {
  id: string;
  sharedOnly: boolean;
  /** False for credentials that share nothing (Basic); null when Redis was not read. */
  shared: boolean | null;
  token: { expiresAt: string | null; obtainedAt: string } | null;
  /** The record there could not be used: sealed with another fleet key, or altered. */
  unreadable: 'foreign-key' | 'tampered' | 'format' | null;
  /** How long the refresh lock still lives, in ms; null when nobody holds it. */
  lockMs: number | null;
  stop: { kind: string; message: string } | null;
  coolUntil: string | null;
  counts: { requestsLastHour: number; requestsLastDay: number } | null;
  /** Why Redis could not be read for this profile. */
  error: string | null;
}

/**
 * Where the running app's shared cache comes from: `--shared-cache`, TOKENTRAY_SHARED_CACHE, or the
 * setting (a fleet joined in the dashboard, which may then change or leave it).
 */
export type FleetSource = 'flag' | 'environment' | 'setting';

/** `fleet:status` and `tokentray shared-cache status --json`: the shared cache and what it holds. */
export interface FleetStatusInfo {
  configured: boolean;
  /** Absent where no app runs (the CLI's own status). */
  source?: FleetSource | null;
  /** The Redis URL without its password. */
  location: string | null;
  state: 'connected' | 'unavailable' | null;
  reason: string | null;
  keyId: string | null;
  previousKeyId: string | null;
  /** Records this process could not open since it started, by reason. */
  unreadable: { 'foreign-key': number; tampered: number; format: number } | null;
  profiles: FleetProfileInfo[];
  at?: string;
}

/** GET /v1/profiles/{id}/token */
export interface TokenResponse {
  access_token: string;
  token_type: string;
  expires_at: string | null;
  expires_in: number | null;
  scope: string | null;
}

export type HeadersResponse = Record<string, string>;

export const ACTIVITY_KINDS = [
  'refreshed',
  'refresh-failed',
  'recovered',
  'credentials-rejected',
  'token-issued',
  'paused',
  'resumed',
  'profile-added',
  'profile-updated',
  'profile-removed',
  'client-added',
  'client-removed',
  'sink-written',
  'sink-removed',
  'sink-failed',
  'hook-ran',
  'hook-failed',
] as const;
export type ActivityKind = (typeof ACTIVITY_KINDS)[number];

export interface ActivityEntry {
  seq: number;
  at: string;
  kind: ActivityKind;
  profileId?: string;
  /** The loopback client key's name that fetched a token, for `token-issued`. */
  client?: string;
  detail?: string;
}

export const clientNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1-64 characters of letters, digits, . _ -');

/** A loopback client key as listed: never the key, only its name and limits. */
export interface ClientKeyInfo {
  name: string;
  profiles: string[] | null;
  createdAt: string;
  lastUsedAt: string | null;
}

/** application/problem+json */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  hint?: string;
}

/** Server-sent events on GET /v1/events and the `events:*` IPC pushes. */
export type EngineEvent =
  | { type: 'profile'; status: ProfileStatus; previous: ProfileState | null; recovered: boolean }
  | { type: 'profile-removed'; id: string }
  | { type: 'activity'; entry: ActivityEntry }
  | { type: 'settings'; settings: Settings };

/** `absent`: no vault file yet (a passphrase must be created); `locked`: it waits for its passphrase. */
export type VaultState = 'absent' | 'locked' | 'unlocked';

/** `vault:state` and `tokentray vault status`. */
export interface VaultInfo {
  backend: VaultBackend;
  state: VaultState;
  /** The vault file's path, or the keychain's service name. */
  location: string;
  /** Entries held (secrets, cached tokens, other items); null while locked. */
  entries: number | null;
}

/**
 * `api:address`: where the loopback API listens (the same port in the app and headless mode), so the
 * dashboard can show a profile's relay token URL and issuer (common/relay.ts). Null while not listening.
 */
export interface ApiAddress {
  baseUrl: string | null;
}

/** A passphrase from the lock screen: never logged, never echoed in a validation message. */
export const passphraseSchema = z.string().min(1, 'must not be empty').max(1024);

/**
 * `vault:strength`: how strong a new passphrase is (zxcvbn's score, 0 to 4), whether the vault
 * accepts it, and why not in words. The app answers it, so the page carries no estimator.
 */
export interface PassphraseStrength {
  score: number;
  /** The score a new vault passphrase needs. */
  required: number;
  acceptable: boolean;
  warning: string | null;
  suggestions: string[];
}

/** A saved or tested profile request from the dashboard or CLI. */
export const profileInputSchema = z.strictObject({
  profile: profileConfigSchema,
  secrets: profileSecretsSchema,
});
export type ProfileInput = z.infer<typeof profileInputSchema>;

/**
 * `profiles:save`: `create` (the dashboard's Add) refuses an id that is taken, so adding never
 * replaces a profile; without it (Edit) the profile is created or replaced.
 */
export const profileSaveSchema = profileInputSchema.extend({ mode: z.enum(['create']).optional() });
export type ProfileSave = z.infer<typeof profileSaveSchema>;

export interface TestResult {
  ok: boolean;
  token?: { token_type: string; expires_at: string | null; expires_in: number | null; scope: string | null };
  error?: ErrorInfo;
}

export const profileIdSchema = z.string().regex(PROFILE_ID_PATTERN);

/**
 * `fleet:join`: the Redis URL (a password in it is split off), its password (null: keep the one
 * saved for this same URL, '' none) and the fleet key (null: keep the saved one, or the environment's).
 * Both secrets go to the vault, the URL without its password to config.json.
 */
export const fleetJoinSchema = z.strictObject({
  url: z.string().trim().min(1).max(2000),
  password: z.string().max(1024).nullable(),
  key: z.string().trim().max(200).nullable(),
});
export type FleetJoin = z.infer<typeof fleetJoinSchema>;

/**
 * The IPC channel map (`domain:verb`). Each entry names the request schema validated in main and the
 * response type. The HTTP transport of the dashboard maps the same verbs onto /v1 and /ui paths.
 */
export const ipcRequestSchemas = {
  'profiles:list': z.tuple([]),
  'profiles:get': z.tuple([profileIdSchema]),
  'profiles:save': z.tuple([profileSaveSchema]),
  'profiles:test': z.tuple([profileInputSchema]),
  'profiles:remove': z.tuple([profileIdSchema]),
  'profiles:refresh': z.tuple([profileIdSchema]),
  'profiles:pause': z.tuple([profileIdSchema, z.boolean()]),
  'tokens:get': z.tuple([profileIdSchema]),
  'tokens:headers': z.tuple([profileIdSchema]),
  'activity:list': z.tuple([]),
  'settings:get': z.tuple([]),
  'settings:update': z.tuple([settingsSchema.partial()]),
  'clients:list': z.tuple([]),
  'clients:add': z.tuple([z.strictObject({ name: clientNameSchema, profiles: z.array(profileIdSchema).nullable() })]),
  'clients:remove': z.tuple([clientNameSchema]),
  'clipboard:copy': z.tuple([profileIdSchema, z.enum(['token', 'header', 'curl'])]),
  'vault:state': z.tuple([]),
  'vault:create': z.tuple([passphraseSchema]),
  'vault:unlock': z.tuple([passphraseSchema]),
  'vault:lock': z.tuple([]),
  'vault:strength': z.tuple([z.string().max(1024)]),
  'vault:passphrase': z.tuple([z.strictObject({ current: passphraseSchema, next: passphraseSchema })]),
  'api:address': z.tuple([]),
  'fleet:status': z.tuple([]),
  'fleet:join': z.tuple([fleetJoinSchema]),
  'fleet:leave': z.tuple([]),
} as const;

export type IpcChannel = keyof typeof ipcRequestSchemas;

export interface IpcResponses {
  'profiles:list': ProfileStatus[];
  'profiles:get': ProfileConfig;
  'profiles:save': ProfileStatus;
  'profiles:test': TestResult;
  'profiles:remove': { removed: boolean };
  'profiles:refresh': TokenResponse;
  'profiles:pause': ProfileStatus;
  'tokens:get': TokenResponse;
  'tokens:headers': HeadersResponse;
  'activity:list': ActivityEntry[];
  'settings:get': Settings;
  'settings:update': Settings;
  'clients:list': ClientKeyInfo[];
  'clients:add': { key: string; client: ClientKeyInfo };
  'clients:remove': { removed: boolean };
  'clipboard:copy': { copied: boolean };
  'vault:state': VaultInfo;
  'vault:create': VaultInfo;
  'vault:unlock': VaultInfo;
  'vault:lock': VaultInfo;
  'vault:strength': PassphraseStrength;
  'vault:passphrase': VaultInfo;
  'api:address': ApiAddress;
  'fleet:status': FleetStatusInfo;
  'fleet:join': FleetStatusInfo;
  'fleet:leave': FleetStatusInfo;
}

export type IpcRequest<C extends IpcChannel> = z.infer<(typeof ipcRequestSchemas)[C]>;

/** Push channel from main to the dashboard window. */
export const EVENT_CHANNEL = 'events:engine';

export const IPC_CHANNEL_PATTERN = /^[a-z]+:[a-z-]+$/;

/** What an IPC or HTTP call answers with when it fails. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: ErrorInfo };

/**
 * What the preload exposes on `window.tokentray` (contextBridge), and what the renderer's HTTP
 * transport imitates in headless mode: `invoke` only accepts the channels of ipcRequestSchemas
 * (the preload refuses any other), and `onEvent` returns its own unsubscribe function.
 */
export interface TokentrayBridge {
  readonly transport: 'ipc' | 'http';
  invoke<C extends IpcChannel>(channel: C, ...args: IpcRequest<C>): Promise<Result<IpcResponses[C]>>;
  onEvent(listener: (event: EngineEvent) => void): () => void;
}

/** The headless dashboard's paths and session names, without zod (see common/dashboard-http.ts). */
export {
  DASHBOARD_LOGIN_PAGE,
  HTTP_EVENTS_PATH,
  HTTP_LOGIN_PATH,
  HTTP_LOGOUT_PATH,
  HTTP_RPC_PREFIX,
  SESSION_COOKIE,
  SESSION_HEADER,
  SESSION_STORAGE_KEY,
} from './dashboard-http.js';

/** The channel names without zod, for the preload bundle (see common/ipc-channels.ts). */
export { IPC_CHANNELS } from './ipc-channels.js';
