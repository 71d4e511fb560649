// The vault benchmark: unlocking the file vault, and reading and writing the cached tokens
// of 1,000 profiles with it, as ratios to the keychain backend (gnome-keyring through keytar, on a
// private D-Bus session started here) and to plain fs.writeFile / fs.readFile of the same bytes, all in
// the same run. No pass/fail: the numbers are for the issue notes.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Token } from '../main/core/types.js';
import { DEFAULT_SCRYPT, FileVault, VAULT_FILE_NAME } from '../main/node/file-vault.js';
import { KeytarVault } from '../main/node/keytar-vault.js';
import { rerunUnderPrivateKeyring } from './private-keyring.js';

const PROFILES = Number(process.env.BENCH_VAULT_PROFILES ?? 1000);
const UNLOCKS = Number(process.env.BENCH_VAULT_UNLOCKS ?? 5);
const PASS = 'bench passphrase of several words';

function token(i: number): Token {
  // About the size of a real JWT access token and its headers.
  const jwt = `eyJhbGciOiJSUzI1NiJ9.${Buffer.from(JSON.stringify({ sub: `client-${i}`, aud: 'api', exp: 1_900_000_000, scope: 'read write' })).toString('base64url')}.${'s'.repeat(342)}`;
  return { accessToken: jwt, tokenType: 'Bearer', headers: { Authorization: `Bearer ${jwt}` }, obtainedAt: 1_700_000_000_000, expiresAt: 1_700_000_300_000 };
}

async function time(work: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await work();
  return performance.now() - t0;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

const ms = (value: number): string => `${value.toFixed(1)} ms`;
const ratio = (a: number, b: number): string => `${(a / b).toFixed(2)}x`;

function line(what: string, file: number, keychain: number, plain: number, plainLabel: string): void {
  console.log(`${what.padEnd(38)} file ${ms(file).padStart(10)}  keychain ${ms(keychain).padStart(10)}  ${plainLabel} ${ms(plain).padStart(10)}  file/keychain ${ratio(file, keychain).padStart(7)}  file/${plainLabel} ${ratio(file, plain).padStart(8)}`);
}

export async function run(): Promise<void> {
  if (rerunUnderPrivateKeyring(new URL('./vault.bench.ts', import.meta.url).href, 'vault')) return;

  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tokentray-bench-vault-'));
  const service = `tokentray-bench-${process.pid}`;
  const keychain = new KeytarVault({ service });
  try {
    console.log(`${PROFILES} profiles; scrypt N=${DEFAULT_SCRYPT.N} r=${DEFAULT_SCRYPT.r} p=${DEFAULT_SCRYPT.p}; ${os.cpus().length} CPUs, load ${os.loadavg()[0]?.toFixed(1)}`);
    const file = new FileVault(dir, { watch: false });
    const create = await time(() => file.create(PASS));

    // Unlock: the KDF with the default parameters (median of UNLOCKS), against the keychain's first answer.
    const unlocks: number[] = [];
    for (let i = 0; i < UNLOCKS; i += 1) {
      const fresh = new FileVault(dir, { watch: false });
      unlocks.push(await time(() => fresh.unlock(PASS)));
    }
    const probe = await time(() => new KeytarVault({ service }).probe());
    console.log(`unlock (create ${ms(create)})`.padEnd(38) + ` file ${ms(median(unlocks)).padStart(10)}  keychain ${ms(probe).padStart(10)} (first answer: probe)  file/keychain ${ratio(median(unlocks), probe)}  [${unlocks.map((u) => u.toFixed(0)).join(', ')} ms]`);

    const ids = Array.from({ length: PROFILES }, (_, i) => `profile-${i}`);
    const vaultPath = path.join(dir, VAULT_FILE_NAME);
    const plainPath = path.join(dir, 'plain.json');

    // All at once, as when the engine starts or many profiles refresh together: writes are batched.
    const fileAll = await time(() => Promise.all(ids.map((id, i) => file.setCachedToken(id, token(i)))));
    const keychainAll = await time(() => Promise.all(ids.map((id, i) => keychain.setCachedToken(id, token(i)))));
    const bytes = await fs.readFile(vaultPath);
    const plainAll = await time(() => fs.writeFile(plainPath, bytes));
    line(`write ${PROFILES} tokens, all at once`, fileAll, keychainAll, plainAll, 'writeFile');

    // One after another, each durable before the next: every write rewrites the whole file.
    const fileSeq = await time(async () => {
      for (const [i, id] of ids.entries()) await file.setCachedToken(id, token(i + 1));
    });
    const keychainSeq = await time(async () => {
      for (const [i, id] of ids.entries()) await keychain.setCachedToken(id, token(i + 1));
    });
    const finalBytes = await fs.readFile(vaultPath);
    const plainSeq = await time(async () => {
      for (let i = 0; i < PROFILES; i += 1) await fs.writeFile(plainPath, finalBytes);
    });
    const durableSeq = await time(async () => {
      for (let i = 0; i < PROFILES; i += 1) {
        const handle = await fs.open(`${plainPath}.tmp`, 'w', 0o600);
        await handle.writeFile(finalBytes);
        await handle.sync();
        await handle.close();
        await fs.rename(`${plainPath}.tmp`, plainPath);
      }
    });
    line(`write ${PROFILES} tokens, one by one`, fileSeq, keychainSeq, plainSeq, 'writeFile');
    console.log(`${''.padEnd(38)} (writeFile + fsync + rename of the same bytes, ${PROFILES} times: ${ms(durableSeq)}; file/that ${ratio(fileSeq, durableSeq)})`);

    // Reads from an unlocked vault: a stat each (to see other writers), no KDF, no file read.
    const fileRead = await time(async () => {
      for (const id of ids) if ((await file.getCachedToken(id)) === null) throw new Error('missing');
    });
    const keychainRead = await time(async () => {
      for (const id of ids) if ((await keychain.getCachedToken(id)) === null) throw new Error('missing');
    });
    const plainRead = await time(async () => {
      for (let i = 0; i < PROFILES; i += 1) await fs.readFile(vaultPath);
    });
    line(`read ${PROFILES} tokens, one by one`, fileRead, keychainRead, plainRead, 'readFile');
    console.log(`vault file: ${(finalBytes.length / 1024).toFixed(0)} KiB for ${PROFILES} tokens`);
  } finally {
    await Promise.all(Array.from({ length: PROFILES }, (_, i) => keychain.deleteItem(`profile-${i}:token`).catch(() => undefined)));
    await fs.rm(dir, { recursive: true, force: true });
  }
}
