// One small typed emitter for every `onX(listener)` in main/core and the dashboard: on() returns its
// own unsubscribe function, and a listener that throws is reported without stopping the others or
// the code that emitted (the engine's events must reach every window, socket and tray).

export type Listener<T> = (value: T) => void;

/** Where a throwing listener is reported: the page's reportError, else the console. */
function reportListenerError(error: unknown): void {
  const report = (globalThis as { reportError?: (error: unknown) => void }).reportError;
  if (typeof report === 'function') report(error);
  else console.error('tokentray: an event listener failed', error);
}

export class Emitter<T = void> {
  readonly #listeners = new Set<Listener<T>>();
  readonly #onError: (error: unknown) => void;

  /** `onError` receives what a listener threw (a module passes its logger's error). */
  constructor(onError: (error: unknown) => void = reportListenerError) {
    this.#onError = onError;
  }

  /** Adds a listener; the function returned removes it (calling it twice is harmless). */
  on(listener: Listener<T>): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /**
   * Calls every listener with `value`, in the order they were added. No copy is made (the engine
   * emits on its hot path): a listener removed during an emit is skipped, one added may be called.
   */
  emit(value: T): void {
    if (this.#listeners.size === 0) return;
    for (const listener of this.#listeners) {
      try {
        listener(value);
      } catch (error) {
        this.#onError(error);
      }
    }
  }

  get size(): number {
    return this.#listeners.size;
  }

  clear(): void {
    this.#listeners.clear();
  }
}
