// The words for a profile's state, for every surface that shows one (the tray's tooltip and menu,
// the dashboard's badges): one word per state, so the tray and the dashboard never disagree.
import type { ProfileState } from './contract.js';

export const STATE_WORDS: Readonly<Record<ProfileState, string>> = {
  fresh: 'fresh',
  expiring: 'expiring soon',
  expired: 'expired',
  refreshing: 'refreshing',
  error: 'failing',
  paused: 'paused',
};

/** The word at the start of a label or badge: "Failing". */
export function stateLabel(state: ProfileState): string {
  const word = STATE_WORDS[state];
  return word.charAt(0).toUpperCase() + word.slice(1);
}
