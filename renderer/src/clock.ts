// One ticking clock for the whole page: countdowns and lifetime bars are computed locally from
// obtainedAt/expiresAt, so the server is never polled (issue #6: "without polling").
import { useSyncExternalStore } from 'react';

const listeners = new Set<() => void>();
let timer: ReturnType<typeof setInterval> | null = null;
let current = Date.now();

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  if (!timer) {
    current = Date.now();
    timer = setInterval(() => {
      current = Date.now();
      for (const l of [...listeners]) l();
    }, 1000);
  }
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0 && timer) {
      clearInterval(timer);
      timer = null;
    }
  };
}

/** The current time in ms, updated once a second while any component shows it. */
export function useNow(): number {
  return useSyncExternalStore(subscribe, () => current);
}
