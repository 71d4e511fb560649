// The activity log the dashboard shows (SPEC section 6): refreshes, failures and which client key
// fetched which token. A ring buffer, so a long-running app keeps the newest entries in bounded memory.
import type { ActivityEntry } from '../../common/contract.js';

export const DEFAULT_ACTIVITY_CAPACITY = 1000;

export class ActivityLog {
  private readonly entries: (ActivityEntry | undefined)[];
  private next = 0;
  private size = 0;
  private seq = 0;
  private lastAt = Number.NaN;
  private lastIso = '';
  private readonly listeners = new Set<(entry: ActivityEntry) => void>();

  constructor(private readonly capacity: number = DEFAULT_ACTIVITY_CAPACITY) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a positive integer');
    this.entries = new Array<ActivityEntry | undefined>(capacity);
  }

  /** Adds an entry stamped with the next sequence number and the given time; returns it. */
  append(entry: Omit<ActivityEntry, 'seq' | 'at'>, at: number): ActivityEntry {
    this.seq += 1;
    // seq and at are the log's own, whatever the caller's object carries. Built field by field rather
    // than spread: this runs for every token the loopback API hands out, and a spread is the slow path.
    const full: ActivityEntry = { seq: this.seq, at: this.isoOf(at), kind: entry.kind };
    if (entry.profileId !== undefined) full.profileId = entry.profileId;
    if (entry.client !== undefined) full.client = entry.client;
    if (entry.detail !== undefined) full.detail = entry.detail;
    this.entries[this.next] = full;
    this.next = (this.next + 1) % this.capacity;
    if (this.size < this.capacity) this.size += 1;
    if (this.listeners.size === 1) {
      for (const listener of this.listeners) listener(full);
    } else if (this.listeners.size > 1) {
      for (const listener of [...this.listeners]) listener(full);
    }
    return full;
  }

  /** Many entries share a millisecond under load: format each millisecond once. */
  private isoOf(at: number): string {
    if (at !== this.lastAt) {
      this.lastAt = at;
      this.lastIso = new Date(at).toISOString();
    }
    return this.lastIso;
  }

  /** Oldest first. */
  list(): ActivityEntry[] {
    const out: ActivityEntry[] = [];
    const start = (this.next - this.size + this.capacity) % this.capacity;
    for (let i = 0; i < this.size; i += 1) {
      const entry = this.entries[(start + i) % this.capacity];
      if (entry !== undefined) out.push(entry);
    }
    return out;
  }

  get length(): number {
    return this.size;
  }

  onDidAppend(listener: (entry: ActivityEntry) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }
}
