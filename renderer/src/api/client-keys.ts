// Creating a loopback client key from the dashboard (docs/http-api.md), shared by the settings view and
// the relay panel: the name is checked here against the contract's rule before the RPC, which
// checks it again; the key comes back once and is never shown by the server again.
import { clientNameSchema, type ClientKeyInfo, type ErrorInfo, type TokentrayBridge } from '../../../common/contract.js';

export const CLIENT_NAME_RULE = 'Use 1-64 letters, digits, dots, underscores or dashes.';

export type KeyCreation =
  | { kind: 'invalid-name'; message: string }
  | { kind: 'failed'; error: ErrorInfo }
  | { kind: 'created'; key: string; client: ClientKeyInfo };

/** `profiles` null: a key for every profile; otherwise limited to those ids. */
export async function createClientKey(bridge: TokentrayBridge, typedName: string, profiles: string[] | null): Promise<KeyCreation> {
  const parsed = clientNameSchema.safeParse(typedName.trim());
  if (!parsed.success) return { kind: 'invalid-name', message: CLIENT_NAME_RULE };
  const result = await bridge.invoke('clients:add', { name: parsed.data, profiles });
  return result.ok ? { kind: 'created', key: result.value.key, client: result.value.client } : { kind: 'failed', error: result.error };
}
