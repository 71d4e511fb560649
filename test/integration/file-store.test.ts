// The conf-backed config store in real temp directories: file mode 0600, atomic writes, a change by
// another process picked up, corrupt and schema-invalid files moved aside and reported, migrations.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { ProfileConfig } from '../../common/contract.js';
import { DEFAULT_SETTINGS } from '../../common/contract.js';
import { STORE_VERSION, checkStoredData, storeOptions, type ConfBackedStore } from '../../main/core/storage/config-store.js';
import { openFileStore } from '../../main/node/file-store.js';
import { tempDirs } from '../support/temp-dir.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dirs = tempDirs();
const stores: ConfBackedStore[] = [];

const tempDir = (): string => dirs.makeSync('tokentray-store-');

function open(dir: string) {
  const result = openFileStore(dir);
  stores.push(result.store);
  return result;
}

after(async () => {
  for (const store of stores) store.close();
  await dirs.removeAll();
});

const profile = (id: string, extra: Partial<ProfileConfig> = {}): ProfileConfig => ({
  id,
  name: `Profile ${id}`,
  provider: 'redpanda',
  clientId: `${id}-client`,
  ...extra,
});

describe('file store', () => {
  test('a new store: config.json with mode 0600, defaults, the store version, nothing reported', () => {
    const dir = tempDir();
    const { store, movedAside: corrupt } = open(dir);
    assert.equal(corrupt, null);
    assert.equal(store.path, path.join(dir, 'config.json'));
    store.putProfile(profile('one'));
    assert.equal(fs.statSync(store.path).mode & 0o777, 0o600);
    const data = JSON.parse(fs.readFileSync(store.path, 'utf8')) as Record<string, unknown>;
    assert.deepEqual(data.profiles, { one: profile('one') });
    assert.deepEqual(data.settings, DEFAULT_SETTINGS);
    assert.deepEqual(data.clients, []);
    assert.deepEqual(data.__internal__, { migrations: { version: STORE_VERSION } });
    assert.deepEqual(store.getSettings(), DEFAULT_SETTINGS);
  });

  test('a file created with a looser mode is tightened to 0600 on open', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'config.json'), '{}', { mode: 0o644 });
    open(dir);
    assert.equal(fs.statSync(path.join(dir, 'config.json')).mode & 0o777, 0o600);
  });

  test('profiles, settings and client records round-trip; invalid values are refused and change nothing', () => {
    const { store } = open(tempDir());
    store.putProfile(profile('b', { provider: 'acquia', scope: 'organization:1' }));
    store.putProfile(profile('a'));
    assert.deepEqual(
      store.listProfiles().map((p) => p.id),
      ['a', 'b'],
    );
    assert.equal(store.getProfile('b')?.scope, 'organization:1');
    assert.equal(store.getProfile('nope'), undefined);
    assert.equal(store.getProfile('../evil'), undefined);
    assert.throws(() => store.putProfile({ ...profile('c'), tokenUrl: 'ftp://x' }), { kind: 'config' });
    assert.equal(store.getProfile('c'), undefined);
    assert.equal(store.updateSettings({ port: 50_000 }).port, 50_000);
    assert.throws(() => store.updateSettings({ port: 80 }), { kind: 'config' });
    assert.equal(store.getSettings().port, 50_000);
    const record = { name: 'bot', profiles: ['a'], createdAt: new Date(0).toISOString(), lastUsedAt: null, hash: 'a'.repeat(64) };
    store.putClient(record);
    assert.deepEqual(store.listClients(), [record]);
    assert.equal(store.removeClient('bot'), true);
    assert.equal(store.removeClient('bot'), false);
    assert.equal(store.removeProfile('a'), true);
    assert.equal(store.removeProfile('a'), false);
    assert.deepEqual(
      store.listProfiles().map((p) => p.id),
      ['b'],
    );
  });

  test('writes are atomic: a new file replaces the old in one rename, no temp files are left', () => {
    const { store } = open(tempDir());
    store.putProfile(profile('first'));
    const before = fs.statSync(store.path).ino;
    // A larger write, so a non-atomic in-place write would be observable as a rewritten inode.
    const big = profile('second', { extraParams: Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`k${i}`, 'v'.repeat(500)])) });
    store.putProfile({ ...big, provider: 'oauth2', tokenUrl: 'https://example.test/token' });
    const afterWrite = fs.statSync(store.path).ino;
    assert.notEqual(afterWrite, before, 'the file was replaced by rename, not rewritten in place');
    assert.doesNotThrow(() => JSON.parse(fs.readFileSync(store.path, 'utf8')));
    assert.deepEqual(fs.readdirSync(path.dirname(store.path)), ['config.json']);
  });

  test('a change written by another process is picked up (onDidChange) and read', async () => {
    const dir = tempDir();
    const { store } = open(dir);
    store.putProfile(profile('mine'));
    // conf watches with fs.watchFile, which does not keep the process alive; this handle does,
    // until the change arrives (no timing is asserted: the test runner's timeout is the bound).
    const keepAlive = setInterval(() => {}, 1000);
    const changed = new Promise<void>((resolve) => {
      const unsubscribe = store.onDidChange(() => {
        unsubscribe();
        clearInterval(keepAlive);
        resolve();
      });
    });
    const script = `
      import { openFileStore } from './main/node/file-store.ts';
      const { store } = openFileStore(${JSON.stringify(dir)});
      store.putProfile({ id: 'theirs', name: 'From the CLI', provider: 'acquia', clientId: 'k' });
    `;
    await new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, stdio: 'inherit' });
      child.once('error', reject);
      child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`writer exited ${code}`))));
    });
    await changed;
    assert.deepEqual(
      store.listProfiles().map((p) => p.id),
      ['mine', 'theirs'],
    );
  });

  test('a file that is not JSON is moved aside with a timestamp and reported', () => {
    const dir = tempDir();
    const file = path.join(dir, 'config.json');
    fs.writeFileSync(file, '{"profiles": {', { mode: 0o600 });
    const { store, movedAside: corrupt } = open(dir);
    assert.ok(corrupt);
    assert.match(corrupt.reason, /not valid JSON/);
    assert.match(path.basename(corrupt.movedTo), /^config\.json\.corrupt-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z$/);
    assert.equal(fs.readFileSync(corrupt.movedTo, 'utf8'), '{"profiles": {', 'kept byte for byte');
    assert.deepEqual(store.listProfiles(), [], 'a fresh store');
  });

  test('a schema-invalid file is moved aside and reported with what is wrong', () => {
    const dir = tempDir();
    const file = path.join(dir, 'config.json');
    const content = JSON.stringify({ profiles: { x: { id: 'x', name: 'X', provider: 'redpanda', tokenUrl: 'not a url' } } });
    fs.writeFileSync(file, content);
    const { movedAside: corrupt } = open(dir);
    assert.ok(corrupt);
    assert.match(corrupt.reason, /does not match the schema: profiles\.x\.tokenUrl must be an http/);
    assert.equal(fs.readFileSync(corrupt.movedTo, 'utf8'), content);

    fs.writeFileSync(file, JSON.stringify({ profiles: { x: { id: 'y', name: 'X', provider: 'redpanda' } } }));
    const second = open(dir);
    assert.match(second.movedAside?.reason ?? '', /profiles\.x\.id must equal its key/);
    fs.writeFileSync(file, '[1, 2]');
    assert.match(open(dir).movedAside?.reason ?? '', /does not hold a JSON object/);
    assert.equal(fs.readdirSync(dir).filter((f) => f.startsWith('config.json.corrupt-')).length, 3);
  });

  test('a file from a newer store version is left alone and refused', () => {
    const dir = tempDir();
    const file = path.join(dir, 'config.json');
    const content = JSON.stringify({ profiles: {}, future: true, __internal__: { migrations: { version: '99.0.0' } } });
    fs.writeFileSync(file, content);
    assert.throws(() => openFileStore(dir), { kind: 'config', message: /newer Tokentray/ });
    assert.equal(fs.readFileSync(file, 'utf8'), content);
  });

  test('an unversioned file is migrated: profiles array to a record, clients and settings filled in', () => {
    const dir = tempDir();
    const file = path.join(dir, 'config.json');
    fs.writeFileSync(file, JSON.stringify({ profiles: [profile('legacy')], settings: { port: 48_000 }, extra: 'kept' }));
    const { store, movedAside: corrupt } = open(dir);
    assert.equal(corrupt, null);
    assert.deepEqual(store.listProfiles(), [profile('legacy')]);
    assert.equal(store.getSettings().port, 48_000);
    assert.equal(store.getSettings().leadTimeSec, DEFAULT_SETTINGS.leadTimeSec);
    const data = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    assert.deepEqual(data.profiles, { legacy: profile('legacy') });
    assert.deepEqual(data.clients, []);
    assert.equal(data.extra, 'kept', 'unknown keys are not dropped');
    assert.deepEqual(data.__internal__, { migrations: { version: STORE_VERSION } });
  });

  test('storeOptions is the one set of options for conf and electron-store', () => {
    const options = storeOptions('/some/dir');
    assert.equal(options.cwd, '/some/dir');
    assert.equal(options.configName, 'config');
    assert.equal(options.configFileMode, 0o600);
    assert.equal(options.watch, true);
    assert.equal(options.clearInvalidConfig, false);
    assert.equal(options.projectVersion, STORE_VERSION);
    assert.ok(Object.keys(options.migrations).includes(STORE_VERSION));
    assert.deepEqual(Object.keys(options.schema).sort(), ['clients', 'profiles', 'settings']);
    assert.deepEqual(checkStoredData({ profiles: {}, settings: {}, clients: [] }), { ok: true });
  });
});
