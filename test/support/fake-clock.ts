// A Clock that tests and the benchmark drive by hand. advance() fires due timers in time order and
// lets promise chains settle between them (so a timer's refresh completes before the next fires);
// jump() moves wall time without firing anything, like a laptop lid closing.
import type { Clock, TimerHandle } from '../../main/core/clock.js';

interface FakeTimer {
  id: number;
  due: number;
  callback: () => void;
}

/** Lets every pending promise continuation (and process.nextTick) run. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export class FakeClock implements Clock {
  private current: number;
  private nextId = 1;
  // A binary min-heap ordered by (due, id), so 1,000 profiles' timers stay cheap.
  private heap: FakeTimer[] = [];
  private readonly cancelled = new Set<number>();
  private readonly live = new Set<number>();
  /** How many timer callbacks have run, for benchmarks. */
  fired = 0;

  constructor(start = Date.UTC(2025, 0, 1, 12, 0, 0)) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    const timer: FakeTimer = { id: this.nextId++, due: this.current + Math.max(0, ms), callback };
    this.push(timer);
    this.live.add(timer.id);
    return { id: timer.id };
  }

  clearTimeout(handle: TimerHandle): void {
    const id = (handle as { id?: number }).id;
    if (typeof id === 'number' && this.live.delete(id)) this.cancelled.add(id);
  }

  /** Moves time forward by ms, firing every timer that falls due on the way, in order. */
  async advance(ms: number): Promise<void> {
    const target = this.current + ms;
    await settle();
    for (;;) {
      const top = this.peek();
      if (top === undefined || top.due > target) break;
      // Timers due at the same instant fire together, then promises settle once.
      const due = top.due;
      if (due > this.current) this.current = due;
      while (this.peek() !== undefined && this.peek()!.due <= due) {
        const timer = this.pop()!;
        this.live.delete(timer.id);
        this.fired += 1;
        timer.callback();
      }
      await settle();
    }
    this.current = Math.max(this.current, target);
    await settle();
  }

  /** Runs every timer due now (after a jump, overdue timers fire late, as after a real sleep). */
  async runDue(): Promise<void> {
    await this.advance(0);
  }

  /** Moves wall time by ms without firing timers. */
  jump(ms: number): void {
    this.current += ms;
  }

  pendingTimers(): number {
    return this.live.size;
  }

  /** When the earliest pending timer is due, or null. */
  nextTimerAt(): number | null {
    return this.peek()?.due ?? null;
  }

  private peek(): FakeTimer | undefined {
    this.drainCancelled();
    return this.heap[0];
  }

  private drainCancelled(): void {
    while (this.heap.length > 0 && this.cancelled.has(this.heap[0]!.id)) {
      this.cancelled.delete(this.heap[0]!.id);
      this.pop();
    }
  }

  private less(a: FakeTimer, b: FakeTimer): boolean {
    return a.due < b.due || (a.due === b.due && a.id < b.id);
  }

  private push(timer: FakeTimer): void {
    const heap = this.heap;
    heap.push(timer);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  private pop(): FakeTimer | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0 && last !== undefined) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let smallest = i;
        if (l < heap.length && this.less(heap[l]!, heap[smallest]!)) smallest = l;
        if (r < heap.length && this.less(heap[r]!, heap[smallest]!)) smallest = r;
        if (smallest === i) break;
        [heap[i], heap[smallest]] = [heap[smallest]!, heap[i]!];
        i = smallest;
      }
    }
    return top;
  }
}
