// Where token commands get credentials (docs/cli.md): the running app when one answers for this
// config directory (over its socket when it serves one: no key, no vault, no passphrase), else the same engine in-process with no scheduler plugged in (nothing runs
// without a demand) and the keychain token cache, so a second CLI run reuses a valid token instead
// of spending a request.
import type { HeadersResponse, ProfileStatus, TokenResponse } from '../../../common/contract.js';
import { toTokenResponse } from '../../core/wire.js';
import { systemClock } from '../../core/clock.js';
import { findRunningApp, type RunningApp } from '../app-client.js';
import type { CliContext } from './context.js';

export interface Credential {
  token: TokenResponse;
  headers: HeadersResponse;
}

export interface TokenSource {
  /** Only the token answer (one request to the app, like the fast path's). */
  token(id: string): Promise<TokenResponse>;
  /** Only the headers. */
  headers(id: string): Promise<HeadersResponse>;
  credential(id: string): Promise<Credential>;
  statuses(): Promise<ProfileStatus[]>;
  close(): Promise<void>;
}

export async function openTokenSource(context: CliContext): Promise<TokenSource> {
  // A wrong --vault is exit 2 whether or not an app answers (the socket path never opens the vault).
  context.checkVaultChoice();
  const app = await findRunningApp(context.configDir, { vault: context.vault });
  if (app) return appSource(app);
  return engineSource(context);
}

function appSource(app: RunningApp): TokenSource {
  return {
    token: (id) => app.token(id),
    headers: (id) => app.headers(id),
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
  const [{ TokenEngine }, { createProviderRegistry }, { HistoryFiles }, { tlsAwareFetch }] = await Promise.all([
    import('../../core/engine/token-engine.js'),
    import('../../core/providers/index.js'),
    import('../history-files.js'),
    import('../../core/tls-fetch.js'),
  ]);
  const engine = new TokenEngine({
    store: context.store,
    vault: context.vault,
    providers: createProviderRegistry(),
    clock: systemClock,
    fetch: tlsAwareFetch,
    logger: context.logger,
    // Its hand-outs and requests join the app's record; it reads only the request times (statuses).
    history: new HistoryFiles(context.configDir, { readActivity: false }),
  });
  await engine.start();
  const credential = async (id: string): Promise<Credential> => {
    const token = await engine.getToken(id, { client: 'cli' });
    return { token: toTokenResponse(token, systemClock.now()), headers: { ...token.headers } };
  };
  return {
    token: async (id) => (await credential(id)).token,
    headers: async (id) => (await credential(id)).headers,
    credential,
    statuses: async () => {
      // Without background refresh the cache is read on demand: read it all, then report the
      // engine's own view of each profile, without spending a request.
      await engine.loadCachedTokens();
      return engine.statuses();
    },
    close: async () => {
      await engine.stop();
      await engine.closeHistory();
    },
  };
}
