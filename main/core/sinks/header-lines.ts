// How a credential's headers are written for programs, in one place: `tokentray headers` and `exec`
// (main/node/cli/output.ts re-exports these) and the token files of SPEC section 7 print the same.
// Kept free of imports: the CLI's fast path loads it on every call.

/** One `Name: value` a line, as `curl -H @-` and `curl -H @FILE` read them. */
export function headerLines(headers: Record<string, string>): string {
  return Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\n`)
    .join('');
}

/** The header line a program attaches: Authorization for bearer/basic, Cookie for login sessions. */
export function authHeaderValue(headers: Record<string, string>): string {
  const find = (name: string): string | undefined => Object.entries(headers).find(([key]) => key.toLowerCase() === name)?.[1];
  return find('authorization') ?? find('cookie') ?? Object.values(headers)[0] ?? '';
}
