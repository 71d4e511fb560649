// What the engine keeps across a restart: the activity log ("which client got which token" is an
// audit record) and the times of upstream token requests (the hour and day counts guard a provider's
// rate limit, seed 001). The engine only says what happened; a store (main/node/history-files.ts for
// the app, `tokentray serve` and the CLI) decides when and how it is written, off the caller's path.
import type { ActivityKind } from '../../../common/contract.js';

/** The activity log keeps this many entries, in memory and on disk. */
export const ACTIVITY_KEEP_ENTRIES = 10_000;
/** ...and none older than this. */
export const ACTIVITY_KEEP_MS = 30 * 86_400_000;
/** Request times older than a day count for nothing (the counts are per hour and per day). */
export const REQUESTS_KEEP_MS = 86_400_000;

/** An activity entry as kept: the contract's entry with its time in epoch ms and no sequence number. */
export interface KeptActivity {
  at: number;
  kind: ActivityKind;
  profileId?: string;
  client?: string;
  detail?: string;
}

/** An activity entry's fields as the log holds them (absent ones are undefined). */
export interface ActivityFields {
  at: number;
  kind: ActivityKind;
  profileId: string | undefined;
  client: string | undefined;
  detail: string | undefined;
}

export interface KeptHistory {
  /** Oldest first. */
  activity: KeptActivity[];
  /** Upstream token request times (epoch ms) per profile id, oldest first. */
  requests: Map<string, number[]>;
}

/** Something the person should hear about (a damaged file moved aside, a write that failed). */
export interface HistoryProblem {
  message: string;
  /** The file concerned, and where a damaged one was moved to: paths only, never content. */
  file: string;
  movedTo?: string;
}

/** The engine's activity log as a store reads it when it writes. */
export interface ActivitySource {
  /** The sequence number of the newest entry (0 when none). */
  readonly lastSeq: number;
  /**
   * Calls `visit` with each entry after `seq` that the log still holds, oldest first. The object
   * visited is only valid during the call (the log reuses it): a store writes it out there and then,
   * so a batch costs no object per entry.
   */
  forEachSince(seq: number, visit: (entry: Readonly<ActivityFields>) => void): void;
}

export interface HistoryStore {
  /**
   * Reads what earlier runs kept, within the bounds above. Never throws: whatever cannot be read is
   * moved aside and told to `report`, which also hears of later failures.
   */
  load(options: { now: () => number; report: (problem: HistoryProblem) => void }): Promise<KeptHistory>;
  /** From now on the store writes the log's entries after its current newest one. */
  follow(log: ActivitySource): void;
  /** The log has a new entry. Called for every token handed out: it must return at once. */
  activityAdded(): void;
  requestMade(profileId: string, at: number): void;
  /** Writes what is pending now. */
  flush(): Promise<void>;
  /** Writes what is pending, then stops; later calls change nothing. */
  close(): Promise<void>;
}
