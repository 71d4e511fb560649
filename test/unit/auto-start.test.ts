import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { LinuxAutoStart, LoginItemAutoStart, launchCommand, linuxAutostartEntry } from '../../main/electron/auto-start.js';
import { makeTempDirSync, removeTempDirSync } from '../support/temp-dir.js';

describe('start at login', () => {
  it('writes and removes an XDG autostart entry on Linux', () => {
    const home = makeTempDirSync('tokentray-autostart-');
    try {
      const autoStart = new LinuxAutoStart(['/opt/Tokentray/tokentray', '--hidden'], { XDG_CONFIG_HOME: path.join(home, 'config') });
      assert.equal(autoStart.file, path.join(home, 'config', 'autostart', 'tokentray.desktop'));
      assert.equal(autoStart.isEnabled(), false);
      autoStart.setEnabled(true);
      assert.equal(autoStart.isEnabled(), true);
      const text = fs.readFileSync(autoStart.file, 'utf8');
      assert.match(text, /^\[Desktop Entry\]\n/);
      assert.match(text, /^Type=Application$/m);
      assert.match(text, /^Exec=\/opt\/Tokentray\/tokentray --hidden$/m);
      autoStart.setEnabled(false);
      assert.equal(autoStart.isEnabled(), false);
      autoStart.setEnabled(false);
    } finally {
      removeTempDirSync(home);
    }
  });

  it('quotes Exec arguments with spaces and shell characters', () => {
    assert.match(linuxAutostartEntry(['/home/a b/Tokentray.AppImage', '$x']), /^Exec="\/home\/a b\/Tokentray.AppImage" "\\\$x"$/m);
  });

  it('starts an AppImage through $APPIMAGE and an unpackaged app with its project path', () => {
    assert.deepEqual(launchCommand({ isPackaged: true, getAppPath: () => '/x' }, { APPIMAGE: '/apps/Tokentray.AppImage' }), ['/apps/Tokentray.AppImage']);
    assert.deepEqual(launchCommand({ isPackaged: false, getAppPath: () => '/src/tokentray' }, {}), [process.execPath, '/src/tokentray']);
  });

  it('uses login items on macOS and Windows, starting hidden', () => {
    let settings = { openAtLogin: false };
    const calls: unknown[] = [];
    const app = {
      getLoginItemSettings: () => settings as Electron.LoginItemSettings,
      setLoginItemSettings: (next: Electron.Settings) => {
        calls.push(next);
        settings = { openAtLogin: Boolean(next.openAtLogin) };
      },
    };
    const autoStart = new LoginItemAutoStart(app);
    assert.equal(autoStart.isEnabled(), false);
    autoStart.setEnabled(true);
    assert.equal(autoStart.isEnabled(), true);
    assert.deepEqual(calls, [{ openAtLogin: true, args: ['--hidden'] }]);
  });
});
