// A promise whose outcome can be read synchronously once it is in: the page's first answers are
// asked before anything renders, and the first render uses those already in (issue 16).
export interface Settling<T> {
  readonly promise: Promise<T>;
  /** Set once the promise has fulfilled. */
  readonly settled: { value: T } | null;
}

export function settling<T>(promise: Promise<T>): Settling<T> {
  const tracked: { promise: Promise<T>; settled: { value: T } | null } = { promise, settled: null };
  promise.then(
    (value) => {
      tracked.settled = { value };
    },
    () => undefined,
  );
  return tracked;
}

/** Resolves when `promise` settles or after `ms`, whichever comes first; never rejects. */
export function settledOrAfter(promise: Promise<unknown>, ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    const done = (): void => {
      clearTimeout(timer);
      resolve();
    };
    promise.then(done, done);
  });
}

/**
 * Runs `work` in a task of its own, ahead of other waiting tasks where the browser can (a 0 ms
 * timer can wait behind the page's loading tasks), with a timer where it cannot.
 */
export function soon(work: () => void): void {
  const scheduler = (globalThis as { scheduler?: { postTask?: (cb: () => void, o: object) => Promise<unknown> } }).scheduler;
  if (typeof scheduler?.postTask === 'function') void scheduler.postTask(work, { priority: 'user-blocking' }).catch(() => {});
  else setTimeout(work, 0);
}
