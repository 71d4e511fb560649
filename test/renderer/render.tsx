// Renders a piece of the dashboard with a fake bridge, the real store and the real context.
import './setup-dom.js';
import { render, type RenderResult } from './testing.js';
import type { ReactNode } from 'react';
import { createClipboard, type Clipboard } from '../../renderer/src/api/index.js';
import { DashboardProvider } from '../../renderer/src/context.js';
import { DashboardStore } from '../../renderer/src/store.js';
import type { FakeBridge } from './fake-bridge.js';

export function renderWithBridge(
  ui: ReactNode,
  bridge: FakeBridge,
  options: { clipboard?: Clipboard; start?: boolean } = {},
): RenderResult & { store: DashboardStore } {
  const store = new DashboardStore(bridge);
  if (options.start) store.start();
  const clipboard = options.clipboard ?? createClipboard(bridge, async () => {});
  const result = render(
    <DashboardProvider bridge={bridge} clipboard={clipboard} store={store}>
      {ui}
    </DashboardProvider>,
  );
  return Object.assign(result, { store });
}
