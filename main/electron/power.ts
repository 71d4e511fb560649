// After sleep or a locked screen, timers may have fired late or not at all: every profile is
// re-evaluated at once (docs/refreshing.md).
import type { PowerMonitor } from 'electron';
import type { Engine } from '../core/types.js';

export type PowerMonitorLike = Pick<PowerMonitor, 'on' | 'removeListener'>;

export function setupPower(engine: Pick<Engine, 'reevaluate'>, powerMonitor: PowerMonitorLike): () => void {
  const reevaluate = () => engine.reevaluate();
  powerMonitor.on('resume', reevaluate);
  powerMonitor.on('unlock-screen', reevaluate);
  return () => {
    powerMonitor.removeListener('resume', reevaluate);
    powerMonitor.removeListener('unlock-screen', reevaluate);
  };
}
