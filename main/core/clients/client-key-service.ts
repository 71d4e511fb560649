// Loopback client keys, added and removed through one service whatever the door (the dashboard's RPC
// or the CLI), so the rules and the words are the same, and recorded in the activity log
// by whoever follows the store, so a key the CLI adds in another process is logged like one the
// dashboard adds (docs/http-api.md: the log says which key fetched which token, and when keys came and went).
import { clientNameSchema, type ActivityEntry } from '../../../common/contract.js';
import type { Clock } from '../clock.js';
import { createClientKey } from './client-keys.js';
import { TokentrayError, noSuchProfile } from '../errors.js';
import type { ClientKeyRecord, ConfigStore } from '../types.js';

export interface ClientKeyServiceDeps {
  store: ConfigStore;
  clock: Clock;
}

export class ClientKeyService {
  constructor(private readonly deps: ClientKeyServiceDeps) {}

  /**
   * A new key for `name`, limited to `profiles` (null: every profile). The key is returned here once
   * and never again: only its hash is stored (docs/http-api.md).
   */
  add(name: string, profiles: readonly string[] | null): { key: string; record: ClientKeyRecord } {
    const { store, clock } = this.deps;
    if (!clientNameSchema.safeParse(name).success) {
      throw new TokentrayError('usage', `"${name}" is not a valid client name.`, { hint: 'Use 1-64 characters of letters, digits, . _ -' });
    }
    if (store.listClients().some((record) => record.name === name)) {
      throw new TokentrayError('usage', `A client key named "${name}" already exists.`, {
        hint: `Pick another name, or remove the existing key first (\`tokentray clients rm ${name}\`).`,
      });
    }
    let limited: string[] | null = null;
    if (profiles !== null) {
      limited = [...new Set(profiles)];
      if (limited.length === 0) {
        throw new TokentrayError('usage', 'A limited key needs at least one profile.', { hint: 'Name a profile, or leave the limit out for all.' });
      }
      for (const id of limited) if (store.getProfile(id) === undefined) throw noSuchProfile(id);
    }
    const created = createClientKey(name, limited, new Date(clock.now()));
    store.putClient(created.record);
    return created;
  }

  /** Revokes the key; false when there was none of that name. */
  remove(name: string): boolean {
    return this.deps.store.removeClient(name);
  }
}

type ClientEntry = Pick<ActivityEntry, 'kind' | 'client'> & { kind: 'client-added' | 'client-removed' };

/**
 * Follows the store's client records and reports each key that appears or goes, whichever process
 * wrote it. A key replaced under the same name (a new hash) is reported as removed, then added.
 * Returns the unsubscribe function.
 */
export function watchClientKeys(store: ConfigStore, record: (entry: ClientEntry) => void): () => void {
  const keyOf = (c: ClientKeyRecord): string => `${c.name}\0${c.hash}`;
  let known = new Map(store.listClients().map((c) => [keyOf(c), c.name]));
  return store.onDidChange(() => {
    const now = new Map(store.listClients().map((c) => [keyOf(c), c.name]));
    for (const [key, name] of known) if (!now.has(key)) record({ kind: 'client-removed', client: name });
    for (const [key, name] of now) if (!known.has(key)) record({ kind: 'client-added', client: name });
    known = now;
  });
}
