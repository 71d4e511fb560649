// Several Tokentray processes on one keychain service at once (the CLI beside a running app, or CI
// running CLI tests in parallel): keytar crashed the whole process (libsecret "secret_value_get_text:
// assertion 'value' failed") when one process deleted an item while another listed the service.
// Searches and deletes now run alone across processes (KeytarVault's lock file).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { KeytarLike } from '../../main/node/keytar-vault.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const keytar = createRequire(import.meta.url)('keytar') as KeytarLike;
const service = `${process.env.TOKENTRAY_KEYCHAIN_SERVICE ?? 'tokentray-test'}-procs-${randomBytes(4).toString('hex')}`;

after(async () => {
  for (const { account } of await keytar.findCredentials(service)) await keytar.deletePassword(service, account);
});

function worker(name: string, rounds: number): Promise<{ code: number | null; signal: string | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'test/support/keychain-worker.ts'), service, name, String(rounds)], { cwd: ROOT });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('close', (code, signal) => resolve({ code, signal, output }));
  });
}

describe('the keychain shared by several processes', () => {
  test('four processes writing, listing and deleting at once all finish, and leave nothing behind', async () => {
    const results = await Promise.all(['a', 'b', 'c', 'd'].map((name) => worker(name, 12)));
    for (const result of results) {
      assert.equal(result.signal, null, `a worker was killed: ${result.output}`);
      assert.equal(result.code, 0, result.output);
      assert.match(result.output, /^ok$/m);
      assert.doesNotMatch(result.output, /CRITICAL/);
    }
    assert.deepEqual(await keytar.findCredentials(service), []);
  });
});
