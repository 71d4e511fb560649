// The dashboard's view of the engine: a first load over the bridge, then only events (docs/desktop.md:
// everything updates live, without polling). Plain TypeScript so tests can drive it with a fake bridge;
// React reads it through useSyncExternalStore.
import { useCallback, useEffect, useRef, useState, useSyncExternalStore, type DependencyList, type Dispatch, type SetStateAction } from 'react';
import type { ActivityEntry, EngineEvent, ErrorInfo, ProfileStatus, Result, Settings } from '../../common/contract.js';
import type { ConnectionState, DashboardBridge } from './api/index.js';

export type Loadable<T> = { state: 'loading' } | { state: 'error'; error: ErrorInfo } | { state: 'ready'; value: T };

export interface DashboardState {
  profiles: Loadable<ProfileStatus[]>;
  activity: Loadable<ActivityEntry[]>;
  settings: Loadable<Settings>;
  /** 'ipc' inside the app: the preload bridge has no connection to lose. */
  connection: ConnectionState | 'ipc';
  /** The event stream was open once: a later 'connecting' means live updates are interrupted. */
  everOpen: boolean;
}

const MAX_ACTIVITY = 500;

export class DashboardStore {
  private state: DashboardState;
  private readonly listeners = new Set<() => void>();
  private readonly unsubscribes: Array<() => void> = [];
  /** Profiles changed by events while a list request was in flight: the event is newer. */
  private touchedDuringLoad: Map<string, ProfileStatus | null> | null = null;
  private firstProfiles: Promise<void> = Promise.resolve();

  constructor(private readonly bridge: DashboardBridge) {
    this.state = {
      profiles: { state: 'loading' },
      activity: { state: 'loading' },
      settings: { state: 'loading' },
      connection: bridge.transport === 'ipc' ? 'ipc' : 'connecting',
      everOpen: false,
    };
  }

  /** Subscribes to events first so nothing between the first load and the stream is lost. */
  start(): () => void {
    this.unsubscribes.push(this.bridge.onEvent((event) => this.apply(event)));
    if (this.bridge.onDidChangeConnection) {
      this.unsubscribes.push(
        this.bridge.onDidChangeConnection((connection) => {
          // A stream that reopens may have missed events while it was down: load again.
          if (connection === 'open' && this.state.everOpen && this.state.connection !== 'open') void this.reloadAll();
          this.set({ connection, everOpen: this.state.everOpen || connection === 'open' });
        }),
      );
    }
    this.firstProfiles = this.loadProfiles();
    void Promise.all([this.firstProfiles, this.loadActivity(), this.loadSettings()]);
    return () => this.stop();
  }

  /** Settles when the first list of profiles, asked by start(), is in (or failed). */
  profilesLoaded(): Promise<void> {
    return this.firstProfiles;
  }

  stop(): void {
    for (const unsubscribe of this.unsubscribes.splice(0)) unsubscribe();
  }

  getState = (): DashboardState => this.state;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  async reloadAll(): Promise<void> {
    await Promise.all([this.loadProfiles(), this.loadActivity(), this.loadSettings()]);
  }

  async loadProfiles(): Promise<void> {
    if (this.state.profiles.state !== 'ready') this.set({ profiles: { state: 'loading' } });
    this.touchedDuringLoad = new Map();
    const result = await this.bridge.invoke('profiles:list');
    const touched = this.touchedDuringLoad;
    this.touchedDuringLoad = null;
    if (!result.ok) {
      this.set({ profiles: { state: 'error', error: result.error } });
      return;
    }
    const byId = new Map(result.value.map((s) => [s.id, s]));
    for (const [id, status] of touched) {
      if (status) byId.set(id, status);
      else byId.delete(id);
    }
    this.set({ profiles: { state: 'ready', value: sortProfiles([...byId.values()]) } });
  }

  async loadActivity(): Promise<void> {
    const result = await this.bridge.invoke('activity:list');
    if (!result.ok) {
      this.set({ activity: { state: 'error', error: result.error } });
      return;
    }
    const current = this.state.activity.state === 'ready' ? this.state.activity.value : [];
    this.set({ activity: { state: 'ready', value: mergeActivity(current, result.value) } });
  }

  async loadSettings(): Promise<void> {
    const result = await this.bridge.invoke('settings:get');
    this.set({ settings: result.ok ? { state: 'ready', value: result.value } : { state: 'error', error: result.error } });
  }

  /** A status the caller got back from an action (save, pause): shown at once, events follow. */
  upsertProfile(status: ProfileStatus): void {
    this.apply({ type: 'profile', status, previous: null, recovered: false });
  }

