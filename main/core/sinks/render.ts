// A token file's content from a credential (SPEC section 7; docs/sinks.md): pure, no I/O. Every format
// refuses rather than writes a value a reader would take wrongly (a line break in an env or header
// line, an empty placeholder), and no profile whose credential is its secret gets a file at all.
import type { ProfileConfig, SinkConfig, SinkFormat } from '../../../common/contract.js';
import { resolveProfile } from '../profiles.js';
import { secondsLeft } from '../wire.js';
import type { Token } from '../types.js';
import { authHeaderValue, headerLines } from './header-lines.js';
import { PLACEHOLDER_PATTERN, type TemplatePlaceholder } from './sink-input.js';

export type Rendered = { ok: true; content: string } | { ok: false; reason: string };

/** What a sink of this format needs from its profile, or why it cannot have one (checked at `sink add` and before each write). */
export function sinkRefusal(profile: ProfileConfig, format: SinkFormat): { message: string; hint: string } | null {
  if (profile.provider === 'sendcloud-basic') {
    return {
      message: `Profile "${profile.id}" sends its secret itself (HTTP Basic), so it cannot have a token file: a file never holds a client secret.`,
      hint: 'Use `tokentray exec` or the loopback proxy for this profile instead.',
    };
  }
  if (format === 'netrc') {
    if (profile.provider === 'camunda-operate-cookie') {
      return { message: `Profile "${profile.id}" holds a session cookie, which a .netrc entry cannot carry.`, hint: 'Use --format header or env instead.' };
    }
    if (netrcHost(profile) === null) {
      return { message: `Profile "${profile.id}" has no API base URL, so a .netrc entry has no machine to name.`, hint: 'Set one with `tokentray profile add ... --api-url URL`, or use another format.' };
    }
  }
  return null;
}

function netrcHost(profile: ProfileConfig): string | null {
  const apiUrl = resolveProfile(profile).apiUrl;
  if (apiUrl === undefined || apiUrl === '') return null;
  try {
    return new URL(apiUrl).hostname || null;
  } catch {
    return null;
  }
}

// Characters that end a line, end a C string or would be read as quoting or expansion in an env file.
/* eslint-disable no-control-regex -- control characters are exactly what these refuse */
const CONTROL = /[\u0000-\u001f\u007f]/;
const ENV_UNSAFE = /[\u0000-\u001f\u007f"'\\$`]/;
/* eslint-enable no-control-regex */

function refuse(reason: string): Rendered {
  return { ok: false, reason };
}

/** The file's text for this credential at `now`. */
export function renderSink(sink: Pick<SinkConfig, 'format' | 'template'>, profile: ProfileConfig, token: Token, now: number): Rendered {
  const refused = sinkRefusal(profile, sink.format);
  if (refused !== null) return refuse(refused.message);
  const header = authHeaderValue(token.headers);
  if (token.accessToken === '' || CONTROL.test(token.accessToken)) return refuse('the credential is empty or holds a line break, which no token file can carry');
  switch (sink.format) {
    case 'raw':
      // The token alone, no newline: programs that read a token file take every byte.
      return { ok: true, content: token.accessToken };
    case 'env': {
      if (ENV_UNSAFE.test(token.accessToken) || ENV_UNSAFE.test(header)) {
        return refuse('the credential holds a quote, backslash, $ or line break, which an EnvironmentFile would read differently');
      }
      return { ok: true, content: `TOKENTRAY_TOKEN=${token.accessToken}\nTOKENTRAY_AUTH_HEADER=${header}\n` };
    }
    case 'json':
      return {
        ok: true,
        content: `${JSON.stringify({
          access_token: token.accessToken,
          token_type: token.tokenType,
          expires_at: token.expiresAt === null ? null : new Date(token.expiresAt).toISOString(),
        })}\n`,
      };
    case 'header': {
      if (Object.entries(token.headers).some(([name, value]) => CONTROL.test(name) || CONTROL.test(value) || value === '')) {
        return refuse('a header holds a line break or nothing, which a header file cannot carry');
      }
      if (Object.keys(token.headers).length === 0) return refuse('the credential has no headers to write');
      return { ok: true, content: headerLines(token.headers) };
    }
    case 'netrc': {
      const host = netrcHost(profile) as string;
      // curl, git and requests send login:password as HTTP Basic; servers that take a token as the
      // password mostly ignore the login, so it names the client (never a secret).
      const login = profile.clientId ?? profile.username ?? 'tokentray';
      if (/[\s"]/.test(token.accessToken) || /[\s"]/.test(login)) return refuse('the token or the login holds a space or quote, which .netrc cannot carry');
      return { ok: true, content: `machine ${host} login ${login} password ${token.accessToken}\n` };
    }
    case 'template':
      return renderTemplate(sink.template ?? '', profile, token, header, now);
  }
}

function renderTemplate(template: string, profile: ProfileConfig, token: Token, header: string, now: number): Rendered {
  const values: Record<TemplatePlaceholder, string | null> = {
    token: token.accessToken,
    header: header === '' ? null : header,
    expires_at: token.expiresAt === null ? null : new Date(token.expiresAt).toISOString(),
    expires_in: token.expiresAt === null ? null : String(secondsLeft(token, now)),
    profile: profile.id,
  };
  let missing: string | null = null;
  const content = template.replace(PLACEHOLDER_PATTERN, (whole, name: string) => {
    const value = (values as Record<string, string | null | undefined>)[name];
    if (value === null || value === undefined || value === '') missing ??= name;
    return value ?? whole;
  });
  // Never an empty value in place of a placeholder: the file is not written instead.
  if (missing !== null) return refuse(`the template's {{${missing}}} has no value for this credential (it never expires, or has no header)`);
  if (template === '') return refuse('the template is empty');
  return { ok: true, content };
}
