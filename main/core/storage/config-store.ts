// The JSON store of profiles, settings and client keys (docs/storage.md). The same options drive conf
// (CLI, headless) and electron-store (the app), so both read and write one `config.json`: same
// schema, same migrations, atomic writes, mode 0600. This module never imports conf: it works on
// the structural ConfLike, which both libraries satisfy.
import { z } from 'zod';
import {
  DEFAULT_SETTINGS,
  clientNameSchema,
  profileConfigSchema,
  profileIdSchema,
  settingsSchema,
  sinkConfigSchema,
  type ProfileConfig,
  type Settings,
  type SinkConfig,
} from '../../../common/contract.js';
import { TokentrayError } from '../errors.js';
import type { ClientKeyRecord, ConfigStore, Logger } from '../types.js';
import { Emitter } from '../../../common/emitter.js';

/** The part of conf / electron-store's API the store uses. */
export interface ConfLike {
  store: Record<string, unknown>;
  readonly path: string;
  get(key: string, defaultValue?: unknown): unknown;
  set(key: string, value: unknown): void;
  delete(key: string): void;
  onDidAnyChange(callback: (newValue?: unknown, oldValue?: unknown) => void): () => void;
  /** conf fires 'change' here after its own writes and after a write by another process (watch). */
  readonly events?: EventTarget;
  /** conf: stops watching the file (tests, shutdown). */
  _closeWatcher?(): void;
}

/** The store file format version; bump it together with a new entry in MIGRATIONS. */
export const STORE_VERSION = '1.0.0';

export const clientKeyRecordSchema = z.strictObject({
  name: clientNameSchema,
  profiles: z.array(profileIdSchema).nullable(),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
  hash: z.string().regex(/^[0-9a-f]{64}$/, 'must be a sha256 hex digest'),
});

const storedSettingsSchema = settingsSchema.partial();
const storedProfilesSchema = z.record(profileIdSchema, profileConfigSchema);
const storedClientsSchema = z.array(clientKeyRecordSchema);
// Token files (SPEC section 7) are an optional list: a file without one is the same as an empty list,
// and an entry broken by hand is skipped and reported by listSinks, never a reason to move the file aside.
const storedSinksSchema = z.array(z.unknown());

/** The whole file after migration. Unknown top-level keys (a newer app's) are kept, not dropped. */
export const storedDataSchema = z
  .looseObject({
    profiles: storedProfilesSchema,
    settings: storedSettingsSchema,
    clients: storedClientsSchema,
    sinks: storedSinksSchema.optional(),
  })
  .superRefine((data, context) => {
    for (const [key, profile] of Object.entries(data.profiles)) {
      if (profile.id !== key) {
        context.addIssue({ code: 'custom', path: ['profiles', key, 'id'], message: `must equal its key "${key}"` });
      }
    }
    const names = new Set<string>();
    for (const [index, client] of data.clients.entries()) {
      if (names.has(client.name)) {
        context.addIssue({ code: 'custom', path: ['clients', index, 'name'], message: 'is used twice' });
      }
      names.add(client.name);
    }
  });

export interface StoredData {
  profiles: Record<string, ProfileConfig>;
  settings: Partial<Settings>;
  clients: ClientKeyRecord[];
  sinks?: unknown[];
}

const STORE_DEFAULTS: StoredData = { profiles: {}, settings: { ...DEFAULT_SETTINGS }, clients: [] };

type Migration = (data: Record<string, unknown>) => Record<string, unknown>;

/**
 * Pure data migrations, keyed by the store version they produce. conf runs them through its own
 * versioned `migrations` option, and the corrupt-file check runs them on a copy first, so a file is
 * only judged after it has been brought up to date.
 */
export const MIGRATIONS: Readonly<Record<string, Migration>> = {
  // Files written before the store was versioned kept profiles as an array and had no clients list.
  '1.0.0': (data) => {
    const next: Record<string, unknown> = { ...data };
    if (Array.isArray(data.profiles)) {
      const profiles: Record<string, unknown> = {};
      for (const profile of data.profiles as unknown[]) {
        const id = typeof profile === 'object' && profile !== null ? (profile as { id?: unknown }).id : undefined;
        profiles[typeof id === 'string' ? id : `invalid-${Object.keys(profiles).length}`] = profile;
      }
      next.profiles = profiles;
    }
    next.profiles ??= {};
    next.clients ??= [];
    next.settings = { ...DEFAULT_SETTINGS, ...((data.settings as object | undefined) ?? {}) };
    return next;
  },
};

