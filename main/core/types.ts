// The seams of the core: what providers, the engine, the vault and the store promise each other.
// Implementations live beside this file (engine, providers) or in main/node and main/electron
// (keytar vault, file store, electron-store), and are passed in as parameters.
import type {
  ActivityEntry,
  ClientKeyInfo,
  EngineEvent,
  ProfileConfig,
  ProfileSecrets,
  ProfileStatus,
  Settings,
  SinkConfig,
  TestResult,
} from '../../common/contract.js';
import type { CreatedProfile } from '../../common/admin-verbs.js';
import type { ProviderDefaults, ProviderId, SecretField } from '../../common/providers.js';
import type { Clock } from './clock.js';
import type { TokentrayError } from './errors.js';
import type { KeyObject } from 'node:crypto';

/** The engine's state channel: every EngineEvent but activity entries. */
export type EngineStateEvent = Exclude<EngineEvent, { type: 'activity' }>;

/** A credential ready to attach to API requests. */
export interface Token {
  /** Bearer access token, Basic credentials, or the Cookie header value for cookie sessions. */
  accessToken: string;
  /** 'Bearer', 'Basic' or 'Cookie'. */
  tokenType: string;
  /** Exactly the headers to attach, e.g. { Authorization: 'Bearer …' } or { Cookie, 'X-CSRF-TOKEN' }. */
  headers: Record<string, string>;
  /** Epoch ms when it was obtained. */
  obtainedAt: number;
  /** Epoch ms when it stops being valid; null when it never expires (Sendcloud Basic). */
  expiresAt: number | null;
  scope?: string;
}

/**
 * What a profile's TLS connections present and trust (docs/client-auth.md): its client certificate
 * and key for mutual TLS, and a CA bundle that replaces the system CAs.
 */
export interface ClientTls {
  cert?: string;
  key?: KeyObject;
  ca?: string;
}

/** A request as the providers make it: a fetch RequestInit, plus the profile's TLS material. */
export type FetchInit = RequestInit & { tls?: ClientTls };

/**
 * The fetch the providers use: the global fetch behind tlsAwareFetch (which honours `tls`), or a
 * fake that behaves like a seed's server.
 */
export type FetchLike = (input: string | URL, init?: FetchInit) => Promise<Response>;

/** A profile with every provider default applied (see resolveProfile). */
export type ResolvedProfile = ProfileConfig & Partial<ProviderDefaults>;

export interface ProviderContext {
  fetch: FetchLike;
  clock: Clock;
  /** The profile's client certificate and CA bundle, sent with every request it makes. */
  tls?: ClientTls;
  /** Aborts the request (shutdown, profile removed). The request timeout is the provider's own. */
  signal?: AbortSignal;
}

export interface Provider {
  readonly id: ProviderId;
  /**
   * Obtains a new credential. Throws TokentrayError for every failure (never a plain Error), with
   * a message that contains no secret and no token.
   */
  obtain(profile: ResolvedProfile, secrets: ProfileSecrets, context: ProviderContext): Promise<Token>;
}

export type ProviderRegistry = ReadonlyMap<ProviderId, Provider>;

/**
 * The OS keychain. Accounts are `${profileId}:${field}` under one service name. Every method throws
 * TokentrayError('keychain_unavailable') when the keychain is locked or absent; there is no
 * plaintext fallback.
 */
export interface Vault {
  getSecret(profileId: string, field: SecretField): Promise<string | null>;
  setSecret(profileId: string, field: SecretField, value: string): Promise<void>;
  deleteSecret(profileId: string, field: SecretField): Promise<void>;
  getCachedToken(profileId: string): Promise<Token | null>;
  setCachedToken(profileId: string, token: Token | null): Promise<void>;
  /** Removes every entry of the profile (secrets and cached token). */
  deleteProfile(profileId: string): Promise<void>;
  /** Other secrets, such as the CLI's own loopback client key. */
  getItem(account: string): Promise<string | null>;
  setItem(account: string, value: string): Promise<void>;
  deleteItem(account: string): Promise<void>;
}

/** A loopback client key as stored: the sha256 of the key, never the key. */
export interface ClientKeyRecord extends ClientKeyInfo {
  hash: string;
}

/**
 * Profiles, settings and client keys: the JSON store (conf outside Electron, electron-store inside,
 * one file format). Synchronous like conf itself.
 */
