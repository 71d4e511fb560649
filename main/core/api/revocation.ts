// Revocation is immediate everywhere: what a client key or a dashboard session holds open
// (event streams, proxied requests still running) ends the moment the key is removed or narrowed, or
// the session logs out or is revoked (Lock). New requests were already refused at once; this ends
// the ones that had been let in before.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock, TimerHandle } from '../clock.js';
import type { ClientKeyRecord } from '../types.js';

/** Who holds an open piece of work, as it was when the work was let in. */
export type Holder =
  | { kind: 'key'; name: string; hash: string; /** The profile the work is about, for a proxied request. */ profile?: string; profiles: readonly string[] | null }
  | { kind: 'session'; sessionKey: string };

interface Work {
  holder: Holder;
  end: () => void;
}

/**
 * Whether a key's work may go on under the store's current records: the same key (name and hash:
 * a key removed and created again under its name is another key) whose profiles still cover it.
 */
export function keyStillAllows(holder: Extract<Holder, { kind: 'key' }>, records: readonly ClientKeyRecord[]): boolean {
  const record = records.find((r) => r.name === holder.name && r.hash === holder.hash);
  if (record === undefined) return false;
  if (record.profiles === null) return true;
  if (holder.profile !== undefined) return record.profiles.includes(holder.profile);
  // A stream filters by the profiles it was opened with: any it may no longer see ends it.
  return holder.profiles !== null && holder.profiles.every((id) => record.profiles!.includes(id));
}

export interface OpenWorkOptions {
  clock: Clock;
  /** The store's current client keys (another process may have changed them). */
  listClients: () => readonly ClientKeyRecord[];
  /**
   * How often key-held work re-reads the keys while some is open: a change by another process (the
   * CLI) may reach the file watcher late or never, and "at once" means within a second.
   */
  pollMs: number;
}

export class OpenWork {
  private readonly open = new Set<Work>();
  private keyHeld = 0;
  private timer: TimerHandle | undefined;

  constructor(private readonly options: OpenWorkOptions) {}

  get size(): number {
    return this.open.size;
  }

  /** Tracks a response until it closes; `end` is how to stop it early. */
  track(holder: Holder, res: ServerResponse, end: () => void): void {
    const work: Work = { holder, end };
    this.open.add(work);
    if (holder.kind === 'key') {
      this.keyHeld += 1;
      this.schedule();
    }
    res.once('close', () => this.forget(work));
  }

  /** An event stream ends cleanly (the client sees the stream end and reconnects, to a 401). */
  trackStream(holder: Holder, res: ServerResponse): void {
    this.track(holder, res, () => res.end());
  }

  /** A proxied request is cut: the upstream request is destroyed with the caller's socket. */
  trackProxy(holder: Holder, req: IncomingMessage, res: ServerResponse): void {
    this.track(holder, res, () => {
      req.destroy();
      res.destroy();
    });
  }

  /** Re-reads the keys and ends every key-held piece of work the keys no longer allow. */
  checkKeys(): number {
    if (this.keyHeld === 0) return 0;
    let records: readonly ClientKeyRecord[];
    try {
      records = this.options.listClients();
    } catch {
      return 0; // An unreadable store is no revocation; the next check sees it again.
    }
    return this.endWhere((holder) => holder.kind === 'key' && !keyStillAllows(holder, records));
  }

  /** Ends one session's work (logout), or every session's (null: Lock, revoke all). */
  endSessions(sessionKey: string | null): number {
    return this.endWhere((holder) => holder.kind === 'session' && (sessionKey === null || holder.sessionKey === sessionKey));
  }

  endAll(): void {
    this.endWhere(() => true);
  }

  private endWhere(match: (holder: Holder) => boolean): number {
    let ended = 0;
    for (const work of [...this.open]) {
      if (!match(work.holder)) continue;
      this.forget(work);
      work.end();
      ended += 1;
    }
    return ended;
  }

  private forget(work: Work): void {
    if (!this.open.delete(work)) return;
    if (work.holder.kind === 'key') this.keyHeld -= 1;
    if (this.keyHeld === 0 && this.timer !== undefined) {
      this.options.clock.clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  /** Polls only while key-held work is open: an idle server reads nothing. */
  private schedule(): void {
    if (this.timer !== undefined || this.keyHeld === 0) return;
    this.timer = this.options.clock.setTimeout(() => {
      this.timer = undefined;
      this.checkKeys();
      this.schedule();
    }, this.options.pollMs);
  }
}
