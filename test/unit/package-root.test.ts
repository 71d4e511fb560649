// The one package-root search: from the sources or the build, the folder with Tokentray's
// package.json; elsewhere, the module's own folder, and a version that says it is unknown.
import assert from 'node:assert/strict';
import { writeFile, mkdir } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { packageRoot, packageVersion } from '../../main/node/package-root.js';
import { makeTempDir, removeTempDir } from '../support/temp-dir.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('packageRoot', () => {
  it('finds the project from a source module and from a built one, with its version', () => {
    assert.equal(packageRoot(path.join(ROOT, 'main/node/cli/main.ts')), ROOT);
    assert.equal(packageRoot(path.join(ROOT, 'dist/main/node/cli/main.js')), ROOT);
    const { version } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    assert.equal(packageVersion(ROOT), version);
  });

  it('skips another package.json on the way up, and falls back to the module folder outside any', async () => {
    const dir = await makeTempDir('tokentray-root-');
    try {
      await mkdir(path.join(dir, 'ours/inner'), { recursive: true });
      await writeFile(path.join(dir, 'ours/package.json'), JSON.stringify({ name: 'tokentray', version: '9.9.9' }));
      await writeFile(path.join(dir, 'ours/inner/package.json'), JSON.stringify({ name: 'something-else' }));
      assert.equal(packageRoot(path.join(dir, 'ours/inner/x.js')), path.join(dir, 'ours'));
      assert.equal(packageVersion(path.join(dir, 'ours')), '9.9.9');
      assert.equal(packageRoot(path.join(dir, 'x.js')), dir);
      assert.equal(packageVersion(dir), '0.0.0');
    } finally {
      await removeTempDir(dir);
    }
  });
});
