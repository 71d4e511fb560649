import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EVENT_CHANNEL, IPC_CHANNEL_PATTERN, ipcRequestSchemas, type EngineEvent } from '../../common/contract.js';
import { IPC_CHANNELS, IPC_EVENT_CHANNEL } from '../../common/ipc-channels.js';
import { createBridge, type IpcRendererLike } from '../../preload/bridge.js';

type Listener = (event: unknown, ...args: unknown[]) => void;

/** Stands in for ipcRenderer: records invokes, and lets the test emit pushes like main would. */
class FakeIpcRenderer implements IpcRendererLike {
  invoked: Array<[string, unknown[]]> = [];
  listeners = new Map<string, Set<Listener>>();
  answer: unknown = { ok: true, value: [] };
  async invoke(channel: string, ...args: unknown[]): Promise<unknown> {
    this.invoked.push([channel, args]);
    if (this.answer instanceof Error) throw this.answer;
    return this.answer;
  }
  on(channel: string, listener: Listener): this {
    if (!this.listeners.has(channel)) this.listeners.set(channel, new Set());
    this.listeners.get(channel)?.add(listener);
    return this;
  }
  removeListener(channel: string, listener: Listener): this {
    this.listeners.get(channel)?.delete(listener);
    return this;
  }
  emit(channel: string, payload: unknown): void {
    for (const listener of this.listeners.get(channel) ?? []) listener({ sender: 'ipc-internals' }, payload);
  }
}

describe('preload bridge', () => {
  it('lists exactly the contract channels, all domain:verb, and the same event channel', () => {
    assert.deepEqual([...IPC_CHANNELS].sort(), Object.keys(ipcRequestSchemas).sort());
    for (const channel of IPC_CHANNELS) assert.match(channel, IPC_CHANNEL_PATTERN);
    assert.equal(IPC_EVENT_CHANNEL, EVENT_CHANNEL);
  });

  it('forwards contract channels with their arguments and returns main\'s answer', async () => {
    const ipc = new FakeIpcRenderer();
    const bridge = createBridge(ipc);
    assert.equal(bridge.transport, 'ipc');
    ipc.answer = { ok: true, value: { copied: true } };
    assert.deepEqual(await bridge.invoke('clipboard:copy', 'acquia-prod', 'token'), { ok: true, value: { copied: true } });
    assert.deepEqual(ipc.invoked, [['clipboard:copy', ['acquia-prod', 'token']]]);
  });

  it('refuses any other channel without sending it to main', async () => {
    const ipc = new FakeIpcRenderer();
    const bridge = createBridge(ipc);
    const invoke = bridge.invoke as (channel: string, ...args: unknown[]) => Promise<unknown>;
    for (const channel of ['events:engine', 'shell:openExternal', 'profiles:LIST', 'profiles', '', 'constructor', '__proto__']) {
      const result = (await invoke(channel)) as { ok: boolean };
      assert.equal(result.ok, false, channel);
    }
    assert.equal(((await invoke(42 as unknown as string)) as { ok: boolean }).ok, false);
    assert.deepEqual(ipc.invoked, []);
  });

  it('answers with an error value when main is gone', async () => {
    const ipc = new FakeIpcRenderer();
    ipc.answer = new Error('An object could not be cloned');
    const result = await createBridge(ipc).invoke('profiles:list');
    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.error.kind, 'app_unavailable');
  });

  it('delivers pushes without the IPC event, and onEvent returns its own unsubscribe', () => {
    const ipc = new FakeIpcRenderer();
    const bridge = createBridge(ipc);
    const seen: unknown[][] = [];
    const off = bridge.onEvent((...args: unknown[]) => seen.push(args));
    const other = bridge.onEvent(() => undefined);
    const event: EngineEvent = { type: 'profile-removed', id: 'a' };
    ipc.emit(EVENT_CHANNEL, event);
    assert.deepEqual(seen, [[event]]);
    off();
    off();
    ipc.emit(EVENT_CHANNEL, event);
    assert.equal(seen.length, 1);
    assert.equal(ipc.listeners.get(EVENT_CHANNEL)?.size, 1);
    other();
    assert.equal(ipc.listeners.get(EVENT_CHANNEL)?.size, 0);
  });

  it('is frozen so the page cannot swap its functions', () => {
    const bridge = createBridge(new FakeIpcRenderer());
    assert.throws(() => {
      (bridge as { invoke: unknown }).invoke = () => undefined;
    });
  });
});
