// An in-memory ConfigStore for unit tests and the benchmark. Like conf, writes notify listeners
// synchronously; `external` simulates another process (the CLI) writing the file.
import { DEFAULT_SETTINGS, type ProfileConfig, type Settings, type SinkConfig } from '../../common/contract.js';
import type { ClientKeyRecord, ConfigStore } from '../../main/core/types.js';

export class MemoryStore implements ConfigStore {
  readonly path = '/memory/config.json';
  private readonly profiles = new Map<string, ProfileConfig>();
  private settings: Settings = { ...DEFAULT_SETTINGS };
  private readonly clients = new Map<string, ClientKeyRecord>();
  private readonly listeners = new Set<() => void>();
  private sinks: SinkConfig[] = [];
  /** How many writes happened (to prove what the engine persisted). */
  writes = 0;

  constructor(profiles: readonly ProfileConfig[] = []) {
    for (const profile of profiles) this.profiles.set(profile.id, structuredClone(profile));
  }

  listProfiles(): ProfileConfig[] {
    return [...this.profiles.values()].map((p) => structuredClone(p));
  }

  getProfile(id: string): ProfileConfig | undefined {
    const profile = this.profiles.get(id);
    return profile === undefined ? undefined : structuredClone(profile);
  }

  putProfile(profile: ProfileConfig): void {
    this.profiles.set(profile.id, structuredClone(profile));
    this.changed();
  }

  removeProfile(id: string): boolean {
    const removed = this.profiles.delete(id);
    if (removed) this.changed();
    return removed;
  }

  getSettings(): Settings {
    return { ...this.settings };
  }

  updateSettings(patch: Partial<Settings>): Settings {
    this.settings = { ...this.settings, ...patch };
    this.changed();
    return { ...this.settings };
  }

  listClients(): ClientKeyRecord[] {
    return [...this.clients.values()].map((c) => structuredClone(c));
  }

  putClient(record: ClientKeyRecord): void {
    this.clients.set(record.name, structuredClone(record));
    this.changed();
  }

  removeClient(name: string): boolean {
    const removed = this.clients.delete(name);
    if (removed) this.changed();
    return removed;
  }

  listSinks(): SinkConfig[] {
    return this.sinks.map((s) => structuredClone(s));
  }

  putSink(sink: SinkConfig): void {
    this.sinks = [...this.sinks.filter((s) => s.profileId !== sink.profileId || s.path !== sink.path), structuredClone(sink)];
    this.changed();
  }

  removeSink(profileId: string, path: string): boolean {
    const before = this.sinks.length;
    this.sinks = this.sinks.filter((s) => s.profileId !== profileId || s.path !== path);
    if (this.sinks.length === before) return false;
    this.changed();
    return true;
  }

  onDidChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Another process wrote the file: apply the edit, then notify as a file watcher would. */
  external(edit: (profiles: Map<string, ProfileConfig>) => void): void {
    edit(this.profiles);
    this.changed();
  }

  listenerCount(): number {
    return this.listeners.size;
  }

  private changed(): void {
    this.writes += 1;
    for (const listener of [...this.listeners]) listener();
  }
}
