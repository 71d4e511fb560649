import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import type { IpcMainInvokeEvent } from 'electron';
import { EVENT_CHANNEL, ipcRequestSchemas, type EngineEvent, type ProfileStatus, type Result } from '../../common/contract.js';
import type { RpcHandlers } from '../../main/core/rpc.js';
import { dashboardUrl, isAppUrl } from '../../main/core/desktop/window-policy.js';
import { pushEngineEvent, setupIpc, type IpcMainLike } from '../../main/electron/ipc.js';
import { statusFixture } from '../support/status-fixture.js';

/** Stands in for Electron's ipcMain: a registry of handlers the test invokes like the renderer would. */
class FakeIpcMain implements IpcMainLike {
  readonly handlers = new Map<string, (event: IpcMainInvokeEvent, ...args: unknown[]) => unknown>();
  handle(channel: string, listener: (event: IpcMainInvokeEvent, ...args: unknown[]) => unknown): void {
    if (this.handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
    this.handlers.set(channel, listener);
  }
  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }
  async invoke(channel: string, event: IpcMainInvokeEvent, ...args: unknown[]): Promise<Result<unknown>> {
    const handler = this.handlers.get(channel);
    if (!handler) throw new Error(`No handler registered for '${channel}'`);
    return (await handler(event, ...args)) as Result<unknown>;
  }
}

interface FakeFrame {
  url: string;
  parent: FakeFrame | null;
}

function invokeEvent(webContentsId: number, frame: FakeFrame | null): IpcMainInvokeEvent {
  // Only the fields the wrapper reads; Electron's event has many more.
  return { sender: { id: webContentsId }, senderFrame: frame, processId: 1, frameId: 1 } as unknown as IpcMainInvokeEvent;
}

const DASHBOARD_ID = 7;
const topFrame: FakeFrame = { url: dashboardUrl('acquia-prod'), parent: null };

const sampleStatus: ProfileStatus = statusFixture({ id: 'acquia-prod', name: 'Acquia prod', provider: 'acquia', state: 'paused' });

