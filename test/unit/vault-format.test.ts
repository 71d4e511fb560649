// The vault file's format and crypto (docs/vault-file.md) on strings alone: what is written, what
// opens, and every way a file is refused, without a file system.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TokentrayError } from '../../main/core/errors.js';
import {
  decryptRecord,
  deriveKeys,
  encryptRecord,
  isKeyedBy,
  keysForFile,
  newHeader,
  newSalt,
  openVault,
  parseVaultFile,
  serializeVault,
  type ScryptParams,
  type SealedRecord,
  type VaultKeys,
} from '../../main/node/vault-format.js';

// The smallest cost the format accepts: these tests are about the format, not the key's strength.
const FAST: ScryptParams = { N: 2 ** 10, r: 8, p: 1 };
const PASSPHRASE = 'correct horse battery staple';

async function newVault(values: Record<string, string>, passphrase = PASSPHRASE): Promise<{ text: string; keys: VaultKeys; salt: string }> {
  const salt = newSalt();
  const keys = await deriveKeys(passphrase, salt, FAST);
  const header = newHeader(keys, salt, FAST);
  const records = new Map<string, SealedRecord>();
  for (const [account, value] of Object.entries(values)) records.set(account, encryptRecord(keys, account, value));
  return { text: serializeVault(keys, header, records), keys, salt: salt.toString('base64') };
}

function throwsKind(body: () => unknown, kind: string, message: RegExp): void {
  assert.throws(body, (error: unknown) => {
    assert.ok(error instanceof TokentrayError, `a TokentrayError, not ${String(error)}`);
    assert.equal(error.kind, kind);
    assert.match(error.message, message);
    return true;
  });
}

async function rejectsKind(promise: Promise<unknown>, kind: string, message: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof TokentrayError);
    assert.equal(error.kind, kind);
    assert.match(error.message, message);
    return true;
  });
}

