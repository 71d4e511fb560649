// The one module the dashboard talks to (STYLE.md "renderer/"): the preload bridge inside Electron,
// HTTP + server-sent events under `tokentray serve`. Components receive the bridge through context and
// never call fetch or IPC themselves.
import type { TokentrayBridge } from '../../../common/contract.js';
import { createHttpBridge, type DashboardBridge, type HttpBridgeOptions } from './http-bridge.js';

export { createHttpBridge } from './http-bridge.js';
export type { ConnectionState, DashboardBridge, HttpBridgeOptions, PageLocation, SessionStore } from './http-bridge.js';
export { createClipboard, type Clipboard, type CopyKind } from './clipboard.js';

/** `window.tokentray` when the preload put it there (the app), else the HTTP transport (headless). */
export function selectBridge(
  host: { tokentray?: TokentrayBridge } = globalThis as { tokentray?: TokentrayBridge },
  httpOptions: HttpBridgeOptions = {},
): DashboardBridge {
  const preload = host.tokentray;
  if (preload && typeof preload.invoke === 'function' && typeof preload.onEvent === 'function') return preload;
  return createHttpBridge(httpOptions);
}
