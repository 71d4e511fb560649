// Operate Self-Managed with a login cookie (seed 003): POST {base}/api/login?username=..&password=..
// and send back every cookie it sets, plus the CSRF token when the answer carries one, under the name
// the server used (see csrfOf).
// The login URL holds the password, so it never reaches a message, a log or an error cause: errors
// are built from the base URL's host only (see send() and ./http-errors.ts).
import { TokentrayError } from '../errors.js';
import { errorFromResponse, hostOf } from './http-errors.js';
import type { Provider, Token } from '../types.js';
import { httpUrlOf, secretOf, send } from './token-request.js';

interface ParsedCookie {
  name: string;
  value: string;
  /** Epoch ms when the cookie stops being valid, if it says so. */
  expiresAt: number | undefined;
}

/** One Set-Cookie line (RFC 6265 section 5.2): name=value, then attributes. */
export function parseSetCookie(line: string, now: number): ParsedCookie | null {
  const [pair = '', ...attributes] = line.split(';');
  const eq = pair.indexOf('=');
  if (eq <= 0) return null;
  const cookie: ParsedCookie = { name: pair.slice(0, eq).trim(), value: pair.slice(eq + 1).trim(), expiresAt: undefined };
  let maxAge: number | undefined;
  let expires: number | undefined;
  for (const attribute of attributes) {
    const [key = '', ...rest] = attribute.split('=');
    const value = rest.join('=').trim();
    if (/^max-age$/i.test(key.trim()) && /^-?\d+$/.test(value)) maxAge = Number(value);
    if (/^expires$/i.test(key.trim())) {
      const date = Date.parse(value);
      if (!Number.isNaN(date)) expires = date;
    }
  }
  // Max-Age wins over Expires (RFC 6265 section 5.3 step 3).
  if (maxAge !== undefined) cookie.expiresAt = now + maxAge * 1000;
  else if (expires !== undefined) cookie.expiresAt = expires;
  return cookie;
}

/**
 * Operate 8.5 answers its login with `OPERATE-X-CSRF-TOKEN` and expects it back under that name on
 * POST, PUT, PATCH and DELETE; 8.6 renamed it `X-CSRF-TOKEN` (camunda/camunda PR 17570 and PR 19305;
 * camunda-operate-client-java PR 161 handles both). Some setups hand it out as a cookie of the same
 * name instead. The first name found wins, header before cookie, and it is sent back spelled as the
 * server spelled it on the wire (header names are case-insensitive, but the cookie's name is not).
 */
export const CSRF_NAMES = ['OPERATE-X-CSRF-TOKEN', 'X-CSRF-TOKEN'] as const;

export function csrfOf(headers: Headers, jar: ReadonlyMap<string, ParsedCookie>): { name: string; value: string } | null {
  for (const name of CSRF_NAMES) {
    const value = headers.get(name);
    if (value) return { name, value };
  }
  for (const name of CSRF_NAMES) {
    for (const cookie of jar.values()) {
      if (cookie.name.toUpperCase() === name && cookie.value !== '') return { name: cookie.name, value: cookie.value };
    }
  }
  return null;
}

export const camundaOperateCookieProvider: Provider = {
  id: 'camunda-operate-cookie',
  async obtain(profile, secrets, context) {
    const base = httpUrlOf(profile.baseUrl, 'Operate base URL');
    if (!profile.username) {
      throw new TokentrayError('config', 'This profile has no username.', { hint: 'Set the username in the profile.' });
    }
    const password = secretOf(secrets, 'password');
    const host = hostOf(base);
    const query = new URLSearchParams({ username: profile.username, password });
    const exchange = await send(profile, context, {
      url: `${base.replace(/\/+$/, '')}/api/login?${query.toString()}`,
      headers: { Accept: 'application/json' },
      host,
    });
    const now = context.clock.now();
    if (exchange.status < 200 || exchange.status >= 300) {
      throw errorFromResponse(exchange.status, exchange.headers, exchange.body, host, { now, wording: 'user' });
    }

    const jar = new Map<string, ParsedCookie>();
    for (const line of exchange.headers.getSetCookie()) {
      const cookie = parseSetCookie(line, now);
      if (!cookie) continue;
      // A cookie that is already expired is the server deleting it, not a session.
      if (cookie.expiresAt !== undefined && cookie.expiresAt <= now) jar.delete(cookie.name);
      else jar.set(cookie.name, cookie);
    }
    if (jar.size === 0) {
      throw new TokentrayError('bad_response', `${host} answered the login without a session cookie.`, {
        hint: 'Check the Operate base URL: it should be the address of Operate itself (for example http://localhost:8080).',
      });
    }

    const cookieHeader = [...jar.values()].map((c) => `${c.name}=${c.value}`).join('; ');
    const headers: Record<string, string> = { Cookie: cookieHeader };
    const csrf = csrfOf(exchange.headers, jar);
    if (csrf !== null) headers[csrf.name] = csrf.value;

    // The session is trusted for the profile's session lifetime, or less if a cookie says so.
    let expiresAt = now + (profile.sessionLifetimeSec ?? 1800) * 1000;
    for (const cookie of jar.values()) {
      if (cookie.expiresAt !== undefined) expiresAt = Math.min(expiresAt, cookie.expiresAt);
    }
    const token: Token = { accessToken: cookieHeader, tokenType: 'Cookie', headers, obtainedAt: now, expiresAt };
    return token;
  },
};
