// Words for states and times. State is always shown as words as well as colour (docs/desktop.md:
// "works with screen reader"), and times are relative to the local ticking clock.
import type { ProfileState, ProfileStatus } from '../../common/contract.js';
import { stateLabel } from '../../common/states.js';

/** The badges' words: the tray's words (common/states.ts), capitalised. */
export const STATE_LABELS: Readonly<Record<ProfileState, string>> = {
  fresh: stateLabel('fresh'),
  expiring: stateLabel('expiring'),
  expired: stateLabel('expired'),
  refreshing: stateLabel('refreshing'),
  error: stateLabel('error'),
  paused: stateLabel('paused'),
};

/**
 * What to show right now. The server sends a state change as an event; between events the local
 * clock can only make things older, so a token the engine no longer hands out (past validUntil, the
 * engine's own rule) shows as expired even before the server says so.
 */
export function displayState(status: ProfileStatus, now: number): ProfileState {
  if ((status.state === 'fresh' || status.state === 'expiring') && status.validUntil) {
    if (Date.parse(status.validUntil) <= now) return 'expired';
  }
  return status.state;
}

/** Whether the engine would hand this profile's token out now: copying needs one. */
export function hasUsableToken(status: ProfileStatus, now: number): boolean {
  if (status.state === 'paused' || status.obtainedAt === null) return false;
  // A token without an expiry (Sendcloud's Basic credentials) is handed out until it is replaced.
  if (status.validUntil === null) return status.expiresAt === null;
  return Date.parse(status.validUntil) > now;
}

/** "1 h 05 min", "4 min 12 s", "12 s". */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const days = Math.floor(total / 86_400);
  const hours = Math.floor((total % 86_400) / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  if (days > 0) return `${days} d ${hours} h`;
  if (hours > 0) return `${hours} h ${String(minutes).padStart(2, '0')} min`;
  if (minutes > 0) return `${minutes} min ${String(seconds).padStart(2, '0')} s`;
  return `${seconds} s`;
}

/**
 * A time truncated to the clock's whole second. Readings are taken between whole seconds, so they
 * turn over with the system clock's seconds (when the page's one tick comes, see clock.ts) and
 * agree with the times shown to the second beside them.
 */
export function wholeSecond(ms: number): number {
  return Math.floor(ms / 1000) * 1000;
}

/** "in 4 min 12 s", "3 min 05 s ago", "just now"; '—' when there is no time. */
export function formatRelative(iso: string | null | undefined, now: number): string {
  if (!iso) return '—';
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return '—';
  const delta = wholeSecond(at) - wholeSecond(now);
  if (Math.abs(delta) < 1000) return 'just now';
  return delta > 0 ? `in ${formatDuration(delta)}` : `${formatDuration(-delta)} ago`;
}

// One formatter for the page: toLocaleString() builds a new one on every call (measured:
// 600 calls a second at 80 ms against 2.5 ms with one cached Intl.DateTimeFormat).
let localTime: Intl.DateTimeFormat | null = null;

/**
 * The page's formatter for local times. Making it costs 7-15 ms in Chromium (ICU loads its data),
 * so main.tsx makes it while the first answers are on their way.
 */
export function localTimeFormat(): Intl.DateTimeFormat {
  localTime ??= new Intl.DateTimeFormat(undefined, {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
  return localTime;
}

export function formatLocalTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return '—';
  return localTimeFormat().format(at);
}

/** Share of the token's usable lifetime (until validUntil) that is left, 0..1, or null without both times. */
export function lifetimeLeft(status: Pick<ProfileStatus, 'obtainedAt' | 'validUntil'>, now: number): number | null {
  if (!status.obtainedAt || !status.validUntil) return null;
  const start = Date.parse(status.obtainedAt);
  const end = Date.parse(status.validUntil);
  if (!(end > start)) return null;
  return Math.min(1, Math.max(0, (end - now) / (end - start)));
}
