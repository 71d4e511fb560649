// What every request passes before its handler (STYLE.md: aws-vault's
// `withLogging(withAuthorizationCheck(router))`): the front door's source checks (security.ts), the
// route, the caller's authentication as the route and the door demand, then the method. Every answer
// carries Cache-Control: no-store and never a CORS header, because every answer is written by
// problem.ts's senders (or with its BASE_HEADERS: event streams, static files).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../clock.js';
import type { Caller, CallerAuth } from './caller-auth.js';
import { HttpProblem, sendProblem } from './problem.js';
import { Router, type Access, type RequestContext } from './router.js';
import { checkLocalRequestSource, checkRequestSource, readFrontDoorHeaders, type FrontDoorHeaders } from './security.js';
import { claimsSession, lockScreenRefusal, requireSession, type DashboardSessions } from './sessions.js';

/**
 * Which listener a request came through. `tcp`: 127.0.0.1, where the Host is checked and every
 * caller needs a client key (docs/http-api.md). `local`: the user-only socket, whose permissions are
 * its authentication; `caller` names who is asking (default `cli`).
 */
export type Door = { kind: 'tcp' } | { kind: 'local'; caller?: (req: IncomingMessage, front: FrontDoorHeaders) => Caller };

const LOCAL_CLI: Caller = Object.freeze({ name: 'cli', profiles: null });

export interface PipelineDeps {
  router: Router;
  auth: CallerAuth;
  sessions: DashboardSessions;
  clock: Clock;
  /** The Host values a TCP request may name (known once the server listens). */
  hosts: () => ReadonlySet<string>;
}

/**
 * The handler of one door: answers synchronously where it can (health, refusals, a cached token's
 * lookup) and returns a promise only for work that waits, so the hot path has no promise hops.
 */
export function createPipeline(door: Door, deps: PipelineDeps): (req: IncomingMessage, res: ServerResponse) => Promise<void> | void {
  const { router, auth, sessions, clock } = deps;

  function authenticate(access: Access, ctx: RequestContext): Caller | undefined {
    switch (access) {
      case 'open':
        return undefined;
      case 'session': {
        // Both factors of one session: the origin-bound header secret and the cookie.
        const session = requireSession(sessions, ctx.req);
        return { name: 'dashboard', profiles: null, sessionKey: session.key, sessionScope: session.scope };
      }
      case 'client-or-session': {
        // A client key, or the dashboard's session (docs/http-api.md); a lock-screen
        // session reads no events (the RPC route limits its channels itself).
        if (door.kind === 'tcp' && ctx.front.authorization === undefined && claimsSession(ctx.req)) {
          const caller = authenticate('session', ctx);
          if (caller?.sessionScope !== 'full') throw lockScreenRefusal();
          return caller;
        }
        return authenticate('client', ctx);
      }
      case 'client':
        if (door.kind === 'local') return door.caller === undefined ? LOCAL_CLI : door.caller(ctx.req, ctx.front);
        return auth.authenticate(ctx.front.authorization, ctx.now);
    }
  }

  return (req, res) => {
    const front = readFrontDoorHeaders(req.rawHeaders);
    const refusal = door.kind === 'tcp' ? checkRequestSource(front, deps.hosts()) : checkLocalRequestSource(front);
    if (refusal !== null) {
      sendProblem(res, refusal);
      return;
    }
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const match = router.match(path);
    if (match === null) throw new HttpProblem(404, 'not_found', 'There is no such page.');
    const { route } = match;
    const ctx: RequestContext = {
      req,
      res,
      method: req.method ?? 'GET',
      path,
      query: q < 0 ? '' : url.slice(q + 1),
      params: match.params,
      front,
      now: clock.now(),
      caller: undefined,
    };
    // Authentication before the method: a caller without a key learns nothing about a path.
    ctx.caller = authenticate(route.access, ctx);
    const handler = Router.handlerFor(route, ctx.method);
    if (handler === undefined) throw new HttpProblem(405, 'usage', `Use ${route.allow} on this path.`, undefined, { Allow: route.allow });
    return handler(ctx);
  };
}

/** The caller of a route that is not `open` (the middleware set it before the handler ran). */
export function callerOf(ctx: RequestContext): Caller {
  if (ctx.caller === undefined) throw new Error(`The route ${ctx.path} was reached without a caller.`);
  return ctx.caller;
}
