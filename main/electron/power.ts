// After sleep or a locked screen, timers may have fired late or not at all: the host re-evaluates
// every profile at once on these events, beside its own wall-versus-monotonic clock check
// (main/node/clock-jumps.ts), which also covers headless mode.
import type { PowerMonitor } from 'electron';

export type PowerMonitorLike = Pick<PowerMonitor, 'on' | 'removeListener'>;

/** Calls the listener on resume and on unlocking the screen; returns unsubscribe. */
export function onPowerResume(powerMonitor: PowerMonitorLike, listener: () => void): () => void {
  const resumed = (): void => listener();
  powerMonitor.on('resume', resumed);
  powerMonitor.on('unlock-screen', resumed);
  return () => {
    powerMonitor.removeListener('resume', resumed);
    powerMonitor.removeListener('unlock-screen', resumed);
  };
}
