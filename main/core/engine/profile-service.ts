// Saving and removing profiles, the one way (docs/storage.md, docs/cli.md): the dashboard's RPC, the engine's
// upsert and the CLI's `profile add`/`rm` all come here, so every door has the same rules, the same
// errors and the same rollback. Validated once; secrets go to the keychain before the profile goes to
// the store, so no profile exists without its secrets; a failure on the way puts the keychain back.
import type { ProfileConfig, ProfileSecrets } from '../../../common/contract.js';
import { PROFILE_EXISTS_MESSAGE } from '../../../common/errors.js';
import { secretFollowErrors } from '../../../common/profile-rules.js';
import { secretFieldsFor, type SecretField } from '../../../common/providers.js';
import { formatFieldErrors, validateProfile } from '../../../common/validation.js';
import type { Clock } from '../clock.js';
import { TokentrayError } from '../errors.js';
import { checkClientAuth } from '../providers/client-auth.js';
import type { ConfigStore, Token, Vault } from '../types.js';

/** 'create' refuses an id that exists (the CLI's `profile add`); 'save' creates or replaces (the dashboard). */
export type SaveMode = 'create' | 'save';

/** The running engine's part in a save: it applies the profile before the store's notification. */
export interface ProfileSaveHooks {
  /** The profile is about to be written; `previous` is what to restore if the write fails. */
  applied?(saved: ProfileConfig, secretsChanged: boolean): void;
  /** The write failed after applied(): go back to `previous` (undefined: the profile was new). */
  reverted?(previous: ProfileConfig | undefined): void;
  /** The keychain entries are gone; the store entry goes next. */
  removed?(id: string): void;
}

export interface ProfileServiceDeps {
  store: ConfigStore;
  vault: Vault;
  clock: Clock;
}

export class ProfileService {
  constructor(private readonly deps: ProfileServiceDeps) {}

  /**
   * The checks that need no secret, for a door that asks for the secret afterwards (the CLI prompts
   * only once the rest is right, so a typo costs no typing). save() checks everything itself.
   */
  check(profile: unknown, mode: SaveMode): ProfileConfig {
    const result = validateProfile(profile, {}, { requireSecrets: false });
    if (!result.ok) throw invalidProfile(formatFieldErrors(result.errors));
    if (mode === 'create') this.refuseExisting(result.profile.id);
    return result.profile;
  }

  /**
   * Validates (once), writes secrets, then the profile; on failure nothing is left changed. `token`
   * (a new profile's tested token) goes to the vault's token cache before the profile appears, so the
   * first demand uses it instead of spending a second request.
   */
  async save(profile: unknown, secrets: ProfileSecrets, mode: SaveMode, hooks: ProfileSaveHooks = {}, token?: Token): Promise<ProfileConfig> {
    const { store, vault, clock } = this.deps;
    const id = typeof profile === 'object' && profile !== null ? (profile as { id?: unknown }).id : undefined;
    const previous = typeof id === 'string' ? store.getProfile(id) : undefined;
    // A new profile needs its secrets now; an edit may keep the ones in the keychain.
    const result = validateProfile(profile, secrets, { requireSecrets: previous === undefined });
    if (!result.ok) throw invalidProfile(formatFieldErrors(result.errors));
    const valid = result.profile;
    if (mode === 'create') this.refuseExisting(valid.id);
    // Before anything is written: a secret never follows a changed destination.
    const follow = secretFollowErrors(previous, valid, result.secrets);
    if (follow.length > 0) throw invalidProfile(formatFieldErrors(follow));
    const given = secretFieldsFor(valid).flatMap((field): Array<[SecretField, string]> => {
      const value = result.secrets[field];
      return typeof value === 'string' && value !== '' ? [[field, value]] : [];
    });
    // Keys and certificates are checked before anything is written (docs/client-auth.md); an edit
    // that keeps the stored key is checked with it.
    const privateKey = result.secrets.privateKey ?? (previous === undefined ? null : await vault.getSecret(valid.id, 'privateKey'));
    await checkClientAuth(valid, privateKey === null ? {} : { privateKey }, clock.now());

    const now = new Date(clock.now()).toISOString();
    const saved: ProfileConfig = { ...valid, createdAt: previous?.createdAt ?? valid.createdAt ?? now, updatedAt: now };
    // Leftovers of an earlier profile with this id (a cached token) must not be served as this one's.
    // A shared-only profile has nothing in the vault and must not need one (a CI runner, SPEC 8).
    if (previous === undefined && valid.sharedOnly !== true) await vault.deleteProfile(valid.id);
    const restore: Array<[SecretField, string | null]> = [];
    let applied = false;
    let cached = false;
    try {
      for (const [field, value] of given) {
        restore.push([field, previous === undefined ? null : await vault.getSecret(valid.id, field)]);
        await vault.setSecret(valid.id, field, value);
      }
      if (token !== undefined && previous === undefined) {
        await vault.setCachedToken(valid.id, token);
        cached = true;
      }
      hooks.applied?.(saved, given.length > 0);
      applied = true;
      store.putProfile(saved);
    } catch (error) {
      if (applied) hooks.reverted?.(previous);
      if (cached) await vault.setCachedToken(valid.id, null).catch(() => undefined);
      // All or nothing: a secret without its profile would be an orphan in the keychain, and a failed
      // edit must not leave the new secret behind the old settings.
      for (const [field, value] of restore.reverse()) {
        await (value === null ? vault.deleteSecret(valid.id, field) : vault.setSecret(valid.id, field, value)).catch(() => undefined);
      }
      throw error;
    }
    return saved;
  }

  /** Removes the keychain entries first (a locked keychain removes nothing), then the profile. */
  async remove(id: string, hooks: ProfileSaveHooks = {}): Promise<boolean> {
    const stored = this.deps.store.getProfile(id);
    const existed = stored !== undefined;
    if (stored?.sharedOnly !== true) await this.deps.vault.deleteProfile(id);
    hooks.removed?.(id);
    this.deps.store.removeProfile(id);
    return existed;
  }

  private refuseExisting(id: string): void {
    if (this.deps.store.getProfile(id) !== undefined) {
      throw new TokentrayError('usage', `${PROFILE_EXISTS_MESSAGE}: "${id}".`, {
        hint: `Edit it, or remove it first with \`tokentray profile rm ${id}\`, or choose another id.`,
        field: 'id',
      });
    }
  }
}

export function invalidProfile(details: string): TokentrayError {
  return new TokentrayError('config', `The profile is not valid:\n${details}`, {
    hint: 'Nothing was saved. Fix the fields named above and save again.',
  });
}
