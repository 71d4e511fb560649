// Where token commands get credentials (SPEC section 5): the running app when one answers for this
// config directory, else the same engine in-process, with background refresh off and the keychain
// token cache, so a second CLI run reuses a valid token instead of spending a request.
import type { HeadersResponse, ProfileStatus, TokenResponse } from '../../../common/contract.js';
import { toTokenResponse } from '../../core/api/token-response.js';
import { systemClock } from '../../core/clock.js';
import type { Engine, Vault } from '../../core/types.js';
import { findRunningApp, type RunningApp } from '../app-client.js';
import type { CliContext } from './context.js';

export interface Credential {
  token: TokenResponse;
  headers: HeadersResponse;
}

export interface TokenSource {
  credential(id: string): Promise<Credential>;
  statuses(): Promise<ProfileStatus[]>;
  close(): Promise<void>;
}

export async function openTokenSource(context: CliContext): Promise<TokenSource> {
  const app = await findRunningApp(context.configDir, { vault: context.vault });
  if (app) return appSource(app);
  return engineSource(context);
}

function appSource(app: RunningApp): TokenSource {
  return {
    async credential(id) {
      const [token, headers] = await Promise.all([app.token(id), app.headers(id)]);
      return { token, headers };
    },
    statuses: () => app.statuses(),
    close: async () => {},
  };
}

async function engineSource(context: CliContext): Promise<TokenSource> {
  // Loaded only by the commands that need tokens: `profile list` and `--help` stay quick.
  const [{ TokenEngine }, { createProviderRegistry }] = await Promise.all([
    import('../../core/engine.js'),
    import('../../core/providers/index.js'),
  ]);
  const engine: Engine = new TokenEngine({
    store: context.store,
    vault: context.vault,
    providers: createProviderRegistry(),
    clock: systemClock,
    fetch: (input, init) => fetch(input, init),
    background: false,
    logger: context.logger,
  });
  await engine.start();
  return {
    async credential(id) {
      const token = await engine.getToken(id, { client: 'cli' });
      return { token: toTokenResponse(token, systemClock.now()), headers: { ...token.headers } };
    },
    statuses: async () => withCachedTokens(engine.statuses(), context.vault),
    close: () => engine.stop(),
  };
}

/**
 * Without background refresh the engine loads a profile's cached token only on demand, so a one-shot
 * `status` would call every profile expired. Filling in what the keychain cache holds shows the
 * state the next `token` call will find, without spending a request.
 */
async function withCachedTokens(statuses: ProfileStatus[], vault: Vault): Promise<ProfileStatus[]> {
  const now = Date.now();
  return Promise.all(
    statuses.map(async (status) => {
      if (status.state === 'paused' || status.obtainedAt !== null) return status;
      const token = await vault.getCachedToken(status.id).catch(() => null);
      if (token === null || (token.expiresAt !== null && token.expiresAt <= now)) return status;
      // SPEC section 2: a token is due for renewal once 75% of its lifetime has passed.
      const expiring = token.expiresAt !== null && now >= token.obtainedAt + 0.75 * (token.expiresAt - token.obtainedAt);
      return {
        ...status,
        state: expiring ? 'expiring' : 'fresh',
        obtainedAt: new Date(token.obtainedAt).toISOString(),
        expiresAt: token.expiresAt === null ? null : new Date(token.expiresAt).toISOString(),
      } satisfies ProfileStatus;
    }),
  );
}
