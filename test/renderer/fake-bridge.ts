// A TokentrayBridge for component tests: records every call, answers from per-channel handlers, and
// lets a test push engine events as main would.
import type { EngineEvent, IpcChannel, IpcResponses, Result, TokentrayBridge } from '../../common/contract.js';

export type Handlers = { [C in IpcChannel]?: (...args: unknown[]) => Result<IpcResponses[C]> | Promise<Result<IpcResponses[C]>> };

export interface FakeBridge extends TokentrayBridge {
  calls: Array<{ channel: IpcChannel; args: unknown[] }>;
  handlers: Handlers;
  emit(event: EngineEvent): void;
  callsTo(channel: IpcChannel): unknown[][];
}

export function createFakeBridge(handlers: Handlers = {}, transport: 'ipc' | 'http' = 'ipc'): FakeBridge {
  const listeners = new Set<(event: EngineEvent) => void>();
  const calls: FakeBridge['calls'] = [];
  const bridge: FakeBridge = {
    transport,
    calls,
    handlers,
    async invoke(channel, ...args) {
      calls.push({ channel, args });
      const handler = bridge.handlers[channel] as ((...a: unknown[]) => unknown) | undefined;
      if (!handler) return { ok: false, error: { kind: 'internal', message: `no fake handler for ${channel}` } };
      return (await handler(...args)) as never;
    },
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    emit(event) {
      for (const l of [...listeners]) l(event);
    },
    callsTo(channel) {
      return calls.filter((c) => c.channel === channel).map((c) => c.args);
    },
  };
  return bridge;
}

export const ok = <T>(value: T): { ok: true; value: T } => ({ ok: true, value });
