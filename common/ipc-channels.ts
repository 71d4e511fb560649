// The IPC channel names as plain strings, with no imports, so the sandboxed preload can refuse
// unknown channels without bundling zod. common/contract.ts re-exports the list, and
// test/unit/preload-bridge.test.ts checks it equals the keys of ipcRequestSchemas.

export const IPC_CHANNELS = [
  'profiles:list',
  'profiles:get',
  'profiles:save',
  'profiles:test',
  'profiles:remove',
  'profiles:refresh',
  'profiles:pause',
  'tokens:get',
  'tokens:headers',
  'activity:list',
  'settings:get',
  'settings:update',
  'clients:list',
  'clients:add',
  'clients:remove',
  'clipboard:copy',
  'vault:state',
  'vault:create',
  'vault:unlock',
  'vault:lock',
  'vault:strength',
  'vault:passphrase',
  'api:address',
  'fleet:status',
  'fleet:join',
  'fleet:leave',
] as const;

/** Same value as EVENT_CHANNEL in common/contract.ts. */
export const IPC_EVENT_CHANNEL = 'events:engine';

/** `domain:verb`, as IPC_CHANNEL_PATTERN in common/contract.ts. */
export const IPC_CHANNEL_NAME_PATTERN = /^[a-z]+:[a-z-]+$/;
