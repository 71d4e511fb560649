// The activity log the dashboard shows (SPEC section 6): refreshes, failures and which client key
// fetched which token. A ring buffer, so a long-running app keeps the newest entries in bounded memory.
import type { ActivityEntry } from '../../common/contract.js';

export const DEFAULT_ACTIVITY_CAPACITY = 1000;

export class ActivityLog {
  private readonly entries: (ActivityEntry | undefined)[];
  private next = 0;
  private size = 0;
  private seq = 0;
  private readonly listeners = new Set<(entry: ActivityEntry) => void>();

  constructor(private readonly capacity: number = DEFAULT_ACTIVITY_CAPACITY) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a positive integer');
    this.entries = new Array<ActivityEntry | undefined>(capacity);
  }

  /** Adds an entry stamped with the next sequence number and the given time; returns it. */
  append(entry: Omit<ActivityEntry, 'seq' | 'at'>, at: number): ActivityEntry {
    this.seq += 1;
    // seq and at are the log's own, whatever the caller's object carries.
    const full: ActivityEntry = { ...entry, seq: this.seq, at: new Date(at).toISOString() };
    this.entries[this.next] = full;
    this.next = (this.next + 1) % this.capacity;
    if (this.size < this.capacity) this.size += 1;
    for (const listener of [...this.listeners]) listener(full);
    return full;
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