describe('vault format', () => {
  test('round-trips records and writes the documented fields, names sorted, no secret in clear', async () => {
    const secret = 's3cr&t+ ü';
    const { text, salt } = await newVault({ 'zeta:clientSecret': secret, 'alpha:token': '{"accessToken":"t"}' });
    assert.ok(text.endsWith('}\n'));
    assert.ok(!text.includes(secret) && !text.includes('accessToken'));
    const raw = JSON.parse(text) as Record<string, unknown>;
    assert.deepEqual(Object.keys(raw), ['format', 'version', 'kdf', 'keyCheck', 'headerSha256', 'records', 'seal']);
    assert.equal(raw.format, 'tokentray-vault');
    assert.equal(raw.version, 1);
    assert.deepEqual(raw.kdf, { name: 'scrypt', N: FAST.N, r: FAST.r, p: FAST.p, salt });
    assert.deepEqual(Object.keys(raw.records as object), ['alpha:token', 'zeta:clientSecret']);

    const file = parseVaultFile(text);
    const keys = await keysForFile(PASSPHRASE, file);
    const opened = openVault(keys, file);
    assert.deepEqual(Object.fromEntries(opened.plain), { 'alpha:token': '{"accessToken":"t"}', 'zeta:clientSecret': secret });
    assert.equal(serializeVault(keys, opened.header, opened.records), text, 'the same contents write the same text');
  });

  test('a passphrase is read in NFC: a decomposed spelling opens the vault', async () => {
    const { text } = await newVault({}, 'caf\u00e9 au lait sur la terrasse');
    const file = parseVaultFile(text);
    assert.equal(openVault(await keysForFile('cafe\u0301 au lait sur la terrasse', file), file).plain.size, 0);
  });

  test('a wrong passphrase is told apart from a damaged file', async () => {
    const { text } = await newVault({ 'a:clientSecret': 'x' });
    await rejectsKind(keysForFile('not the passphrase', parseVaultFile(text)), 'vault_passphrase', /does not open/);
  });

  test('a record moved to another profile or field, or altered, does not open', async () => {
    const { text, keys } = await newVault({ 'a:clientSecret': 'one', 'b:clientSecret': 'two' });
    const raw = JSON.parse(text) as { records: Record<string, SealedRecord> };
    const moved = { ...raw, records: { 'a:clientSecret': raw.records['b:clientSecret'], 'b:clientSecret': raw.records['a:clientSecret'] } };
    throwsKind(() => openVault(keys, parseVaultFile(JSON.stringify(moved))), 'vault_damaged', /does not open \(altered, or moved/);
    const field = { ...raw, records: { 'a:password': raw.records['a:clientSecret'], 'b:clientSecret': raw.records['b:clientSecret'] } };
    throwsKind(() => openVault(keys, parseVaultFile(JSON.stringify(field))), 'vault_damaged', /"a:password" does not open/);
    const record = raw.records['a:clientSecret'] as SealedRecord;
    throwsKind(() => decryptRecord(keys, 'a:clientSecret', { nonce: record.nonce, data: 'AAAA' }), 'vault_damaged', /cut short/);
  });

  test('a record removed, added or rolled back breaks the seal', async () => {
    const salt = newSalt();
    const keys = await deriveKeys(PASSPHRASE, salt, FAST);
    const header = newHeader(keys, salt, FAST);
    const old = new Map([['a:token', encryptRecord(keys, 'a:token', 'old token')]]);
    const oldText = serializeVault(keys, header, old);
    const current = new Map([['a:token', encryptRecord(keys, 'a:token', 'new token')], ['b:token', encryptRecord(keys, 'b:token', 'b')]]);
    const text = serializeVault(keys, header, current);
    const raw = JSON.parse(text) as { records: Record<string, SealedRecord> };
    const oldRaw = JSON.parse(oldText) as { records: Record<string, SealedRecord> };

    const removed = { ...raw, records: { 'a:token': raw.records['a:token'] } };
    const added = { ...raw, records: { ...raw.records, 'c:token': raw.records['b:token'] } };
    const rolledBack = { ...raw, records: { ...raw.records, 'a:token': oldRaw.records['a:token'] } };
    throwsKind(() => openVault(keys, parseVaultFile(JSON.stringify(removed))), 'vault_damaged', /records were removed, added or replaced/);
    throwsKind(() => openVault(keys, parseVaultFile(JSON.stringify(rolledBack))), 'vault_damaged', /records were removed, added or replaced/);
    // An added copy of a record under another name fails its binding before the seal is checked.
    throwsKind(() => openVault(keys, parseVaultFile(JSON.stringify(added))), 'vault_damaged', /"c:token" does not open/);
  });

  test('every single flipped byte is damage, never a wrong passphrase or a quiet success', async () => {
    const { text, keys, salt } = await newVault({ 'a:clientSecret': 'one' });
    const bytes = Buffer.from(text, 'utf8');
    // The last byte is the newline JSON ignores; every other byte is meaningful.
    for (let i = 0; i < bytes.length - 1; i += 1) {
      const flipped = Buffer.from(bytes);
      flipped[i] = (flipped[i] as number) ^ 0x01;
      assert.throws(
        () => {
          const file = parseVaultFile(flipped.toString('utf8'));
          if (!isKeyedBy(keys, file, salt)) throw new TokentrayError('vault_damaged', 'keyed otherwise');
          openVault(keys, file);
        },
        (error: unknown) => error instanceof TokentrayError && error.kind === 'vault_damaged',
        `byte ${i} (${JSON.stringify(text[i])})`,
      );
    }
  });

  test('a header that is not this format, version or within bounds is refused with its reason', async () => {
    const { text } = await newVault({});
    const raw = JSON.parse(text) as Record<string, unknown> & { kdf: Record<string, unknown> };
    throwsKind(() => parseVaultFile(''), 'vault_damaged', /the file is empty/);
    throwsKind(() => parseVaultFile(text.slice(0, 40)), 'vault_damaged', /not valid JSON/);
    throwsKind(() => parseVaultFile('[]'), 'vault_damaged', /not a Tokentray vault file/);
    throwsKind(() => parseVaultFile(JSON.stringify({ ...raw, version: 2 })), 'vault_damaged', /format version 2, which this Tokentray does not read/);
    throwsKind(() => parseVaultFile(JSON.stringify({ ...raw, kdf: { ...raw.kdf, name: 'argon2' } })), 'vault_damaged', /key derivation settings/);
    for (const kdf of [{ N: 2 ** 23 }, { N: 2 ** 9 }, { N: 1000 }, { r: 33 }, { p: 0 }, { p: 17 }]) {
      throwsKind(() => parseVaultFile(JSON.stringify({ ...raw, kdf: { ...raw.kdf, ...kdf } })), 'vault_damaged', /parameters are out of range/);
    }
    // Within bounds but changed: the header checksum finds it before any key is derived.
    throwsKind(() => parseVaultFile(JSON.stringify({ ...raw, kdf: { ...raw.kdf, N: 2 ** 11 } })), 'vault_damaged', /does not match its checksum/);
    throwsKind(() => parseVaultFile(JSON.stringify({ ...raw, kdf: { ...raw.kdf, salt: 'c2hvcnQ=' } })), 'vault_damaged', /salt is malformed/);
    throwsKind(() => parseVaultFile(JSON.stringify({ ...raw, records: [] })), 'vault_damaged', /record list is missing/);
    throwsKind(() => parseVaultFile(JSON.stringify({ ...raw, records: { 'no-colon': { nonce: 'AAAAAAAAAAAAAAAA', data: '' } } })), 'vault_damaged', /malformed name/);
    throwsKind(() => parseVaultFile(JSON.stringify({ ...raw, seal: undefined })), 'vault_damaged', /seal is missing/);
  });

  test('a second spelling of the same base64 bytes is a change', async () => {
    const { text } = await newVault({});
    const raw = JSON.parse(text) as { keyCheck: string };
    // 32 bytes end in one padding character: the last letter carries two unused bits.
    const last = raw.keyCheck.at(-2) as string;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    const respelt = alphabet[alphabet.indexOf(last) ^ 0x01] as string;
    const keyCheck = `${raw.keyCheck.slice(0, -2)}${respelt}=`;
    assert.deepEqual(Buffer.from(keyCheck, 'base64'), Buffer.from(raw.keyCheck, 'base64'), 'the same bytes');
    throwsKind(() => parseVaultFile(JSON.stringify({ ...raw, keyCheck })), 'vault_damaged', /key check is malformed/);
  });

  test('isKeyedBy tells a file written with other keys or another salt', async () => {
    const first = await newVault({});
    const second = await newVault({});
    assert.equal(isKeyedBy(first.keys, parseVaultFile(first.text), first.salt), true);
    assert.equal(isKeyedBy(first.keys, parseVaultFile(second.text), second.salt), false);
    assert.equal(isKeyedBy(first.keys, parseVaultFile(first.text), second.salt), false);
  });
});
