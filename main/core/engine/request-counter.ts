// Upstream token requests per profile over the last 24 hours (SPEC section 4: "how many token
// requests went upstream in the last hour and day", for rate limits). Timestamps live in a growable
// circular Float64Array, so 1,000 profiles refreshing every 225 s cost about 3 KB each.
const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

export class RequestCounter {
  private buffer = new Float64Array(16);
  private head = 0;
  private count = 0;

  add(at: number): void {
    this.prune(at);
    if (this.count === this.buffer.length) this.grow();
    this.buffer[(this.head + this.count) % this.buffer.length] = at;
    this.count += 1;
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
    return this.buffer[(this.head + index) % this.buffer.length] ?? 0;
  }

  private prune(now: number): void {
    while (this.count > 0 && this.at(0) <= now - DAY_MS) {
      this.head = (this.head + 1) % this.buffer.length;
      this.count -= 1;
    }
  }

  private grow(): void {
    const next = new Float64Array(this.buffer.length * 2);
    for (let i = 0; i < this.count; i += 1) next[i] = this.at(i);
    this.buffer = next;
    this.head = 0;
  }
}
