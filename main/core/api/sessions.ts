// Headless dashboard sessions. `tokentray serve` and
// `tokentray dashboard` print a one-time link, http://127.0.0.1:PORT/login#token=...: the token is
// in the fragment, so the browser never sends it to any server and no log sees it. The dashboard's
// own script reads it and redeems it with a same-origin POST /ui/login; the answer carries a fresh
// session secret in its JSON body, which the page keeps in sessionStorage and sends as the
// X-Tokentray-Session header on every RPC and event request. sessionStorage is per origin, port
// included, and no other origin can read the answer (no CORS, ever), so a page on another loopback
// port cannot learn the secret. The HttpOnly cookie stays as a second factor only: cookies ignore
// ports, so it alone opens nothing. Only SHA-256 digests of links, secrets and cookies are
// kept, so a memory dump or a map-lookup timing leaks nothing reusable.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { SESSION_COOKIE, SESSION_HEADER } from '../../../common/contract.js';
import { SESSION_HINT } from '../../../common/dashboard-http.js';
import type { Clock, TimerHandle } from '../clock.js';
import { HttpProblem } from './problem.js';
import { Emitter } from '../../../common/emitter.js';

export interface SessionOptions {
  /** How long a printed link stays usable. */
  linkTtlMs: number;
  /** A session ends after this long without a request. */
  sessionIdleMs: number;
}

export const DEFAULT_SESSION_OPTIONS: SessionOptions = {
  linkTtlMs: 15 * 60_000,
  sessionIdleMs: 12 * 60 * 60_000,
};

/** Remember used links for this long, so a reuse is told "already used" rather than "unknown". */
const USED_MEMORY_MS = 24 * 60 * 60_000;
const MAX_ENTRIES = 1000;

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();
const key = (value: string): string => digest(value).toString('hex');

/** What a redeemed link gives the page: the header secret for its storage and the cookie's value. */
export type RedeemResult = { ok: true; secret: string; cookie: string } | { ok: false; reason: 'used' | 'unknown' };

/**
 * What a session may do. `full`: everything the dashboard does. `lock-screen`: only what the lock
 * screen needs (the vault's state, unlock, create, logout), for the tab that pressed Lock:
 * Lock ends every session, and that tab gets this narrower one in the same answer, so it can show the
 * lock screen and unlock with the passphrase, while nobody at the unlocked browser can make keys,
 * read tokens or change profiles. Unlocking trades it for a new full session.
 */
export type SessionScope = 'full' | 'lock-screen';

/** A new session's two halves: the header secret for the page's storage and the cookie's value. */
export interface IssuedSession {
  key: string;
  secret: string;
  cookie: string;
}

interface Session {
  /** Digest of the cookie that must come with the header secret. */
  cookie: Buffer;
  expiresAt: number;
  scope: SessionScope;
}

export class DashboardSessions {
  private readonly links = new Map<string, number>();
  private readonly used = new Map<string, number>();
  /** By digest of the header secret. */
  private readonly sessions = new Map<string, Session>();
  private readonly revoked = new Emitter<string | null>();
  /** Fires at the earliest idle expiry, so an idle session's open streams end on time. */
  private expiryTimer: TimerHandle | undefined;
  private expiryAt = Infinity;

  constructor(
    private readonly clock: Clock,
    private readonly options: SessionOptions = DEFAULT_SESSION_OPTIONS,
  ) {}

  get size(): number {
    return this.sessions.size;
  }

  createLoginToken(): string {
    this.prune();
    const token = randomBytes(32).toString('base64url');
    this.links.set(key(token), this.clock.now() + this.options.linkTtlMs);
    return token;
  }

  redeem(token: string): RedeemResult {
    const linkKey = key(token);
    const expiresAt = this.links.get(linkKey);
    if (expiresAt === undefined) return { ok: false, reason: this.used.has(linkKey) ? 'used' : 'unknown' };
    this.links.delete(linkKey);
    this.used.set(linkKey, this.clock.now() + USED_MEMORY_MS);
    if (expiresAt <= this.clock.now()) return { ok: false, reason: 'unknown' };
    const { secret, cookie } = this.issue('full');
    return { ok: true, secret, cookie };
  }

  /** A new session of this scope (a redeemed link, or a rotation on Lock and unlock). */
  issue(scope: SessionScope): IssuedSession {
    this.prune();
    const secret = randomBytes(32).toString('base64url');
    const cookie = randomBytes(32).toString('base64url');
    const sessionKey = key(secret);
    const expiresAt = this.clock.now() + this.options.sessionIdleMs;
    this.sessions.set(sessionKey, { cookie: digest(cookie), expiresAt, scope });
    this.scheduleExpiry(expiresAt);
    return { key: sessionKey, secret, cookie };
  }

  /** The scope of a live session (by the key check() returned), or undefined. */
  scopeOf(sessionKey: string): SessionScope | undefined {
    return this.sessions.get(sessionKey)?.scope;
  }

