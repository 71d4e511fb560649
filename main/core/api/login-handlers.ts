// The dashboard's login area: the one-time link's
// redemption and logout (the session check of every `session` route is sessions.ts's
// requireSession, run by the middleware). See sessions.ts for why a session is the header secret plus the cookie, and why another local origin
// cannot have both.
import { DASHBOARD_LOGIN_PAGE, HTTP_LOGIN_PATH, HTTP_LOGOUT_PATH } from '../../../common/contract.js';
import { readJson } from './body.js';
import { callerOf } from './middleware.js';
import { BASE_HEADERS, HttpProblem, sendJson } from './problem.js';
import type { ServerArea } from './server-area.js';
import { expiredSessionCookie, sessionCookie } from './sessions.js';

export const LOGIN_HINT = 'Run `tokentray dashboard` for a fresh login link.';
const LOGIN_BODY_BYTES = 4096;

/** Where a login link points: the token after `#`, so it never reaches a server or a log. */
export function loginLink(port: number, token: string): string {
  return `http://127.0.0.1:${port}${DASHBOARD_LOGIN_PAGE}#token=${token}`;
}

export function registerLoginRoutes(area: Pick<ServerArea, 'router' | 'sessions'>): void {
  const { router, sessions } = area;
  router.add({
    path: HTTP_LOGIN_PATH,
    access: 'open',
    methods: {
      // Never a GET: a token in a query string would be in logs and history (the link is /login#token=).
      POST: async ({ req, res, front }) => {
        // Only the dashboard's own script redeems a link: a browser's fetch always names its Origin,
        // and the front door has already refused any Origin but this server's.
        if (front.origin === undefined) {
          throw new HttpProblem(403, 'forbidden', 'A login link is redeemed by the dashboard page itself.', 'Open the link in a browser.');
        }
        const body = await readJson(req, LOGIN_BODY_BYTES);
        const token = typeof body === 'object' && body !== null && typeof (body as { token?: unknown }).token === 'string' ? (body as { token: string }).token : '';
        const result = token === '' ? ({ ok: false, reason: 'unknown' } as const) : sessions.redeem(token);
        if (!result.ok) {
          if (result.reason === 'used') throw new HttpProblem(403, 'forbidden', 'This login link was already used.', LOGIN_HINT);
          throw new HttpProblem(401, 'unauthorized', 'This login link is not valid or has expired.', LOGIN_HINT);
        }
        // The secret goes only into this same-origin answer's body (no CORS, so no other origin reads it).
        sendJson(res, 200, { session: result.secret }, { 'Set-Cookie': sessionCookie(result.cookie) });
      },
    },
  });
  router.add({
    path: HTTP_LOGOUT_PATH,
    access: 'session',
    methods: {
      POST: (ctx) => {
        ctx.req.resume();
        const { sessionKey } = callerOf(ctx);
        if (sessionKey !== undefined) sessions.end(sessionKey);
        ctx.res.writeHead(204, { ...BASE_HEADERS, 'Set-Cookie': expiredSessionCookie() });
        ctx.res.end();
      },
    },
  });
}
