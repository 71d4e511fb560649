// The options main/index.ts gives the one host lifecycle (main/node/host.ts), under plain Node since
// Electron cannot run here: a config directory with the given settings, the file vault, a free
// port, the tray's lenient policies, and the log and the person's lines kept for assertions.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createLogger } from '../../main/core/logger.js';
import { openFileStore } from '../../main/node/file-store.js';
import type { HostOptions } from '../../main/node/host.js';

export interface TrayHostSetup {
  configDir: string;
  options: HostOptions;
  /** Log lines and the lines said to the person, in order. */
  lines: string[];
}

let made = 0;

/**
 * A new config directory under `root` holding `settings`, and the tray's host options with `env`
 * (merged over a vault passphrase and a socket path of its own).
 */
export async function trayHost(root: string, settings: Record<string, unknown>, env: NodeJS.ProcessEnv, passphrase: string): Promise<TrayHostSetup> {
  made += 1;
  const n = made;
  const configDir = join(root, `tray-${n}`);
  await mkdir(configDir, { recursive: true });
  const written = openFileStore(configDir).store;
  written.updateSettings(settings);
  written.close();
  const lines: string[] = [];
  const options: HostOptions = {
    mode: 'tray',
    configDir,
    version: '0.0.0-test',
    env: { TOKENTRAY_VAULT_PASSPHRASE: passphrase, TOKENTRAY_SOCKET: join(root, `tray-${n}.sock`), ...env },
    openStore: () => openFileStore(configDir),
    vaultFlag: 'file',
    port: 0,
    busyPort: 'fall-back',
    refusedSocket: 'warn',
    brokenConfig: 'continue',
    badSharedCache: 'warn',
    logger: createLogger({ scope: '[engine]', level: 'debug', write: (line) => lines.push(line) }),
    say: (line) => lines.push(line),
    clipboard: { copy: async () => false },
    onResume: () => () => undefined,
  };
  return { configDir, options, lines };
}
