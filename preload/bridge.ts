// The bridge the dashboard sees as `window.tokentray` (TokentrayBridge). It is built from a
// structural ipcRenderer so it is unit-tested under Node; preload/index.ts hands it the real one
// and exposes the result through contextBridge, never ipcRenderer itself (docs/desktop.md).
import type { EngineEvent, IpcChannel, Result, TokentrayBridge } from '../common/contract.js';
import { IPC_CHANNELS, IPC_CHANNEL_NAME_PATTERN, IPC_EVENT_CHANNEL } from '../common/ipc-channels.js';

/** The part of ipcRenderer the bridge uses. */
export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
  removeListener(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
}

const KNOWN: ReadonlySet<string> = new Set(IPC_CHANNELS);

export function createBridge(ipc: IpcRendererLike): TokentrayBridge {
  const invoke = async (channel: string, ...args: unknown[]): Promise<Result<unknown>> => {
    // Refuse before anything crosses the process boundary: only contract channels, only domain:verb.
    if (typeof channel !== 'string' || !IPC_CHANNEL_NAME_PATTERN.test(channel) || !KNOWN.has(channel)) {
      return { ok: false, error: { kind: 'usage', message: 'Unknown request channel.' } };
    }
    try {
      return (await ipc.invoke(channel, ...args)) as Result<unknown>;
    } catch {
      return { ok: false, error: { kind: 'app_unavailable', message: 'The Tokentray app did not answer.', hint: 'Restart Tokentray.' } };
    }
  };
  const bridge = {
    transport: 'ipc' as const,
    invoke: invoke as TokentrayBridge['invoke'],
    onEvent(listener: (event: EngineEvent) => void): () => void {
      if (typeof listener !== 'function') return () => undefined;
      // The IpcRendererEvent stays here: it carries the sender object, which the page must not get.
      const wrapped = (_event: unknown, payload: unknown) => listener(payload as EngineEvent);
      ipc.on(IPC_EVENT_CHANNEL, wrapped);
      let subscribed = true;
      return () => {
        if (!subscribed) return;
        subscribed = false;
        ipc.removeListener(IPC_EVENT_CHANNEL, wrapped);
      };
    },
  };
  return Object.freeze(bridge);
}

/** Exported so tests can check the channel names match the contract. */
export function isKnownChannel(channel: string): channel is IpcChannel {
  return KNOWN.has(channel);
}
