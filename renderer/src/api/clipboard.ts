// Copy actions (docs/desktop.md). In the app, main copies (`clipboard:copy`) so it can clear a copied
// token after the clipboard-clearing delay; in a browser the page fetches the value and writes it
// with the async clipboard API, which only the person's own click may trigger.
import type { ErrorInfo, Result, TokentrayBridge } from '../../../common/contract.js';
import { PROVIDERS } from '../../../common/providers.js';

export type CopyKind = 'token' | 'header' | 'curl';

export interface Clipboard {
  copyProfile(id: string, kind: CopyKind): Promise<Result<{ copied: boolean }>>;
  copyText(text: string): Promise<Result<{ copied: boolean }>>;
}

type WriteText = (text: string) => Promise<void>;

const NO_CLIPBOARD: ErrorInfo = {
  kind: 'clipboard',
  message: 'The browser refused clipboard access.',
  hint: 'Allow clipboard access for this page, or use `tokentray token ID` in a terminal.',
};

export function createClipboard(bridge: TokentrayBridge, writeText?: WriteText): Clipboard {
  const write: WriteText | undefined =
    writeText ??
    (typeof navigator !== 'undefined' && navigator.clipboard
      ? (text) => navigator.clipboard.writeText(text)
      : undefined);

  const copyText = async (text: string): Promise<Result<{ copied: boolean }>> => {
    if (!write) return { ok: false, error: NO_CLIPBOARD };
    try {
      await write(text);
      return { ok: true, value: { copied: true } };
    } catch {
      return { ok: false, error: NO_CLIPBOARD };
    }
  };

  return {
    copyText,
    async copyProfile(id, kind) {
      if (bridge.transport === 'ipc') return bridge.invoke('clipboard:copy', id, kind);
      const text = await textFor(bridge, id, kind);
      if (!text.ok) return text;
      return copyText(text.value);
    },
  };
}

async function textFor(bridge: TokentrayBridge, id: string, kind: CopyKind): Promise<Result<string>> {
  if (kind === 'token') {
    const token = await bridge.invoke('tokens:get', id);
    return token.ok ? { ok: true, value: token.value.access_token } : token;
  }
  const headers = await bridge.invoke('tokens:headers', id);
  if (!headers.ok) return headers;
  if (kind === 'header') {
    return { ok: true, value: Object.entries(headers.value).map(([name, value]) => `${name}: ${value}`).join('\n') };
  }
  const profile = await bridge.invoke('profiles:get', id);
  if (!profile.ok) return profile;
  return { ok: true, value: curlExample(profile.value, headers.value) };
}

/** A ready-to-run request against the profile's API base URL with its headers attached. */
export function curlExample(
  profile: { provider: keyof typeof PROVIDERS; apiUrl?: string; baseUrl?: string },
  headers: Record<string, string>,
): string {
  const defaults = PROVIDERS[profile.provider].defaults;
  const url = profile.apiUrl ?? defaults.apiUrl ?? profile.baseUrl ?? defaults.baseUrl ?? 'https://example.invalid/';
  const parts = ['curl', '-sS'];
  for (const [name, value] of Object.entries(headers)) parts.push('-H', shellQuote(`${name}: ${value}`));
  parts.push(shellQuote(url));
  return parts.join(' ');
}

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
