// What `tokentray sink add` accepts, checked before anything is saved (SPEC section 7, docs/sinks.md):
// modes, templates and `--on-change` argument lists. Pure functions returning an error value with a
// hint, so the CLI refuses bad input with a clear message and changes nothing.
import { SINK_FORMATS, type SinkFormat } from '../../../common/contract.js';

export type Checked<T> = { ok: true; value: T; note?: string } | { ok: false; message: string; hint: string };

/** The placeholders a template may use; anything else between `{{` and `}}` is refused. */
export const TEMPLATE_PLACEHOLDERS = ['token', 'header', 'expires_at', 'expires_in', 'profile'] as const;
export type TemplatePlaceholder = (typeof TEMPLATE_PLACEHOLDERS)[number];

export const PLACEHOLDER_PATTERN = /\{\{\s*([^{}]*?)\s*\}\}/g;

export const DEFAULT_SINK_MODE = '0600';

export function checkFormat(value: string): Checked<SinkFormat> {
  if ((SINK_FORMATS as readonly string[]).includes(value)) return { ok: true, value: value as SinkFormat };
  return { ok: false, message: `"${value}" is not a token file format.`, hint: `Use one of: ${SINK_FORMATS.join(', ')}.` };
}

/**
 * A mode is octal, as chmod reads it: `0600`, `0640`, `0644`. Three digits without the leading zero
 * (`644`) are read as octal too, and the note says so, because a program that parses them as decimal
 * would make 644 into 0o1204. The owner must read and write; nobody may execute it or, besides the
 * owner, write it: a token file is data, and a writable one could be swapped under its readers.
 */
export function parseSinkMode(value: string): Checked<string> {
  const text = value.trim();
  const match = /^(?:0o?|0)?([0-7]{3})$/i.exec(text);
  if (match === null) {
    return {
      ok: false,
      message: `"${value}" is not a file mode.`,
      hint: 'Give an octal mode such as 0600 (owner only, the default), 0640 (also the group) or 0644 (everyone may read).',
    };
  }
  const digits = match[1] as string;
  const mode = Number.parseInt(digits, 8);
  const normalised = `0${digits}`;
  if ((mode & 0o600) !== 0o600) {
    return { ok: false, message: `The mode ${normalised} does not let the owner read and write the file.`, hint: 'Use 0600, or 0640/0644 to let others read it.' };
  }
  if ((mode & 0o111) !== 0) {
    return { ok: false, message: `The mode ${normalised} makes the token file executable.`, hint: 'A token file is data: use 0600, 0640 or 0644.' };
  }
  if ((mode & 0o022) !== 0) {
    return { ok: false, message: `The mode ${normalised} lets others write the token file.`, hint: 'Only the owner may write it: use 0600, 0640 or 0644.' };
  }
  const note = /^[0-7]{3}$/.test(text) ? `read the mode ${text} as octal ${normalised}` : undefined;
  return note === undefined ? { ok: true, value: normalised } : { ok: true, value: normalised, note };
}

/** The mode string as the number chmod takes. */
export function modeBits(mode: string): number {
  return Number.parseInt(mode, 8);
}

/** The placeholders a template uses, or why it is refused (an unknown name, a `{{` left open). */
export function checkTemplate(text: string): Checked<TemplatePlaceholder[]> {
  if (text.length === 0) return { ok: false, message: 'The template is empty.', hint: 'Write the file with at least one placeholder such as {{token}}.' };
  const used = new Set<TemplatePlaceholder>();
  const unknown = new Set<string>();
  for (const match of text.matchAll(PLACEHOLDER_PATTERN)) {
    const name = match[1] as string;
    if ((TEMPLATE_PLACEHOLDERS as readonly string[]).includes(name)) used.add(name as TemplatePlaceholder);
    else unknown.add(name);
  }
  const placeholders = `{{${TEMPLATE_PLACEHOLDERS.join('}}, {{')}}}`;
  if (unknown.size > 0) {
    const names = [...unknown].map((name) => `{{${name}}}`).join(', ');
    return { ok: false, message: `The template uses unknown placeholders: ${names}.`, hint: `Only ${placeholders} exist; nothing is ever rendered as an empty string.` };
  }
  if (text.replace(PLACEHOLDER_PATTERN, '').includes('{{')) {
    return { ok: false, message: 'The template has a "{{" that does not close a placeholder.', hint: `Placeholders are ${placeholders}; there is no escaping, so "{{" may appear only in one.` };
  }
  if (used.size === 0) return { ok: false, message: 'The template has no placeholder, so it would never hold the token.', hint: `Use at least one of ${placeholders}.` };
  return { ok: true, value: [...used] };
}

const SHELL_SYNTAX = /[|&;<>()$`*?[\]{}~]/;

/**
 * `--on-change 'CMD ARGS'` as an argument list, split like a shell splits words (spaces, single and
 * double quotes, backslash) but never run by one: no variables, globs, pipes or `&&`. Those are
 * refused rather than passed on as literal arguments the user did not mean.
 */
export function parseCommandLine(value: string): Checked<string[]> {
  const args: string[] = [];
  let current = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < value.length; i += 1) {
    const char = value[i] as string;
    if (quote !== null) {
      if (char === quote) quote = null;
      else if (char === '\\' && quote === '"' && (value[i + 1] === '"' || value[i + 1] === '\\')) current += value[(i += 1)];
      else current += char;
      continue;
    }
    if (char === "'" || char === '"') {
      quote = char;
      inWord = true;
    } else if (char === '\\' && i + 1 < value.length) {
      current += value[(i += 1)];
      inWord = true;
    } else if (/\s/.test(char)) {
      if (inWord) args.push(current);
      current = '';
      inWord = false;
    } else if (SHELL_SYNTAX.test(char)) {
      return {
        ok: false,
        message: `The command "${value}" uses shell syntax (${char}), but it runs without a shell.`,
        hint: "Quote the character if it is meant literally, or run a shell explicitly: --on-change \"sh -c 'a && b'\".",
      };
    } else {
      current += char;
      inWord = true;
    }
  }
  if (quote !== null) return { ok: false, message: `The command "${value}" has an unclosed ${quote}.`, hint: 'Close the quote.' };
  if (inWord) args.push(current);
  if (args.length === 0) return { ok: false, message: 'The --on-change command is empty.', hint: "Give the command and its arguments, e.g. --on-change 'systemctl --user reload my-app'." };
  return { ok: true, value: args };
}

/** `HUP` or `SIGHUP` as `SIGHUP`; whether the system knows it is the caller's check. */
export function normaliseSignalName(value: string): Checked<string> {
  const upper = value.trim().toUpperCase();
  const name = upper.startsWith('SIG') ? upper : `SIG${upper}`;
  if (!/^SIG[A-Z0-9]+$/.test(name)) return { ok: false, message: `"${value}" is not a signal name.`, hint: 'Use a name such as HUP, USR1 or TERM.' };
  return { ok: true, value: name };
}
