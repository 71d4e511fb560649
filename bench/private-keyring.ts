// Benchmarks that touch the keychain run inside a private D-Bus session with a throwaway unlocked
// gnome-keyring, as scripts/test.sh gives the tests: never a person's own keyring.
import { spawnSync } from 'node:child_process';

/**
 * Outside such a session, runs `moduleUrl`'s run() again inside one and returns true (the caller
 * returns at once); inside it, returns false and the caller measures.
 */
export function rerunUnderPrivateKeyring(moduleUrl: string, what: string): boolean {
  if (process.env.DBUS_SESSION_BUS_ADDRESS && process.env.TOKENTRAY_BENCH_KEYRING) return false;
  const script = `import(${JSON.stringify(moduleUrl)}).then((m) => m.run())`;
  const shell = [
    'export XDG_DATA_HOME="$(mktemp -d -t tokentray-bench-keyring.XXXXXX)"',
    'trap \'rm -rf "$XDG_DATA_HOME"\' EXIT',
    'eval "$(printf %s bench | gnome-keyring-daemon --unlock --components=secrets)"',
    'export GNOME_KEYRING_CONTROL TOKENTRAY_BENCH_KEYRING=1',
    `"${process.execPath}" --import tsx --input-type=module -e '${script}'`,
  ].join('\n');
  const result = spawnSync('dbus-run-session', ['--', 'bash', '-c', shell], { stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`the ${what} benchmark failed (exit ${result.status ?? result.signal})`);
  return true;
}
