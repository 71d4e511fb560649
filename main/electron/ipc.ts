// The only place that touches ipcMain and webContents.send (eslint.config.js enforces it). Every
// channel of the contract is registered with ipcMain.handle; each call is answered only when its
// sender is the top frame of our own dashboard window showing our own page, and its payload is
// validated by dispatchRpc against the contract's schema, so a bad payload gets an error value,
// never a crash (docs/desktop.md).
import type { IpcMainInvokeEvent, WebContents } from 'electron';
import { EVENT_CHANNEL, ipcRequestSchemas, type EngineEvent, type Result } from '../../common/contract.js';
import { dispatchRpc, type RpcHandlers } from '../core/rpc.js';
import { isTrustedSender, type SenderInfo } from '../core/desktop/window-policy.js';

/** The part of ipcMain we use; tests pass a registry of their own. */
export interface IpcMainLike {
  handle(channel: string, listener: (event: IpcMainInvokeEvent, ...args: unknown[]) => unknown): void;
  removeHandler(channel: string): void;
}

export interface SetupIpcOptions {
  handlers: RpcHandlers;
  /** webContents.id of the dashboard window, or null while there is none. */
  getDashboardWebContentsId: () => number | null;
  /** Defaults to Electron's ipcMain. */
  ipcMain?: IpcMainLike;
  /** Told about refused senders (no payloads: they may hold secrets). */
  onRefused?: (channel: string, reason: string) => void;
}

export const UNTRUSTED_SENDER_ERROR = {
  kind: 'usage',
  message: 'This request did not come from the Tokentray dashboard.',
} as const;

/** Reads who sent an invoke, tolerating a frame that is already gone. */
export function senderInfoOf(event: IpcMainInvokeEvent): SenderInfo {
  const frame = event.senderFrame;
  return {
    webContentsId: event.sender.id,
    frameUrl: frame ? frame.url : null,
    isMainFrame: frame ? frame.parent === null : false,
  };
}

/** The handler ipcMain calls for one channel: checks the sender, then validates and runs. */
export function createInvokeHandler(
  channel: string,
  options: Pick<SetupIpcOptions, 'handlers' | 'getDashboardWebContentsId' | 'onRefused'>,
): (event: IpcMainInvokeEvent, ...args: unknown[]) => Promise<Result<unknown>> {
  return async (event, ...args) => {
    let trusted: boolean;
    try {
      trusted = isTrustedSender(senderInfoOf(event), options.getDashboardWebContentsId());
    } catch {
      trusted = false;
    }
    if (!trusted) {
      options.onRefused?.(channel, 'untrusted sender');
      return { ok: false, error: { ...UNTRUSTED_SENDER_ERROR } };
    }
    return dispatchRpc(options.handlers, channel, args);
  };
}

/** Registers every contract channel; returns a function that removes them again. */
export async function setupIpc(options: SetupIpcOptions): Promise<() => void> {
  const ipcMain: IpcMainLike = options.ipcMain ?? (await import('electron')).ipcMain;
  const channels = Object.keys(ipcRequestSchemas);
  for (const channel of channels) ipcMain.handle(channel, createInvokeHandler(channel, options));
  return () => {
    for (const channel of channels) ipcMain.removeHandler(channel);
  };
}

/** The part of WebContents the event push needs. */
export type EventSink = Pick<WebContents, 'isDestroyed' | 'send' | 'getURL'>;

/**
 * Pushes engine events to the dashboard on EVENT_CHANNEL. Only to our own page: if the window
 * somehow shows anything else, it gets nothing.
 */
export function pushEngineEvent(target: EventSink | null, event: EngineEvent, isOwnPage: (url: string) => boolean): boolean {
  if (!target || target.isDestroyed() || !isOwnPage(target.getURL())) return false;
  target.send(EVENT_CHANNEL, event);
  return true;
}
