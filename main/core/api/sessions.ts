// Headless dashboard sessions (issue 5): `tokentray serve` and `tokentray dashboard` print a one-time
// login link; opening it trades the link's token for an HttpOnly, SameSite=Strict session cookie.
// Only SHA-256 digests of tokens are kept, so a memory dump or a map-lookup timing leaks nothing
// reusable.
import { createHash, randomBytes } from 'node:crypto';
import { SESSION_COOKIE } from '../../../common/contract.js';
import type { Clock } from '../clock.js';

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

const digest = (value: string): string => createHash('sha256').update(value, 'utf8').digest('hex');

export type RedeemResult = { ok: true; sessionId: string } | { ok: false; reason: 'used' | 'unknown' };

export class DashboardSessions {
  private readonly links = new Map<string, number>();
  private readonly used = new Map<string, number>();
  private readonly sessions = new Map<string, number>();

  constructor(
    private readonly clock: Clock,
    private readonly options: SessionOptions = DEFAULT_SESSION_OPTIONS,
  ) {}

  createLoginToken(): string {
    this.prune();
    const token = randomBytes(32).toString('base64url');
    this.links.set(digest(token), this.clock.now() + this.options.linkTtlMs);
    return token;
  }

  redeem(token: string): RedeemResult {
    const key = digest(token);
    const expiresAt = this.links.get(key);
    if (expiresAt === undefined) return { ok: false, reason: this.used.has(key) ? 'used' : 'unknown' };
    this.links.delete(key);
    this.used.set(key, this.clock.now() + USED_MEMORY_MS);
    if (expiresAt <= this.clock.now()) return { ok: false, reason: 'unknown' };
    const sessionId = randomBytes(32).toString('base64url');
    this.sessions.set(digest(sessionId), this.clock.now() + this.options.sessionIdleMs);
    return { ok: true, sessionId };
  }

  /** Whether the Cookie header carries a live session; a hit extends its idle window. */
  isValid(cookieHeader: string | undefined): boolean {
    const sessionId = readCookie(cookieHeader, SESSION_COOKIE);
    if (sessionId === undefined) return false;
    const key = digest(sessionId);
    const expiresAt = this.sessions.get(key);
    if (expiresAt === undefined) return false;
    if (expiresAt <= this.clock.now()) {
      this.sessions.delete(key);
      return false;
    }
    this.sessions.set(key, this.clock.now() + this.options.sessionIdleMs);
    return true;
  }

  clear(): void {
    this.links.clear();
    this.sessions.clear();
  }

  private prune(): void {
    const now = this.clock.now();
    for (const map of [this.links, this.used, this.sessions]) {
      for (const [key, until] of map) if (until <= now) map.delete(key);
      // Bounded even if someone asks for links in a loop: the oldest go first.
      while (map.size >= MAX_ENTRIES) map.delete(map.keys().next().value as string);
    }
  }
}

export function sessionCookie(sessionId: string): string {
  return `${SESSION_COOKIE}=${sessionId}; HttpOnly; SameSite=Strict; Path=/`;
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
