// Which vault holds the secrets (docs/storage.md): `--vault`, TOKENTRAY_VAULT, the setting `vault`,
// else `auto`: the keychain when one answers, else the encrypted file. An explicit choice never falls
// back, and there is no plaintext backend. Also where the file vault's passphrase comes from when no
// person types it: TOKENTRAY_VAULT_PASSPHRASE, or TOKENTRAY_VAULT_PASSPHRASE_FILE (a mounted secret).
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { VAULT_CHOICES, type VaultChoice } from '../../common/contract.js';
import type { SecretField } from '../../common/providers.js';
import { TokentrayError } from '../core/errors.js';
import type { Token, Vault } from '../core/types.js';
import type { LockableVault } from '../core/storage/vault-control.js';
import { FileVault, VAULT_FILE_NAME, type FileVaultOptions } from './file-vault.js';
import { KeytarVault } from './keytar-vault.js';

export interface VaultChoiceSources {
  flag?: string | undefined;
  env: NodeJS.ProcessEnv;
  setting?: VaultChoice | undefined;
}

/** `--vault` before TOKENTRAY_VAULT before the setting; an unknown value is a usage error, never a guess. */
export function resolveVaultChoice(sources: VaultChoiceSources): VaultChoice {
  const check = (value: string, where: string): VaultChoice => {
    if ((VAULT_CHOICES as readonly string[]).includes(value)) return value as VaultChoice;
    throw new TokentrayError('usage', `${where} must be keychain, file or auto, not "${value.slice(0, 40)}".`, {
      hint: 'keychain: the OS keychain; file: the encrypted file in the config directory; auto: the keychain when one answers, else the file.',
    });
  };
  if (sources.flag !== undefined && sources.flag !== '') return check(sources.flag, '--vault');
  if (sources.env.TOKENTRAY_VAULT) return check(sources.env.TOKENTRAY_VAULT, 'TOKENTRAY_VAULT');
  return sources.setting ?? 'auto';
}

export type KeychainAnswer = { ok: true } | { ok: false; reason: string };

/**
 * Whether the OS keychain answers, bounded in time. On Linux without a session bus, libsecret would
 * try to autolaunch one (X11) or wait for a timeout: we do not ask it at all then.
 */
