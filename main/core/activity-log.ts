// The activity log the dashboard shows (docs/desktop.md): refreshes, failures and which client key
// fetched which token. A ring buffer, so a long-running app keeps the newest entries in bounded memory.
import type { ActivityEntry, ActivityKind } from '../../common/contract.js';
import { ACTIVITY_KEEP_ENTRIES, type ActivityFields, type KeptActivity } from './engine/history.js';
import { isoTime } from './engine/iso-time.js';

/** The log in memory holds what is kept on disk, so a restart shows the same entries. */
export const DEFAULT_ACTIVITY_CAPACITY = ACTIVITY_KEEP_ENTRIES;

/** One place in the ring, rewritten in place when the ring comes round. */
interface Slot extends ActivityFields {
  seq: number;
}

export class ActivityLog {
  private readonly slots: Slot[] = [];
  private next = 0;
  private size = 0;
  private seq = 0;
  private lastAt = Number.NaN;
  private lastIso = '';

  constructor(private readonly capacity: number = DEFAULT_ACTIVITY_CAPACITY) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a positive integer');
  }

  /**
   * Adds an entry stamped with the next sequence number and the given time. Every token the loopback
   * API hands out comes here, thousands a second under load, so nothing is allocated once the ring is
   * full: the oldest slot is overwritten field by field. (A new object per entry, each living for a
   * thousand entries, cost the garbage collector more than the rest of answering the request.)
   */
  append(at: number, kind: ActivityKind, profileId?: string, client?: string, detail?: string): void {
    this.seq += 1;
    const slot = this.slots[this.next];
    if (slot === undefined) {
      this.slots[this.next] = { seq: this.seq, at, kind, profileId, client, detail };
    } else {
      slot.seq = this.seq;
      slot.at = at;
      slot.kind = kind;
      slot.profileId = profileId;
      slot.client = client;
      slot.detail = detail;
    }
    this.next = this.next + 1 === this.capacity ? 0 : this.next + 1;
    if (this.size < this.capacity) this.size += 1;
  }

  /** The entry added last, or undefined when the log is empty. */
  newest(): ActivityEntry | undefined {
    if (this.size === 0) return undefined;
    return this.toEntry(this.slots[(this.next - 1 + this.capacity) % this.capacity] as Slot);
  }

  /** Oldest first. */
  list(): ActivityEntry[] {
    const out: ActivityEntry[] = [];
    const start = (this.next - this.size + this.capacity) % this.capacity;
    for (let i = 0; i < this.size; i += 1) out.push(this.toEntry(this.slots[(start + i) % this.capacity] as Slot));
    return out;
  }

  get length(): number {
    return this.size;
  }

  /** The sequence number of the newest entry; 0 before the first. */
  get lastSeq(): number {
    return this.seq;
  }

  /** The entries after sequence number `seq` that the ring still holds, oldest first, as kept on disk. */
  since(seq: number): KeptActivity[] {
    const out: KeptActivity[] = [];
    this.forEachSince(seq, (slot) => {
      const kept: KeptActivity = { at: slot.at, kind: slot.kind };
      if (slot.profileId !== undefined) kept.profileId = slot.profileId;
      if (slot.client !== undefined) kept.client = slot.client;
      if (slot.detail !== undefined) kept.detail = slot.detail;
      out.push(kept);
    });
    return out;
  }

  /** Visits the slots after sequence number `seq`, oldest first; a slot is reused once the ring comes round. */
  forEachSince(seq: number, visit: (entry: Readonly<ActivityFields>) => void): void {
    const count = Math.min(this.size, this.seq - seq);
    for (let i = count; i > 0; i -= 1) visit(this.slots[(this.next - i + this.capacity) % this.capacity] as Slot);
  }

  /**
   * Puts entries kept by an earlier run before the ones this run has added, and numbers them all
   * again from 1 (a start-up step: nobody has seen this run's numbers yet).
   */
  restore(kept: readonly KeptActivity[]): void {
    const added = this.since(0);
    this.slots.length = 0;
    this.next = 0;
    this.size = 0;
    this.seq = 0;
    for (const entry of [...kept, ...added]) this.append(entry.at, entry.kind, entry.profileId, entry.client, entry.detail);
  }

  /** A copy of a slot as the contract's entry: callers keep it while the slot is reused. */
  private toEntry(slot: Slot): ActivityEntry {
    const entry: ActivityEntry = { seq: slot.seq, at: this.isoOf(slot.at), kind: slot.kind };
    if (slot.profileId !== undefined) entry.profileId = slot.profileId;
    if (slot.client !== undefined) entry.client = slot.client;
    if (slot.detail !== undefined) entry.detail = slot.detail;
    return entry;
  }

  /** Neighbouring entries often share a millisecond: format each millisecond once. */
  private isoOf(at: number): string {
    if (at !== this.lastAt) {
      this.lastAt = at;
      this.lastIso = isoTime(at);
    }
    return this.lastIso;
  }
}
