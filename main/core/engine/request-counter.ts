// Upstream token requests per profile over the last 24 hours (docs/http-api.md: "how many token
// requests went upstream in the last hour and day", for rate limits). Exact to the millisecond: each
// request is a Uint32 offset from a base time in a circular buffer that grows by half when full, so a
// profile refreshing every 225 s (384 requests a day) keeps about 1.6 KB (< 5 KB a profile).
const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
/** Offsets stay below 2^31 ms (24.8 days); past that the base moves up (kept offsets are < 1 day). */
const REBASE_AFTER_MS = 2 ** 31;

export class RequestCounter {
  private buffer = new Uint32Array(16);
  private base = Number.NaN;
  private head = 0;
  private count = 0;

  add(at: number): void {
    this.prune(at);
    if (Number.isNaN(this.base) || this.count === 0) {
      this.base = at;
    } else if (at - this.base >= REBASE_AFTER_MS) {
      this.rebase(at - DAY_MS);
    }
    if (this.count === this.buffer.length) this.grow();
    // Clock steps backwards are clamped to the base: an offset is never negative.
    this.buffer[(this.head + this.count) % this.buffer.length] = Math.max(0, Math.round(at - this.base));
    this.count += 1;
  }

  /** Every time still held, oldest first. */
  times(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.count; i += 1) out.push(this.at(i));
    return out;
  }

  clear(): void {
    this.head = 0;
    this.count = 0;
    this.base = Number.NaN;
  }

  lastHour(now: number): number {
    return this.since(now - HOUR_MS);
  }

  lastDay(now: number): number {
    return this.since(now - DAY_MS);
  }

  /** Reading changes nothing (old timestamps are dropped on add): a status read is only a read. */
  private since(from: number): number {
    // Timestamps are appended in time order, so a binary search finds the first one inside the window.
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.at(mid) <= from) lo = mid + 1;
      else hi = mid;
    }
    return this.count - lo;
  }

  private at(index: number): number {
    return this.base + (this.buffer[(this.head + index) % this.buffer.length] ?? 0);
  }

  private prune(now: number): void {
    while (this.count > 0 && this.at(0) <= now - DAY_MS) {
      this.head = (this.head + 1) % this.buffer.length;
      this.count -= 1;
    }
  }

  private rebase(newBase: number): void {
    const shift = Math.round(newBase - this.base);
    for (let i = 0; i < this.count; i += 1) {
      const slot = (this.head + i) % this.buffer.length;
      this.buffer[slot] = Math.max(0, (this.buffer[slot] ?? 0) - shift);
    }
    this.base += shift;
  }

  private grow(): void {
    const next = new Uint32Array(Math.ceil(this.buffer.length * 1.5));
    for (let i = 0; i < this.count; i += 1) next[i] = this.buffer[(this.head + i) % this.buffer.length] ?? 0;
    this.buffer = next;
    this.head = 0;
  }
}
