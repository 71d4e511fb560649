// The headless dashboard's one-time login link (issue 5): GET /ui/login?token=… trades the link's
// token for a session cookie and sends the browser to the dashboard.
import { HTTP_LOGIN_PATH } from '../../../common/contract.js';
import { LOGIN_HINT } from './middleware.js';
import { BASE_HEADERS, HttpProblem } from './problem.js';
import type { ServerArea } from './server-area.js';
import { sessionCookie } from './sessions.js';

export function registerLoginRoutes(area: ServerArea): void {
  const { router, sessions } = area;
  router.add({
    path: HTTP_LOGIN_PATH,
    access: 'open',
    methods: {
      GET: ({ res, query }) => {
        const token = new URLSearchParams(query).get('token') ?? '';
        const result = token === '' ? ({ ok: false, reason: 'unknown' } as const) : sessions.redeem(token);
        if (!result.ok) {
          if (result.reason === 'used') throw new HttpProblem(403, 'forbidden', 'This login link was already used.', LOGIN_HINT);
          throw new HttpProblem(401, 'unauthorized', 'This login link is not valid or has expired.', LOGIN_HINT);
        }
        res.writeHead(303, { ...BASE_HEADERS, Location: '/', 'Set-Cookie': sessionCookie(result.sessionId), 'Content-Length': 0 });
        res.end();
      },
    },
  });
}
