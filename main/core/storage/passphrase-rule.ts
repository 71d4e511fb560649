// How strong a new file-vault passphrase must be: one rule for every door (a new vault from the CLI's
// prompt, TOKENTRAY_VAULT_PASSPHRASE, the lock screen, and `vault passphrase` or the dashboard's
// change). The estimate is zxcvbn-ts (Dropbox's zxcvbn, kept up to date), which counts the guesses
// an attacker who knows common passwords, words, names, dates and keyboard patterns would need.
//
// The vault file is the "offline slow hash" case of zxcvbn's scale: whoever copies it can try
// passphrases against scrypt for as long as they like. zxcvbn rates score 3 (fewer than 10^10
// guesses) as "moderate protection" there and score 4 as "strong protection", so 4 is required: at
// the roughly ten thousand scrypt guesses a second a well-equipped attacker manages, 10^10 guesses
// take about two weeks, and four random words or twelve random characters reach it easily.
//
// The estimator and its dictionaries (about 1.5 MB) load on first use only, so commands that create
// or change no vault, and the app's start, never pay for them; the dashboard asks the app
// (`vault:strength`) instead of carrying them in the page.
import type { PassphraseStrength } from '../../../common/contract.js';
import type * as ZxcvbnCore from '@zxcvbn-ts/core';
import type * as ZxcvbnCommon from '@zxcvbn-ts/language-common';
import type * as ZxcvbnEn from '@zxcvbn-ts/language-en';
import { TokentrayError } from '../errors.js';

export type { PassphraseStrength } from '../../../common/contract.js';

/** zxcvbn's top score, "strong protection from an offline slow-hash attack". */
export const REQUIRED_PASSPHRASE_SCORE = 4;

/** Words a passphrase for this vault would be guessed from first. */
const CONTEXT_WORDS = ['tokentray', 'vault', 'passphrase', 'password', 'token', 'secret'];

const DEFAULT_ADVICE = 'Use four or more random words, or twelve or more random characters; a password manager can make one.';

type Estimator = (passphrase: string) => { score: number; warning: string | null; suggestions: string[] };

let loading: Promise<Estimator> | null = null;

/**
 * These packages ship CommonJS as `main`: bundled for the CLI (esbuild), an import() of one gives
 * its exports under `default`, while tsx and Node give them as named exports.
 */
function namespaceOf(module: object): object {
  return 'default' in module && typeof module.default === 'object' && module.default !== null && !('zxcvbn' in module || 'dictionary' in module || 'translations' in module) ? module.default : module;
}

function estimator(): Promise<Estimator> {
  loading ??= (async () => {
    const [core, common, en] = (await Promise.all([
      import('@zxcvbn-ts/core'),
      import('@zxcvbn-ts/language-common'),
      import('@zxcvbn-ts/language-en'),
    ]).then((modules) => modules.map(namespaceOf))) as [typeof ZxcvbnCore, typeof ZxcvbnCommon, typeof ZxcvbnEn];
    const { zxcvbn, zxcvbnOptions } = core;
    zxcvbnOptions.setOptions({
      dictionary: { ...common.dictionary, ...en.dictionary },
      graphs: common.adjacencyGraphs,
      translations: en.translations,
    });
    return (passphrase: string) => {
      const result = zxcvbn(passphrase, CONTEXT_WORDS);
      return { score: result.score, warning: result.feedback.warning || null, suggestions: result.feedback.suggestions };
    };
  })().catch((error: unknown) => {
    loading = null;
    throw new TokentrayError('internal', 'The passphrase strength estimator could not be loaded.', { hint: 'Reinstall Tokentray.', cause: error });
  });
  return loading;
}

/** The estimate for a passphrase, with the reason in words when it is not strong enough. */
export async function estimatePassphrase(passphrase: string): Promise<PassphraseStrength> {
  if (passphrase === '') {
    return { score: 0, required: REQUIRED_PASSPHRASE_SCORE, acceptable: false, warning: 'An empty passphrase cannot protect the vault.', suggestions: [DEFAULT_ADVICE] };
  }
  const { score, warning, suggestions } = (await estimator())(passphrase);
  const acceptable = score >= REQUIRED_PASSPHRASE_SCORE;
  return {
    score,
    required: REQUIRED_PASSPHRASE_SCORE,
    acceptable,
    warning: acceptable ? null : (warning ?? 'It would be guessed too soon by someone who copies the vault file.'),
    suggestions: acceptable ? [] : [...suggestions, DEFAULT_ADVICE],
  };
}

/** Refuses (kind `usage`, the reason and advice in words, never the passphrase) one that is too weak. */
export async function requireStrongPassphrase(passphrase: string): Promise<void> {
  const strength = await estimatePassphrase(passphrase);
  if (strength.acceptable) return;
  throw weakPassphraseError(strength);
}

export function weakPassphraseError(strength: PassphraseStrength): TokentrayError {
  return new TokentrayError(
    'usage',
    `The passphrase is too weak (strength ${strength.score} of 4; ${strength.required} is needed): ${strength.warning ?? ''}`.trim(),
    { hint: strength.suggestions.join(' '), field: 'passphrase' },
  );
}
