// Talks to a running Tokentray (tray app or `tokentray serve`) through runtime.json and the loopback
// API. PLACEHOLDER: the loopback-API work replaces these bodies; the signatures are the contract the
// CLI codes against.
import type { HeadersResponse, ProfileStatus, TokenResponse } from '../../common/contract.js';

export interface RunningApp {
  port: number;
  pid: number;
  token(id: string): Promise<TokenResponse>;
  headers(id: string): Promise<HeadersResponse>;
  statuses(): Promise<ProfileStatus[]>;
}

/** The running app for this config directory, or null when none answers. */
export async function findRunningApp(_configDir: string): Promise<RunningApp | null> {
  return null;
}