  removeProfile(id: string): void {
    this.apply({ type: 'profile-removed', id });
  }

  apply(event: EngineEvent): void {
    switch (event.type) {
      case 'profile': {
        this.touchedDuringLoad?.set(event.status.id, event.status);
        if (this.state.profiles.state !== 'ready') return;
        const others = this.state.profiles.value.filter((p) => p.id !== event.status.id);
        this.set({ profiles: { state: 'ready', value: sortProfiles([...others, event.status]) } });
        return;
      }
      case 'profile-removed': {
        this.touchedDuringLoad?.set(event.id, null);
        if (this.state.profiles.state !== 'ready') return;
        this.set({ profiles: { state: 'ready', value: this.state.profiles.value.filter((p) => p.id !== event.id) } });
        return;
      }
      case 'activity': {
        if (this.state.activity.state !== 'ready') return;
        this.set({ activity: { state: 'ready', value: mergeActivity(this.state.activity.value, [event.entry]) } });
        return;
      }
      case 'settings':
        this.set({ settings: { state: 'ready', value: event.settings } });
        return;
    }
  }

  private set(patch: Partial<DashboardState>): void {
    this.state = { ...this.state, ...patch };
    for (const listener of [...this.listeners]) listener();
  }
}

// One collator for every comparison: String.prototype.localeCompare builds one per call, which
// made sorting a thousand profiles take longer than rendering them.
let collator: Intl.Collator | null = null;

/**
 * The collator profiles are sorted with. The first one a page makes costs about 20 ms in Chromium
 * (ICU loads its collation data), so main.tsx makes it while the first answers are on their way.
 */
export function profileCollator(): Intl.Collator {
  collator ??= new Intl.Collator();
  return collator;
}

function sortProfiles(profiles: ProfileStatus[]): ProfileStatus[] {
  const { compare } = profileCollator();
  return profiles.sort((a, b) => compare(a.name, b.name) || compare(a.id, b.id));
}

/** Newest first, one entry per sequence number, at most MAX_ACTIVITY kept. */
function mergeActivity(current: readonly ActivityEntry[], incoming: readonly ActivityEntry[]): ActivityEntry[] {
  const bySeq = new Map<number, ActivityEntry>();
  for (const entry of [...current, ...incoming]) bySeq.set(entry.seq, entry);
  return [...bySeq.values()].sort((a, b) => b.seq - a.seq).slice(0, MAX_ACTIVITY);
}

export function useDashboardState(store: DashboardStore): DashboardState {
  return useSyncExternalStore(store.subscribe, store.getState);
}

/**
 * One part of the state: the component re-renders only when that part changes (the profile list
 * does not re-render for an activity entry). `select` must return a part of the state as it is.
 */
export function useDashboardSlice<T>(store: DashboardStore, select: (state: DashboardState) => T): T {
  return useSyncExternalStore(store.subscribe, () => select(store.getState()));
}

/** What useLoad gives a view: the answer's state, Retry, and a way to replace the value after an action. */
export interface Load<T> {
  load: Loadable<T>;
  /** Asks again; what is shown stays until the new answer is in. */
  retry: () => void;
  set: Dispatch<SetStateAction<Loadable<T>>>;
}

/**
 * One question a view asks over the bridge as it mounts, again when `deps` change, and on Retry:
 * loading, then the answer or its error. When `deps` change the old answer is about something else,
 * so the view shows loading again; an answer that arrives after that is dropped. `read` null asks
 * nothing and the view is ready with `idle` (a form that adds rather than edits). It lives here, in
 * the page's entry chunk, so no view adds a chunk of its own for it.
 */
export function useLoad<T>(read: (() => Promise<Result<T>>) | null, deps: DependencyList, idle?: T): Load<T> {
  const [load, set] = useState<Loadable<T>>(() => (read === null ? { state: 'ready', value: idle as T } : { state: 'loading' }));
  const [attempt, setAttempt] = useState(0);
  const askedFor = useRef(attempt);
  useEffect(() => {
    const retried = askedFor.current !== attempt;
    askedFor.current = attempt;
    if (read === null) return;
    if (!retried) set((current) => (current.state === 'loading' ? current : { state: 'loading' }));
    let live = true;
    void read().then((result) => {
      if (live) set(result.ok ? { state: 'ready', value: result.value } : { state: 'error', error: result.error });
    });
    return () => {
      live = false;
    };
    // `read` is a new function each render; `deps` say when its question changes.
  }, [...deps, attempt]);
  const retry = useCallback(() => setAttempt((n) => n + 1), []);
  return { load, retry, set };
}
