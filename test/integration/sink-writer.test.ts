// The one writer of token files (main/node/sink-writer.ts) on real files: exact modes whatever the
// umask, modes put right on the next write, nothing rewritten when nothing changed, a link planted at
// the target replaced without touching what it points to, unsafe folders refused, no temp file left.
import assert from 'node:assert/strict';
import { chmod, chown, lstat, mkdir, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { TokentrayError } from '../../main/core/errors.js';
import { checkSinkTarget, removeSinkFile, writeSinkFile } from '../../main/node/sink-writer.js';
import { makeTempDir, removeTempDir } from '../support/temp-dir.js';

let root: string;

async function folder(name: string, mode = 0o700): Promise<string> {
  const dir = join(root, name);
  await mkdir(dir);
  await chmod(dir, mode);
  return dir;
}

async function refusal(work: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(work, (error: unknown) => {
    assert.ok(error instanceof TokentrayError, String(error));
    assert.match(error.message, pattern);
    assert.ok(error.hint !== undefined && error.hint.length > 0);
    return true;
  });
}

describe('the token file writer', () => {
  before(async () => {
    root = await makeTempDir('tokentray-sink-writer-');
  });
  after(async () => {
    await removeTempDir(root);
  });

  test('writes the exact mode asked for, whatever the umask, and leaves no temporary file', async () => {
    const dir = await folder('modes');
    const old = process.umask(0o077);
    try {
      assert.equal(await writeSinkFile(join(dir, 'a'), 'one', 0o644), 'written');
    } finally {
      process.umask(old);
    }
    assert.equal((await stat(join(dir, 'a'))).mode & 0o7777, 0o644);
    assert.equal(await readFile(join(dir, 'a'), 'utf8'), 'one');
    assert.equal(await writeSinkFile(join(dir, 'b'), 'two', 0o600), 'written');
    assert.equal((await stat(join(dir, 'b'))).mode & 0o7777, 0o600);
    assert.deepEqual((await readdir(dir)).sort(), ['a', 'b']);
  });

  test('skips unchanged content, but rewrites a file whose mode someone changed', async () => {
    const dir = await folder('unchanged');
    const path = join(dir, 'token');
    await writeSinkFile(path, 'same', 0o600);
    const first = await stat(path);
    assert.equal(await writeSinkFile(path, 'same', 0o600), 'unchanged');
    assert.equal((await stat(path)).ino, first.ino);
    await chmod(path, 0o644);
    assert.equal(await writeSinkFile(path, 'same', 0o600), 'written');
    assert.equal((await stat(path)).mode & 0o7777, 0o600);
    assert.equal(await writeSinkFile(path, 'new', 0o600), 'written');
    assert.equal(await readFile(path, 'utf8'), 'new');
    assert.deepEqual(await readdir(dir), ['token']);
  });

  test('a symlink planted at the target is replaced by the file, and what it points to is untouched', async () => {
    const dir = await folder('planted');
    const victim = join(root, 'victim.txt');
    await writeFile(victim, 'precious', { mode: 0o644 });
    const path = join(dir, 'token');
    await symlink(victim, path);
    assert.equal(await writeSinkFile(path, 'tok', 0o600), 'written');
    assert.equal((await lstat(path)).isFile(), true);
    assert.equal(await readFile(path, 'utf8'), 'tok');
    assert.equal(await readFile(victim, 'utf8'), 'precious');
    assert.equal((await stat(victim)).mode & 0o777, 0o644);
    // Removal never follows a link either.
    await rm(path);
    await symlink(victim, path);
    assert.equal(await removeSinkFile(path), false);
    assert.equal(await readFile(victim, 'utf8'), 'precious');
  });

  test('a symlinked folder, a folder others may write and a folder of another user are refused, and nothing is written', async () => {
    const real = await folder('real');
    const linked = join(root, 'linked');
    await symlink(real, linked);
    await refusal(writeSinkFile(join(linked, 'token'), 'x', 0o600), /symbolic link/);
    await refusal(checkSinkTarget(join(linked, 'token')), /symbolic link/);
    assert.deepEqual(await readdir(real), []);

    const open = await folder('open', 0o777);
    await refusal(writeSinkFile(join(open, 'token'), 'x', 0o600), /may be written by others \(mode 0777\)/);
    const group = await folder('group', 0o770);
    await refusal(writeSinkFile(join(group, 'token'), 'x', 0o600), /may be written by others/);
    assert.deepEqual(await readdir(open), []);

    if (process.getuid?.() === 0) {
      const foreign = await folder('foreign');
      await chown(foreign, 65534, 65534);
      await refusal(writeSinkFile(join(foreign, 'token'), 'x', 0o600), /belongs to another user \(uid 65534\)/);
      assert.deepEqual(await readdir(foreign), []);
    }
    await refusal(writeSinkFile(join(root, 'missing', 'token'), 'x', 0o600), /does not exist/);
  });

  test('at sink add, a relative path, a link or a folder at the target are refused', async () => {
    const dir = await folder('add');
    await refusal(checkSinkTarget('relative/token'), /relative/);
    await symlink(join(root, 'victim.txt'), join(dir, 'link'));
    await refusal(checkSinkTarget(join(dir, 'link')), /symbolic link/);
    await mkdir(join(dir, 'sub'));
    await refusal(checkSinkTarget(join(dir, 'sub')), /not a regular file/);
    await checkSinkTarget(join(dir, 'fresh'));
  });

  test('remove takes the file away and says whether there was one', async () => {
    const dir = await folder('remove');
    const path = join(dir, 'token');
    await writeSinkFile(path, 'tok', 0o600);
    assert.equal(await removeSinkFile(path), true);
    assert.equal(await removeSinkFile(path), false);
    assert.deepEqual(await readdir(dir), []);
  });
});