export interface ConfigStore {
  listProfiles(): ProfileConfig[];
  getProfile(id: string): ProfileConfig | undefined;
  putProfile(profile: ProfileConfig): void;
  removeProfile(id: string): boolean;
  getSettings(): Settings;
  updateSettings(patch: Partial<Settings>): Settings;
  listClients(): ClientKeyRecord[];
  putClient(record: ClientKeyRecord): void;
  removeClient(name: string): boolean;
  /** Token files (SPEC section 7); entries that do not match the schema are skipped. */
  listSinks(): SinkConfig[];
  /** Adds the sink, or replaces the one with the same profile and path. */
  putSink(sink: SinkConfig): void;
  removeSink(profileId: string, path: string): boolean;
  /** Fires after any change, including a write by another process (the CLI). Returns unsubscribe. */
  onDidChange(listener: () => void): () => void;
  /** Where the file lives, for messages. */
  readonly path: string;
  /**
   * Looks (cheaply) whether another process changed the file, and if so fires onDidChange now
   * rather than when the file watch notices. Optional: a store in memory has no other writer.
   */
  checkDisk?(): void;
}

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export interface TokenRequestOptions {
  /**
   * Who the token is handed to: the engine records every token it hands out as `token-issued` under
   * this name (docs/http-api.md): a loopback client key's name, 'cli', 'tray', 'dashboard', 'clipboard'.
   */
  client?: string;
  /** How long a demand may wait for a refresh before failing with no_valid_token. */
  waitMs?: number;
}

/**
 * The engine's public surface: everything the CLI, the loopback API, the dashboard and the tray use.
 * Implemented by TokenEngine (main/core/engine/token-engine.ts).
 */
export interface Engine {
  /** Loads profiles and cached tokens, schedules refreshes. */
  start(): Promise<void>;
  /** Cancels timers and in-flight requests. */
  stop(): Promise<void>;

  /** Adds or replaces a profile (secrets, if given, go to the vault first). Clears a credential stop. */
  upsertProfile(profile: ProfileConfig, secrets?: ProfileSecrets): Promise<ProfileStatus>;
  /**
   * Creates a profile, refusing an id that exists. With `test` it first asks the provider for a token
   * with it: a refusal throws and saves nothing; an unreachable provider saves with a warning; a token
   * obtained becomes the profile's first cached token.
   */
  createProfile(profile: unknown, secrets: ProfileSecrets, options: { test: boolean }): Promise<CreatedProfile>;
  /** Creates a profile; an id that is taken is refused (field `id`) and nothing changes. */
  addProfile(profile: ProfileConfig, secrets: ProfileSecrets): Promise<ProfileStatus>;
  /** Removes the profile and its keychain entries. */
  removeProfile(id: string): Promise<boolean>;
  /** Requests a token with these settings without saving anything. */
  testProfile(profile: ProfileConfig, secrets: ProfileSecrets): Promise<TestResult>;

  /**
   * A valid token, refreshed first if needed (single flight). Never an expired one. Recorded as
   * `token-issued` to options.client.
   */
  getToken(id: string, options?: TokenRequestOptions): Promise<Token>;
  /**
   * The current token if it is loaded and valid right now, else null; never waits and never goes
   * upstream. getToken is this plus the refresh-and-wait path (the loopback API's hot path uses it).
   * A token returned is handed out, and recorded like getToken's.
   */
  peekToken(id: string, options?: TokenRequestOptions): Token | null;
  /** Forces a refresh now (a person asked: clears a credential stop); the token is recorded as handed out. */
  refresh(id: string, options?: TokenRequestOptions): Promise<Token>;
  /** Marks the current token unusable (e.g. the API answered 401) so the next demand refreshes. */
  invalidate(id: string): void;
  /**
   * What the profile's API said of its token through the proxy: an error only a different token
   * request can cure (Acquia's additional authentication, seed 002) becomes the profile's last error;
   * null, a good answer, clears it.
   */
  noteApiAnswer(id: string, error: TokentrayError | null): void;
  /**
   * The profile's client certificate, key and CA bundle, for the proxy's connection to its API
   * (docs/client-auth.md); null when it has none. The key never leaves the process.
   */
  clientTls(id: string): Promise<ClientTls | null>;
  setPaused(id: string, paused: boolean): Promise<ProfileStatus>;

  status(id: string): ProfileStatus | undefined;
  statuses(): ProfileStatus[];
  activity(): ActivityEntry[];
  /** Records an entry that is not the engine's own (client keys added or removed). */
  record(entry: Omit<ActivityEntry, 'seq' | 'at'>): void;

  /** After resume from sleep or a clock jump: re-evaluate every profile at once. */
  reevaluate(): void;

  /** Profile states, removals and settings changes; never an activity entry. Returns unsubscribe. */
  onDidChangeState(listener: (event: EngineStateEvent) => void): () => void;
  /** Every activity entry, one per token handed out among them. Returns unsubscribe. */
  onDidRecordActivity(listener: (entry: ActivityEntry) => void): () => void;
  /** Both channels as the contract's EngineEvent (the dashboard's event stream). Returns unsubscribe. */
  onDidEmit(listener: (event: EngineEvent) => void): () => void;
}