describe('ipc wrapper', () => {
  let ipcMain: FakeIpcMain;
  let calls: Array<[string, unknown[]]>;
  let refused: string[];
  let dashboardId: number | null;
  let dispose: () => void;

  beforeEach(async () => {
    ipcMain = new FakeIpcMain();
    calls = [];
    refused = [];
    dashboardId = DASHBOARD_ID;
    const handlers = {
      'profiles:list': async () => {
        calls.push(['profiles:list', []]);
        return [sampleStatus];
      },
      'profiles:pause': async (id: string, paused: boolean) => {
        calls.push(['profiles:pause', [id, paused]]);
        return { ...sampleStatus, state: paused ? 'paused' : 'fresh' };
      },
      'tokens:get': async () => {
        throw new Error('upstream body with a secret: s3cr3t');
      },
    } as unknown as RpcHandlers;
    dispose = await setupIpc({
      handlers,
      ipcMain,
      getDashboardWebContentsId: () => dashboardId,
      onRefused: (channel, reason) => refused.push(`${channel}: ${reason}`),
    });
  });

  it('registers exactly the channels of the contract, all domain:verb, and removes them again', () => {
    assert.deepEqual([...ipcMain.handlers.keys()].sort(), Object.keys(ipcRequestSchemas).sort());
    dispose();
    assert.equal(ipcMain.handlers.size, 0);
  });

  it('answers the dashboard top frame with the handler result', async () => {
    const result = await ipcMain.invoke('profiles:list', invokeEvent(DASHBOARD_ID, topFrame));
    assert.deepEqual(result, { ok: true, value: [sampleStatus] });
    const paused = await ipcMain.invoke('profiles:pause', invokeEvent(DASHBOARD_ID, topFrame), 'acquia-prod', false);
    assert.equal(paused.ok, true);
    assert.deepEqual(calls, [['profiles:list', []], ['profiles:pause', ['acquia-prod', false]]]);
  });

  for (const [why, event] of [
    ['another webContents', invokeEvent(8, topFrame)],
    ['a subframe of the dashboard', invokeEvent(DASHBOARD_ID, { url: dashboardUrl(), parent: topFrame })],
    ['a remote page in the dashboard window', invokeEvent(DASHBOARD_ID, { url: 'https://evil.example/', parent: null })],
    ['a file:// page', invokeEvent(DASHBOARD_ID, { url: 'file:///tmp/index.html', parent: null })],
    ['a look-alike app:// host', invokeEvent(DASHBOARD_ID, { url: 'app://tokentray.evil/index.html', parent: null })],
    ['a destroyed frame', invokeEvent(DASHBOARD_ID, null)],
  ] as const) {
    it(`refuses ${why} without running the handler`, async () => {
      const result = await ipcMain.invoke('profiles:pause', event, 'acquia-prod', true);
      assert.equal(result.ok, false);
      assert.equal(!result.ok && result.error.kind, 'usage');
      assert.match(!result.ok ? result.error.message : '', /did not come from the Tokentray dashboard/);
      assert.deepEqual(calls, []);
      assert.deepEqual(refused, ['profiles:pause: untrusted sender']);
    });
  }

  it('refuses everyone while there is no dashboard window', async () => {
    dashboardId = null;
    const result = await ipcMain.invoke('profiles:list', invokeEvent(DASHBOARD_ID, topFrame));
    assert.equal(result.ok, false);
    assert.deepEqual(calls, []);
  });

  it('answers a malformed payload with an error value naming the field, never a throw, never the value', async () => {
    const event = invokeEvent(DASHBOARD_ID, topFrame);
    const badId = await ipcMain.invoke('profiles:pause', event, 'Not A Slug!', true);
    assert.equal(badId.ok, false);
    assert.match(!badId.ok ? badId.error.message : '', /The request was not valid/);
    assert.doesNotMatch(!badId.ok ? badId.error.message : '', /Not A Slug/);
    const wrongType = await ipcMain.invoke('profiles:pause', event, 'acquia-prod', 'yes');
    assert.equal(wrongType.ok, false);
    const extraArg = await ipcMain.invoke('profiles:list', event, 'surprise');
    assert.equal(extraArg.ok, false);
    const injected = await ipcMain.invoke('profiles:pause', event, { __proto__: { polluted: true } }, true);
    assert.equal(injected.ok, false);
    assert.deepEqual(calls, []);
  });

  it('turns a handler failure into plain-words error info without its message', async () => {
    const result = await ipcMain.invoke('tokens:get', invokeEvent(DASHBOARD_ID, topFrame), 'acquia-prod');
    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.error.kind, 'internal');
    assert.doesNotMatch(JSON.stringify(result), /s3cr3t/);
  });
});

describe('engine event push', () => {
  const event: EngineEvent = { type: 'profile-removed', id: 'acquia-prod' };
  function sink(url: string, destroyed = false) {
    const sent: Array<[string, unknown]> = [];
    return {
      sent,
      target: { isDestroyed: () => destroyed, getURL: () => url, send: (channel: string, payload: unknown) => sent.push([channel, payload]) },
    };
  }

  it('sends on the event channel to our own page', () => {
    const { sent, target } = sink(dashboardUrl());
    assert.equal(pushEngineEvent(target, event, isAppUrl), true);
    assert.deepEqual(sent, [[EVENT_CHANNEL, event]]);
  });

  it('sends nothing to a foreign page, a destroyed window or no window', () => {
    const foreign = sink('https://evil.example/');
    assert.equal(pushEngineEvent(foreign.target, event, isAppUrl), false);
    assert.deepEqual(foreign.sent, []);
    const destroyed = sink(dashboardUrl(), true);
    assert.equal(pushEngineEvent(destroyed.target, event, isAppUrl), false);
    assert.equal(pushEngineEvent(null, event, isAppUrl), false);
  });
});