const INTERNAL_KEY = '__internal__';

function storedVersion(data: Record<string, unknown>): string {
  const internal = data[INTERNAL_KEY] as { migrations?: { version?: unknown } } | undefined;
  const version = internal?.migrations?.version;
  return typeof version === 'string' ? version : '0.0.0';
}

/** Compares x.y.z versions (the only form MIGRATIONS uses). */
function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i += 1) {
    const diff = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

/** Applies every migration newer than the file's version to a copy of the data. */
export function migrateStoredData(data: Record<string, unknown>): Record<string, unknown> {
  const from = storedVersion(data);
  let next = structuredClone(data);
  for (const version of Object.keys(MIGRATIONS).sort(compareVersions)) {
    if (compareVersions(version, from) > 0 && compareVersions(version, STORE_VERSION) <= 0) {
      next = MIGRATIONS[version]!(next);
    }
  }
  return next;
}

export type StoredDataCheck = { ok: true } | { ok: false; reason: string; newer?: boolean };

/** Whether parsed file content is (after migration) a store this version can use, and if not, why. */
export function checkStoredData(data: unknown): StoredDataCheck {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return { ok: false, reason: 'the file does not hold a JSON object' };
  }
  const record = data as Record<string, unknown>;
  const version = storedVersion(record);
  if (compareVersions(version, STORE_VERSION) > 0) {
    return { ok: false, newer: true, reason: `it was written by a newer Tokentray (store version ${version})` };
  }
  const parsed = storedDataSchema.safeParse(migrateStoredData(record));
  if (parsed.success) return { ok: true };
  const issues = parsed.error.issues.slice(0, 3).map((issue) => `${issue.path.join('.') || '(root)'} ${issue.message}`);
  return { ok: false, reason: `it does not match the schema: ${issues.join('; ')}` };
}

function jsonSchemaOf(schema: z.ZodType): Record<string, unknown> {
  const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  delete json.$schema;
  return json;
}

/**
 * The options for both `new Conf(...)` and `new ElectronStore(...)`: one file, one schema, one set
 * of migrations. `clearInvalidConfig: false` because a broken file is moved aside and reported
 * (see main/node/file-store.ts), never silently replaced.
 */
export function storeOptions(configDir: string) {
  return {
    cwd: configDir,
    configName: 'config',
    fileExtension: 'json',
    defaults: structuredClone(STORE_DEFAULTS) as unknown as Record<string, unknown>,
    schema: {
      profiles: jsonSchemaOf(storedProfilesSchema),
      settings: jsonSchemaOf(storedSettingsSchema),
      clients: jsonSchemaOf(storedClientsSchema),
    },
    projectVersion: STORE_VERSION,
    migrations: Object.fromEntries(
      Object.entries(MIGRATIONS).map(([version, migrate]) => [
        version,
        (store: ConfLike) => {
          store.store = migrate(store.store);
        },
      ]),
    ),
    configFileMode: 0o600,
    watch: true,
    clearInvalidConfig: false,
    // Profile ids are slugs, so `profiles.<id>` is a safe dot path.
    accessPropertiesByDotNotation: true,
  };
}

export interface ConfBackedStoreOptions {
  logger?: Logger;
  /**
   * A cheap stamp of the file on disk (a stat: inode, size, times), or null when it cannot be read.
   * With it, checkDisk() notices a write by another process at once, where the file watch may take
   * seconds.
   */
  stamp?: (path: string) => string | null;
}

export class ConfBackedStore implements ConfigStore {
  readonly #backend: ConfLike;
  readonly #logger: Logger | undefined;
  readonly #changes = new Emitter();
  readonly #stamp: ((path: string) => string | null) | undefined;
  #unwatch: (() => void) | undefined;
  #snapshot: string | undefined;
  #onChange: (() => void) | undefined;
  #seenStamp: string | null = null;

