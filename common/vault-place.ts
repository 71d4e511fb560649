// Which vault holds the secrets, in words: one definition for the CLI, the dashboard and the tray,
// always taken from the vault in use (its VaultInfo.backend), never assumed to be the keychain.
import type { VaultBackend } from './contract.js';

/** Where secrets go, for a sentence: "its secret is in the OS keychain"; "the vault" while unknown. */
export function vaultPlace(backend: VaultBackend | undefined): string {
  if (backend === undefined) return 'the vault';
  return backend === 'file' ? 'the encrypted vault file' : 'the OS keychain';
}

/** The backend's name as a label (settings, `vault status`). */
export function vaultLabel(backend: VaultBackend): string {
  return backend === 'file' ? 'Encrypted file' : 'OS keychain';
}

/** For help texts, written before any vault is chosen: names both, and how to choose. */
export const ANY_VAULT = 'the vault (the OS keychain or the encrypted vault file, see --vault)';
