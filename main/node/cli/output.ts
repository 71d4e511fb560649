// What the token commands print (docs/cli.md), shared by the full CLI and its fast path over the
// app's socket (fast-path.ts), so both print the same bytes and exit with the same codes. Kept tiny:
// the fast path loads it on every call.
import type { ProfileStatus } from '../../../common/contract.js';
import { isProviderErrorKind, isVaultErrorKind, type ErrorKind } from '../../core/errors.js';

export const EXIT = {
  ok: 0,
  error: 1,
  usage: 2,
  notFound: 3,
  provider: 4,
  unavailable: 5,
} as const;

/**
 * docs/cli.md: 2 usage, 3 no such profile, 4 the provider rejected the credentials or returned an
 * error (a token endpoint that cannot be reached counts: the provider gave no token), 5 keychain or
 * app unavailable, 1 anything else.
 */
export function exitCodeOf(kind: ErrorKind): number {
  if (kind === 'usage') return EXIT.usage;
  if (kind === 'not_found') return EXIT.notFound;
  if (kind === 'keychain_unavailable' || kind === 'app_unavailable' || isVaultErrorKind(kind)) return EXIT.unavailable;
  if (isProviderErrorKind(kind)) return EXIT.provider;
  return EXIT.error;
}

export function errorText(message: string, hint?: string): string {
  return `tokentray: ${message}\n${hint ? `  hint: ${hint}\n` : ''}`;
}

export const NO_PROFILES_NOTE = 'No profiles yet. Add one with `tokentray profile add ID --provider P`.\n';

export function jsonText(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

// The token files write headers the same way (SPEC section 7), so both come from one module.
export { authHeaderValue, headerLines } from '../../core/sinks/header-lines.js';

/** A fixed-width text table for people (the --json output is for programs). */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}

export function statusTable(statuses: readonly ProfileStatus[], now: number): string {
  return table(
    ['ID', 'PROVIDER', 'STATE', 'EXPIRES', 'LAST ERROR'],
    statuses.map((s) => [
      s.id,
      s.provider,
      s.state,
      s.expiresAt === null ? (s.state === 'fresh' ? 'never' : '-') : relative(Date.parse(s.expiresAt) - now),
      s.lastError ? `${s.lastError.message}${s.lastError.hint ? ` (${s.lastError.hint})` : ''}` : '',
    ]),
  );
}

function relative(ms: number): string {
  const past = ms < 0;
  let rest = Math.floor(Math.abs(ms) / 1000);
  const h = Math.floor(rest / 3600);
  rest -= h * 3600;
  const m = Math.floor(rest / 60);
  const s = rest - m * 60;
  const text = h > 0 ? `${h}h ${m}m` : m > 0 ? `${m}m ${s}s` : `${s}s`;
  return past ? `${text} ago` : `in ${text}`;
}