  constructor(backend: ConfLike, options: ConfBackedStoreOptions = {}) {
    this.#backend = backend;
    this.#logger = options.logger;
    this.#stamp = options.stamp;
  }

  /**
   * Stats the file and, only when it changed since the last look, reads it and tells the listeners
   * of a real change at once, as the watch would later. Cheap enough for every authenticated request.
   */
  checkDisk(): void {
    if (this.#stamp === undefined || this.#onChange === undefined) return;
    const stamp = this.#stamp(this.path);
    if (stamp === this.#seenStamp) return;
    this.#onChange();
  }

  get path(): string {
    return this.#backend.path;
  }

  listProfiles(): ProfileConfig[] {
    const profiles: ProfileConfig[] = [];
    for (const [id, raw] of Object.entries(this.#read().profiles ?? {})) {
      const parsed = profileConfigSchema.safeParse(raw);
      if (parsed.success) {
        profiles.push(parsed.data);
      } else {
        // Reported, not dropped: the entry stays in the file for a person to fix.
        this.#logger?.warn('skipping a profile that does not match the schema', { profileId: id });
      }
    }
    return profiles.sort((a, b) => a.id.localeCompare(b.id));
  }

  getProfile(id: string): ProfileConfig | undefined {
    if (!profileIdSchema.safeParse(id).success) return undefined;
    const raw = this.#read().profiles?.[id];
    if (raw === undefined) return undefined;
    const parsed = profileConfigSchema.safeParse(raw);
    if (!parsed.success) {
      throw new TokentrayError('config', `The stored profile "${id}" does not match the schema.`, {
        hint: `Fix or remove it in ${this.path}.`,
      });
    }
    return parsed.data;
  }

  putProfile(profile: ProfileConfig): void {
    const parsed = profileConfigSchema.safeParse(profile);
    if (!parsed.success) {
      throw new TokentrayError('config', 'The profile is not valid and was not saved.', {
        hint: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
      });
    }
    this.#write(() => this.#backend.set(`profiles.${parsed.data.id}`, parsed.data));
  }

  removeProfile(id: string): boolean {
    if (!profileIdSchema.safeParse(id).success) return false;
    if (this.#read().profiles?.[id] === undefined) return false;
    this.#write(() => this.#backend.delete(`profiles.${id}`));
    return true;
  }

  getSettings(): Settings {
    const stored = storedSettingsSchema.safeParse(this.#read().settings ?? {});
    return { ...DEFAULT_SETTINGS, ...(stored.success ? stored.data : {}) };
  }

  updateSettings(patch: Partial<Settings>): Settings {
    const next = settingsSchema.safeParse({ ...this.getSettings(), ...patch });
    if (!next.success) {
      throw new TokentrayError('config', 'The settings are not valid and were not saved.', {
        hint: next.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
      });
    }
    this.#write(() => this.#backend.set('settings', next.data));
    return next.data;
  }

  listClients(): ClientKeyRecord[] {
    const parsed = storedClientsSchema.safeParse(this.#read().clients ?? []);
    return parsed.success ? parsed.data : [];
  }

  putClient(record: ClientKeyRecord): void {
    const parsed = clientKeyRecordSchema.parse(record);
    const others = this.listClients().filter((c) => c.name !== parsed.name);
    this.#write(() => this.#backend.set('clients', [...others, parsed]));
  }

  removeClient(name: string): boolean {
    const clients = this.listClients();
    const remaining = clients.filter((c) => c.name !== name);
    if (remaining.length === clients.length) return false;
    this.#write(() => this.#backend.set('clients', remaining));
    return true;
  }

  listSinks(): SinkConfig[] {
    const stored = this.#read().sinks;
    if (!Array.isArray(stored)) return [];
    const sinks: SinkConfig[] = [];
    for (const raw of stored) {
      const parsed = sinkConfigSchema.safeParse(raw);
      if (parsed.success) sinks.push(parsed.data);
      // Reported, not dropped: the entry stays in the file for a person to fix.
      else this.#logger?.warn('skipping a token file entry that does not match the schema');
    }
    return sinks;
  }

  putSink(sink: SinkConfig): void {
    const parsed = sinkConfigSchema.safeParse(sink);
    if (!parsed.success) {
      throw new TokentrayError('config', 'The token file entry is not valid and was not saved.', {
        hint: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
      });
    }
    const stored = this.#read().sinks;
    const others = (Array.isArray(stored) ? stored : []).filter((raw) => !sameSink(raw, parsed.data));
    this.#write(() => this.#backend.set('sinks', [...others, parsed.data]));
  }

  removeSink(profileId: string, path: string): boolean {
    const stored = this.#read().sinks;
    if (!Array.isArray(stored)) return false;
    const remaining = stored.filter((raw) => !sameSink(raw, { profileId, path }));
    if (remaining.length === stored.length) return false;
    this.#write(() => this.#backend.set('sinks', remaining));
    return true;
  }

  onDidChange(listener: () => void): () => void {
    const off = this.#changes.on(listener);
    this.#startWatching();
    return () => {
      off();
      if (this.#changes.size === 0) {
        this.#unwatch?.();
        this.#unwatch = undefined;
        this.#onChange = undefined;
      }
    };
  }

  /** Stops watching the file. */
  close(): void {
    this.#unwatch?.();
    this.#unwatch = undefined;
    this.#onChange = undefined;
    this.#changes.clear();
    this.#backend._closeWatcher?.();
  }

  #startWatching(): void {
    if (this.#unwatch) return;
    this.#seenStamp = this.#stamp?.(this.path) ?? null;
    this.#snapshot = this.#safeSnapshot();
    const onChange = (): void => {
      // Stamped before reading: a write landing during the read is seen again by the next check.
      this.#seenStamp = this.#stamp?.(this.path) ?? null;
      // conf also fires for our own writes and for a touch without a change: only real changes count.
      const snapshot = this.#safeSnapshot();
      if (snapshot === undefined || snapshot === this.#snapshot) return;
      this.#snapshot = snapshot;
      this.#changes.emit();
    };
    this.#onChange = onChange;
    const events = this.#backend.events;
    if (events) {
      // Listening on conf's own event target (not onDidAnyChange) keeps a file broken by hand from
      // throwing inside conf's listener: we read it ourselves and report instead.
      events.addEventListener('change', onChange);
      this.#unwatch = () => events.removeEventListener('change', onChange);
    } else {
      this.#unwatch = this.#backend.onDidAnyChange(onChange);
    }
  }

  #safeSnapshot(): string | undefined {
    try {
      return JSON.stringify(this.#backend.store);
    } catch {
      this.#logger?.warn('the config file changed but cannot be read', { path: this.path });
      return undefined;
    }
  }

  #read(): Partial<StoredData> {
    try {
      return this.#backend.store as Partial<StoredData>;
    } catch (error) {
      throw configFileError(this.path, error);
    }
  }

  #write(operation: () => void): void {
    try {
      operation();
    } catch (error) {
      throw configFileError(this.path, error);
    }
  }
}

/** A sink is named by its profile and path (`sink rm ID PATH`). */
function sameSink(raw: unknown, sink: Pick<SinkConfig, 'profileId' | 'path'>): boolean {
  const entry = raw as { profileId?: unknown; path?: unknown } | null;
  return typeof entry === 'object' && entry !== null && entry.profileId === sink.profileId && entry.path === sink.path;
}

function configFileError(path: string, error: unknown): TokentrayError {
  if (error instanceof TokentrayError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && ['EACCES', 'EPERM', 'EROFS', 'ENOSPC'].includes(code)) {
    return new TokentrayError('config', `The config file ${path} cannot be written (${code}).`, {
      hint: 'Check the permissions and free space of the config directory.',
      cause: error,
    });
  }
  return new TokentrayError('config', `The config file ${path} is corrupt or does not match the schema.`, {
    hint: 'Run any tokentray command: it moves the broken file aside (config.json.corrupt-<time>) and starts fresh.',
    cause: error,
  });
}
