// libfaketime (Debian's `faketime` package) for a child process whose wall clock a test moves while
// it runs: Date.now() follows a file the test rewrites, while the monotonic clock (performance.now,
// every Node timer) runs on untouched, as after a resumed laptop or VM or a clock set by hand.
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const CANDIDATES = [
  '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1',
  '/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1',
  '/usr/lib/faketime/libfaketime.so.1',
  '/usr/local/lib/faketime/libfaketime.so.1',
];

/** The library's path; throws with the fix when it is not installed (the test must not pass silently). */
export function libfaketimePath(): string {
  const found = CANDIDATES.find((candidate) => existsSync(candidate));
  if (found === undefined) throw new Error('libfaketime is not installed: run scripts/install-system-deps.sh (Debian package faketime).');
  return found;
}

export interface WallClock {
  /** The environment that puts a child process on this wall clock. */
  env: NodeJS.ProcessEnv;
  /** Moves the child's wall clock to this many seconds from the real one (takes effect at its next read). */
  setOffsetSec(seconds: number): Promise<void>;
}

/** A faked wall clock kept in a file in `dir`, at the real time until setOffsetSec moves it. */
export async function fakeWallClock(dir: string): Promise<WallClock> {
  const file = join(dir, 'faketime.rc');
  const setOffsetSec = (seconds: number): Promise<void> => writeFile(file, `${seconds >= 0 ? '+' : ''}${seconds}s\n`);
  await setOffsetSec(0);
  return {
    env: {
      LD_PRELOAD: libfaketimePath(),
      FAKETIME_TIMESTAMP_FILE: file,
      // Read the file on every clock call, so a change reaches the running process at once.
      FAKETIME_NO_CACHE: '1',
      FAKETIME_DONT_FAKE_MONOTONIC: '1',
    },
    setOffsetSec,
  };
}
