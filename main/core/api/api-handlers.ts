// The loopback API's own paths (docs/http-api.md): health, the profile list, a profile's token,
// headers and refresh, the event stream, the proxy and the headless dashboard's login link.
import { HTTP_EVENTS_PATH } from '../../../common/contract.js';
import type { Token } from '../types.js';
import { vaultLockedError, type VaultState } from '../storage/vault-control.js';
import { callerMayAccess, type Caller } from './caller-auth.js';
import { callerOf } from './middleware.js';
import { HttpProblem, problemFromError, sendJson, sendJsonText } from './problem.js';
import type { Holder } from './revocation.js';
import type { RequestContext } from './router.js';
import type { ServerArea } from './server-area.js';
import { tokenResponseJson } from '../wire.js';

type TokenAnswer = 'token' | 'headers' | 'refresh';

/** What revocation must find again: the key as it was when the request was let in, or the session. */
function holderOf(caller: Caller, profile?: string): Holder | null {
  if (caller.sessionKey !== undefined) return { kind: 'session', sessionKey: caller.sessionKey };
  if (caller.record === undefined) return null; // the local socket's own user: nothing to revoke
  return { kind: 'key', name: caller.record.name, hash: caller.record.hash, profiles: caller.profiles, ...(profile === undefined ? {} : { profile }) };
}

export function registerApiRoutes(
  area: Pick<ServerArea, 'router' | 'engine' | 'clock' | 'auth' | 'streams' | 'proxy' | 'work' | 'vault' | 'sharedCache' | 'version' | 'createLoginLink'>,
): void {
  const { router, engine, clock, auth, streams, proxy, work } = area;

  function answerToken(ctx: RequestContext, what: TokenAnswer, token: Token, now: number): void {
    if (what === 'headers') sendJson(ctx.res, 200, token.headers);
    else sendJsonText(ctx.res, 200, tokenResponseJson(token, now));
  }

  const unlocked = (): boolean => area.vault === undefined || area.vault.state === 'unlocked';
  /** Token demands while the file vault waits for its passphrase: 503 with a hint (docs/storage.md). */
  const requireUnlocked = (): void => {
    if (!unlocked()) throw problemFromError(vaultLockedError((area.vault as { state: VaultState }).state));
  };

  const tokenHandler =
    (what: TokenAnswer) =>
    (ctx: RequestContext): Promise<void> | void => {
      const caller = callerOf(ctx);
      const id = ctx.params.id as string;
      auth.requireProfile(caller, id, ctx.now);
      requireUnlocked();
      // The engine records every token it hands out under the caller's name (docs/http-api.md).
      const options = { client: caller.name };
      // A valid cached token is answered at once, without a promise hop (the common case by far).
      const ready = what === 'refresh' ? null : engine.peekToken(id, options);
      if (ready !== null) {
        answerToken(ctx, what, ready, ctx.now);
        return undefined;
      }
      return (what === 'refresh' ? engine.refresh(id, options) : engine.getToken(id, options)).then((token) =>
        // After a wait, expires_in counts from the moment of answering.
        answerToken(ctx, what, token, clock.now()),
      );
    };

  const health = (ctx: RequestContext): void => {
    const shared = area.sharedCache?.health();
    // SPEC section 8: "sharedCache":"connected"|"unavailable", and the reason (never a password).
    const fleet = shared === undefined ? {} : { sharedCache: shared.state, ...(shared.reason === null ? {} : { sharedCacheReason: shared.reason }) };
    sendJson(ctx.res, 200, { status: unlocked() ? 'ok' : 'locked', version: area.version, ...fleet });
  };

  const proxied = (ctx: RequestContext): Promise<void> => {
    const caller = callerOf(ctx);
    const id = ctx.params.id as string;
    auth.requireProfile(caller, id, ctx.now);
    requireUnlocked();
    const rest = ctx.params.path;
    const holder = holderOf(caller, id);
    if (holder !== null) work.trackProxy(holder, ctx.req, ctx.res);
    return proxy.handle(ctx.req, ctx.res, { profileId: id, rawPath: rest === undefined ? '' : `/${rest}`, query: ctx.query, client: caller.name });
  };

  router
    .add({ path: '/v1/health', access: 'open', methods: { GET: health, HEAD: health } })
    .add({
      path: '/v1/profiles',
      access: 'client',
      methods: {
        GET: (ctx) => {
          const caller = callerOf(ctx);
          sendJson(ctx.res, 200, engine.statuses().filter((s) => callerMayAccess(caller, s.id)));
        },
      },
    })
    .add({ path: '/v1/profiles/{id}/token', access: 'client', methods: { GET: tokenHandler('token') } })
    .add({ path: '/v1/profiles/{id}/headers', access: 'client', methods: { GET: tokenHandler('headers') } })
    .add({ path: '/v1/profiles/{id}/refresh', access: 'client', methods: { POST: tokenHandler('refresh') } })
    .add({
      path: HTTP_EVENTS_PATH,
      access: 'client-or-session',
      methods: {
        GET: (ctx) => {
          const caller = callerOf(ctx);
          streams.attach(ctx.req, ctx.res, caller.profiles);
          const holder = holderOf(caller);
          if (holder !== null) work.trackStream(holder, ctx.res);
        },
      },
    })
    .add({ path: '/v1/proxy/{id}', access: 'client', methods: { ANY: proxied } })
    .add({ path: '/v1/proxy/{id}/{path*}', access: 'client', methods: { ANY: proxied } })
    .add({
      path: '/v1/dashboard-link',
      access: 'client',
      methods: {
        POST: (ctx) => {
          // A dashboard session sees every profile, so only an unlimited key may open one.
          if (callerOf(ctx).profiles !== null) {
            throw new HttpProblem(403, 'forbidden', 'This client key may not open the dashboard.', 'Use a key that is not limited to some profiles.');
          }
          sendJson(ctx.res, 200, { url: area.createLoginLink() });
        },
      },
    })
    .add({
      // Any other /v1/ path still needs a key first (docs/http-api.md: every request but health).
      path: '/v1/{rest*}',
      access: 'client',
      methods: {
        ANY: () => {
          throw new HttpProblem(404, 'not_found', 'There is no such API path.', 'See the paths in docs/http-api.md: /v1/health, /v1/profiles, /v1/events, /v1/proxy, /v1/activity.');
        },
      },
    });
}
