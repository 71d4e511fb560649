// A promise whose outcome can be read synchronously once it is in: the page's first answers are
// asked before anything renders, and the first render uses those already in.
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

