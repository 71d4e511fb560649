// The import rules of eslint.config.js, run by the real ESLint on probe sources at the paths they
// guard: the core stays free of electron, and the server and the engine never follow the desktop's
// decisions (window policy, tray, notifications, clipboard guard, start at login).
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { ESLint } from 'eslint';

const ROOT = resolve(import.meta.dirname, '../..');
const eslint = new ESLint({ cwd: ROOT });

async function restrictedImports(file: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath: resolve(ROOT, file) });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('import layering', () => {
  it('keeps electron out of main/core, api and engine included', async () => {
    for (const file of ['main/core/probe.ts', 'main/core/api/probe.ts', 'main/core/engine/probe.ts']) {
      const found = await restrictedImports(file, "import { app } from 'electron';\nexport const probe = app;\n");
      assert.equal(found.length, 1, `${file}: ${JSON.stringify(found)}`);
    }
  });

  it('keeps main/core/api and main/core/engine from the desktop decisions', async () => {
    const desktop = ['../desktop/window-policy.js', '../desktop/tray-model.js', '../desktop/tray-actions.js', '../desktop/notification-policy.js', '../desktop/notification-wiring.js', '../desktop/clipboard-guard.js', '../desktop/start-at-login.js', '../desktop/a-new-decision.js'];
    for (const dir of ['api', 'engine']) {
      for (const spec of desktop) {
        const found = await restrictedImports(`main/core/${dir}/probe.ts`, `import * as probe from '${spec}';\nexport { probe };\n`);
        assert.equal(found.length, 1, `main/core/${dir} importing ${spec}: ${JSON.stringify(found)}`);
        assert.match(found[0] ?? '', /desktop decisions/);
      }
    }
  });

  it('lets the server and the engine use what every host shares', async () => {
    for (const spec of ['./dashboard-files.js', '../errors.js', '../types.js', '../storage/config-store.js', '../clients/client-keys.js']) {
      assert.deepEqual(await restrictedImports('main/core/api/probe.ts', `import * as probe from '${spec}';\nexport { probe };\n`), []);
    }
    // The desktop code itself may of course use its own decisions.
    assert.deepEqual(await restrictedImports('main/electron/probe.ts', "import * as probe from '../core/desktop/window-policy.js';\nexport { probe };\n"), []);
  });

  it('keeps raw IPC inside the typed wrappers', async () => {
    const found = await restrictedImports('main/electron/probe.ts', "import { ipcMain } from 'electron';\nexport const probe = ipcMain;\n");
    assert.equal(found.length, 1);
  });
});