export async function keychainAnswers(options: { env: NodeJS.ProcessEnv; service?: string; timeoutMs?: number }): Promise<KeychainAnswer> {
  const { env } = options;
  if (process.platform === 'linux' && !env.DBUS_SESSION_BUS_ADDRESS) {
    const runtimeDir = env.XDG_RUNTIME_DIR || `/run/user/${process.getuid?.() ?? 0}`;
    if (!fs.existsSync(path.join(runtimeDir, 'bus'))) return { ok: false, reason: 'no D-Bus session' };
  }
  const vault = new KeytarVault(options.service === undefined ? {} : { service: options.service });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<KeychainAnswer>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, reason: 'the keychain did not answer in time' }), options.timeoutMs ?? 5000);
    timer.unref();
  });
  try {
    return await Promise.race([
      vault.answers().then(
        (): KeychainAnswer => ({ ok: true }),
        (error: unknown): KeychainAnswer => ({ ok: false, reason: error instanceof TokentrayError ? error.message.replace(/\.$/, '').toLowerCase() : 'it failed' }),
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export interface ChosenVault {
  vault: KeytarVault | FileVault;
  /** One line saying which backend is used and why (printed by serve, the app, and the CLI on a fallback). */
  line: string;
  /** Whether `auto` fell back to the file. */
  fellBack: boolean;
}

export interface ChooseVaultOptions {
  configDir: string;
  choice: VaultChoice;
  env: NodeJS.ProcessEnv;
  file?: FileVaultOptions;
  probeTimeoutMs?: number;
}

export async function chooseVault(options: ChooseVaultOptions): Promise<ChosenVault> {
  const { configDir, choice, env } = options;
  const service = env.TOKENTRAY_KEYCHAIN_SERVICE || undefined;
  const keychain = (): KeytarVault => new KeytarVault(service === undefined ? {} : { service });
  const file = (): FileVault => new FileVault(configDir, options.file ?? {});
  if (choice === 'keychain') {
    const vault = keychain();
    return { vault, line: `vault: the OS keychain (service ${vault.service})`, fellBack: false };
  }
  if (choice === 'file') {
    const vault = file();
    return { vault, line: `vault: the encrypted file ${vault.location}`, fellBack: false };
  }
  // auto: a vault file already here holds this config's secrets; moving off it is `vault migrate`.
  if (fs.existsSync(path.join(configDir, VAULT_FILE_NAME))) {
    const vault = file();
    return { vault, line: `vault: the encrypted file ${vault.location} (auto: it exists)`, fellBack: false };
  }
  const answer = await keychainAnswers({ env, ...(service === undefined ? {} : { service }), ...(options.probeTimeoutMs === undefined ? {} : { timeoutMs: options.probeTimeoutMs }) });
  if (answer.ok) {
    const vault = keychain();
    return { vault, line: `vault: the OS keychain (auto: it answered; service ${vault.service})`, fellBack: false };
  }
  const vault = file();
  return { vault, line: `vault: the encrypted file ${vault.location} (auto: ${answer.reason})`, fellBack: true };
}

/**
 * The passphrase from the environment: TOKENTRAY_VAULT_PASSPHRASE, else the file named by
 * TOKENTRAY_VAULT_PASSPHRASE_FILE with one trailing newline removed; null when neither is set.
 * Errors name the variable or the file, never the content.
 */
export async function passphraseFromEnv(env: NodeJS.ProcessEnv): Promise<string | null> {
  if (env.TOKENTRAY_VAULT_PASSPHRASE !== undefined && env.TOKENTRAY_VAULT_PASSPHRASE !== '') return env.TOKENTRAY_VAULT_PASSPHRASE;
  const file = env.TOKENTRAY_VAULT_PASSPHRASE_FILE;
  if (file === undefined || file === '') return null;
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (error) {
    throw new TokentrayError('vault_locked', `The passphrase file ${file} (TOKENTRAY_VAULT_PASSPHRASE_FILE) cannot be read.`, {
      hint: 'Check that the file exists and that this user may read it.',
      cause: error,
    });
  }
  const passphrase = text.replace(/\r?\n$/, '');
  if (passphrase === '') {
    throw new TokentrayError('vault_locked', `The passphrase file ${file} (TOKENTRAY_VAULT_PASSPHRASE_FILE) is empty.`, { hint: 'Put the passphrase in it.' });
  }
  return passphrase;
}

/** How a one-shot command gets the passphrase when the environment has none (a prompt on a TTY). */
export type PassphrasePrompt = (mode: 'create' | 'unlock') => Promise<string>;

/**
 * Opens the file vault with the environment's passphrase, creating it when absent; false when the
 * environment gives none (a host then runs locked until the lock screen is answered).
 */
export async function unlockFromEnv(vault: LockableVault, env: NodeJS.ProcessEnv): Promise<boolean> {
  if (vault.state === 'unlocked') return true;
  const passphrase = await passphraseFromEnv(env);
  if (passphrase === null) return false;
  await openWith(vault, passphrase);
  return true;
}

/** Opens a file vault with the environment's passphrase, else the prompt; creates it when absent. */
export async function openWithPassphrase(vault: LockableVault, env: NodeJS.ProcessEnv, prompt: PassphrasePrompt | null): Promise<void> {
  if (await unlockFromEnv(vault, env)) return;
  if (prompt === null) throw noPassphrase(vault);
  await openWith(vault, await prompt(vault.state === 'absent' ? 'create' : 'unlock'));
}

function openWith(vault: LockableVault, passphrase: string): Promise<void> {
  return vault.state === 'absent' ? vault.create(passphrase) : vault.unlock(passphrase);
}

function noPassphrase(vault: LockableVault): TokentrayError {
  return new TokentrayError('vault_locked', `The file vault ${vault.location} needs its passphrase, and none was given.`, {
    hint: 'Set TOKENTRAY_VAULT_PASSPHRASE or TOKENTRAY_VAULT_PASSPHRASE_FILE, or run in a terminal to be asked.',
  });
}

/**
 * A vault whose backend is chosen, and whose passphrase is asked for, only on first use: commands
 * that never touch a secret (or that reach the running app) never probe the keychain or prompt.
 */
export class VaultOnDemand implements Vault {
  readonly #open: () => Promise<Vault>;
  #opening: Promise<Vault> | null = null;

  constructor(open: () => Promise<Vault>) {
    this.#open = open;
  }

  #vault(): Promise<Vault> {
    this.#opening ??= this.#open().catch((error: unknown) => {
      this.#opening = null;
      throw error;
    });
    return this.#opening;
  }

  async getSecret(profileId: string, field: SecretField): Promise<string | null> {
    return (await this.#vault()).getSecret(profileId, field);
  }
  async setSecret(profileId: string, field: SecretField, value: string): Promise<void> {
    return (await this.#vault()).setSecret(profileId, field, value);
  }
  async deleteSecret(profileId: string, field: SecretField): Promise<void> {
    return (await this.#vault()).deleteSecret(profileId, field);
  }
  async getCachedToken(profileId: string): Promise<Token | null> {
    return (await this.#vault()).getCachedToken(profileId);
  }
  async setCachedToken(profileId: string, token: Token | null): Promise<void> {
    return (await this.#vault()).setCachedToken(profileId, token);
  }
  async deleteProfile(profileId: string): Promise<void> {
    return (await this.#vault()).deleteProfile(profileId);
  }
  async getItem(account: string): Promise<string | null> {
    return (await this.#vault()).getItem(account);
  }
  async setItem(account: string, value: string): Promise<void> {
    return (await this.#vault()).setItem(account, value);
  }
  async deleteItem(account: string): Promise<void> {
    return (await this.#vault()).deleteItem(account);
  }
}