  /**
   * The session's key when the header secret names a live session and the Cookie header carries
   * that same session's cookie; null otherwise. Either alone is nothing. A hit extends the idle window.
   */
  check(secretHeader: string | undefined, cookieHeader: string | undefined): string | null {
    if (secretHeader === undefined || secretHeader === '') return null;
    const sessionKey = key(secretHeader);
    const session = this.sessions.get(sessionKey);
    if (session === undefined) return null;
    if (session.expiresAt <= this.clock.now()) {
      this.end(sessionKey);
      return null;
    }
    const cookie = readCookie(cookieHeader, SESSION_COOKIE);
    if (cookie === undefined || !timingSafeEqual(digest(cookie), session.cookie)) return null;
    session.expiresAt = this.clock.now() + this.options.sessionIdleMs;
    return sessionKey;
  }

  /** Logout: this session ends now, and whatever it holds open (event streams) is told. */
  end(sessionKey: string): boolean {
    const existed = this.sessions.delete(sessionKey);
    if (existed) this.revoked.emit(sessionKey);
    return existed;
  }

  /** Every session ends now (Lock, shutdown); unused links stop working too. */
  revokeAll(): void {
    this.links.clear();
    this.sessions.clear();
    this.clearExpiry();
    this.revoked.emit(null);
  }

  /** Stops the expiry timer (server shutdown). */
  dispose(): void {
    this.clearExpiry();
  }

  /** Called with the ended session's key, or null when all ended. */
  onDidRevoke(listener: (sessionKey: string | null) => void): () => void {
    return this.revoked.on(listener);
  }

  /**
   * One timer, at the earliest expiry: when it fires, the sessions idle past their window end (their
   * streams with them, through onDidRevoke) and it is set again for the next. A request that extends
   * a session moves nothing: the timer finds it alive and looks further.
   */
  private scheduleExpiry(at: number): void {
    if (at >= this.expiryAt) return;
    this.clearExpiry();
    this.expiryAt = at;
    this.expiryTimer = this.clock.setTimeout(() => {
      this.expiryTimer = undefined;
      this.expiryAt = Infinity;
      const now = this.clock.now();
      let next = Infinity;
      for (const [k, session] of this.sessions) {
        if (session.expiresAt <= now) this.end(k);
        else next = Math.min(next, session.expiresAt);
      }
      if (next !== Infinity) this.scheduleExpiry(next);
    }, Math.max(0, at - this.clock.now()));
  }

  private clearExpiry(): void {
    if (this.expiryTimer !== undefined) this.clock.clearTimeout(this.expiryTimer);
    this.expiryTimer = undefined;
    this.expiryAt = Infinity;
  }

  private prune(): void {
    const now = this.clock.now();
    for (const [k, until] of this.links) if (until <= now) this.links.delete(k);
    for (const [k, until] of this.used) if (until <= now) this.used.delete(k);
    for (const [k, session] of this.sessions) if (session.expiresAt <= now) this.end(k);
    // Bounded even if someone asks for links in a loop: the oldest go first.
    for (const map of [this.links, this.used]) while (map.size >= MAX_ENTRIES) map.delete(map.keys().next().value as string);
    while (this.sessions.size >= MAX_ENTRIES) this.end(this.sessions.keys().next().value as string);
  }
}

export function sessionCookie(value: string): string {
  return `${SESSION_COOKIE}=${value}; HttpOnly; SameSite=Strict; Path=/`;
}

/** Tells the browser to drop the cookie (logout). */
export function expiredSessionCookie(): string {
  return `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`;
}

export function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

const SESSION_HEADER_NAME = SESSION_HEADER.toLowerCase();

/** Whether the request names a dashboard session at all (the header secret); the cookie alone does not. */
export function claimsSession(req: IncomingMessage): boolean {
  return req.headers[SESSION_HEADER_NAME] !== undefined;
}

/**
 * The session's key and scope when the request carries both factors of one live session: the header
 * secret (from the page's sessionStorage) and the cookie. 401 otherwise.
 */
export function requireSession(sessions: DashboardSessions, req: IncomingMessage): { key: string; scope: SessionScope } {
  const header = req.headers[SESSION_HEADER_NAME];
  const sessionKey = sessions.check(typeof header === 'string' ? header : undefined, req.headers.cookie);
  const scope = sessionKey === null ? undefined : sessions.scopeOf(sessionKey);
  if (sessionKey === null || scope === undefined) throw new HttpProblem(401, 'unauthorized', 'The dashboard session is missing or has ended.', SESSION_HINT);
  return { key: sessionKey, scope };
}

/** 401 for what a lock-screen session may not do: the vault was locked in this tab. */
export function lockScreenRefusal(): HttpProblem {
  return new HttpProblem(401, 'unauthorized', 'The vault was locked, so this page may only unlock it now.', 'Unlock the vault with its passphrase, or run `tokentray dashboard` for a fresh login link.');
}
