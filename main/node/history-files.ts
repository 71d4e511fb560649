// The engine's history in the config directory, for the tray app, `tokentray serve` and the CLI's own
// engine: activity.jsonl (one activity entry a line) and requests.jsonl (one line per profile and
// batch, with the times of its upstream token requests), both mode 0600. Entries are appended in batches, at most a second after they happen, so a
// token handed out costs nothing here; a file that has grown is compacted to its bounds by writing a
// new one and renaming it over the old, so a reader sees the old file or the new, never a mix. A
// damaged file is moved aside whole and reported, its readable lines kept. The format is described
// in docs/history-files.md.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { ACTIVITY_KINDS, type ActivityKind } from '../../common/contract.js';
import {
  ACTIVITY_KEEP_ENTRIES,
  ACTIVITY_KEEP_MS,
  REQUESTS_KEEP_MS,
  type ActivitySource,
  type HistoryProblem,
  type HistoryStore,
  type KeptActivity,
  type KeptHistory,
} from '../core/engine/history.js';
import { isoTime } from '../core/engine/iso-time.js';
import { withLockFile } from './lock-file.js';

export const ACTIVITY_FILE_NAME = 'activity.jsonl';
export const REQUESTS_FILE_NAME = 'requests.jsonl';

const DEFAULT_FLUSH_DELAY_MS = 1000;
/** A file is compacted once it passes this size, or twice its size after the last compaction. */
const MIN_COMPACT_BYTES = 4 * 1024 * 1024;
const LOCK_WAIT_MS = 5_000;
const LOCK_STALE_MS = 30_000;

export interface HistoryFilesOptions {
  /**
   * Whether load() reads the activity log (default true). The one-shot CLI only adds to it, so it
   * does not read ten thousand entries to write one.
   */
  readActivity?: boolean;
  /** How long an entry may wait before it is written (default 1 s). */
  flushDelayMs?: number;
  /** Compaction starts at this size at the least (tests make it small). */
  minCompactBytes?: number;
}

interface Context {
  now: () => number;
  report: (problem: HistoryProblem) => void;
}

/** What one kind of line is, and which of them a compaction keeps. */
interface LineRules<T> {
  /** What the person reads in a report: "activity log", "request counts". */
  label: string;
  parse(value: unknown): T | null;
  /** For each item, oldest first, whether it stays. */
  keep(items: readonly T[], now: number): boolean[];
  /** No more than this many of the newest items stay, whatever their times (none: no such bound). */
  keepsAtMost?: number;
}

/** One line of requests.jsonl: a profile's upstream request times (epoch ms) from one batch. */
interface KeptRequest {
  profileId: string;
  times: number[];
}

const ACTIVITY_RULES: LineRules<KeptActivity> = {
  label: 'activity log',
  parse(value) {
    if (!isRecord(value)) return null;
    const at = timeOf(value.at);
    const kind = value.kind;
    if (at === null || typeof kind !== 'string' || !(ACTIVITY_KINDS as readonly string[]).includes(kind)) return null;
    const entry: KeptActivity = { at, kind: kind as ActivityKind };
    for (const field of ['profileId', 'client', 'detail'] as const) {
      const text = value[field];
      if (text === undefined) continue;
      if (typeof text !== 'string') return null;
      entry[field] = text;
    }
    return entry;
  },
  keep(items, now) {
    const from = now - ACTIVITY_KEEP_MS;
    const first = items.length - ACTIVITY_KEEP_ENTRIES;
    return items.map((item, index) => index >= first && item.at > from);
  },
  keepsAtMost: ACTIVITY_KEEP_ENTRIES,
};

const REQUEST_RULES: LineRules<KeptRequest> = {
  label: 'request counts',
  parse(value) {
    if (!isRecord(value)) return null;
    const profileId = value.profileId;
    if (typeof profileId !== 'string' || profileId === '') return null;
    // Files written before batches were grouped hold one request a line, its time in ISO form.
    if (value.times === undefined) {
      const at = timeOf(value.at);
      return at === null ? null : { profileId, times: [at] };
    }
    const times = value.times;
    if (!Array.isArray(times) || times.length === 0 || !times.every((at) => Number.isSafeInteger(at) && (at as number) >= 0)) return null;
    return { profileId, times: times as number[] };
  },
  keep(items, now) {
    // A line stays while any of its times counts; older times on it are dropped when it is read.
    const from = now - REQUESTS_KEEP_MS;
    return items.map((item) => item.times.some((at) => at > from));
  },
};

export class HistoryFiles implements HistoryStore {
  private readonly activity: JournalFile<KeptActivity>;
  private readonly requests: JournalFile<KeptRequest>;
  private readonly readActivity: boolean;
  private readonly flushDelayMs: number;
  private context: Context | null = null;
  private log: ActivitySource | null = null;
  /** The newest entry of the log that is on disk (or was there when the log was restored). */
  private written = 0;
  private pendingIds: string[] = [];
  private pendingTimes: number[] = [];
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(configDir: string, options: HistoryFilesOptions = {}) {
    const minCompactBytes = options.minCompactBytes ?? MIN_COMPACT_BYTES;
    const report = (problem: HistoryProblem): void => this.context?.report(problem);
    const now = (): number => this.context?.now() ?? Date.now();
    this.activity = new JournalFile(path.join(configDir, ACTIVITY_FILE_NAME), ACTIVITY_RULES, minCompactBytes, now, report);
    this.requests = new JournalFile(path.join(configDir, REQUESTS_FILE_NAME), REQUEST_RULES, minCompactBytes, now, report);
    this.readActivity = options.readActivity ?? true;
    this.flushDelayMs = options.flushDelayMs ?? DEFAULT_FLUSH_DELAY_MS;
  }

  async load(context: Context): Promise<KeptHistory> {
    this.context = context;
    const activity = this.readActivity ? await this.activity.read() : [];
    const requests = new Map<string, number[]>();
    const from = context.now() - REQUESTS_KEEP_MS;
    for (const line of await this.requests.read()) {
      let times = requests.get(line.profileId);
      if (times === undefined) {
        times = [];
        requests.set(line.profileId, times);
      }
      for (const at of line.times) if (at > from) times.push(at);
    }
    for (const [id, times] of requests) if (times.length === 0) requests.delete(id);
    // Two processes may have appended side by side: each profile's times go back in order.
    for (const times of requests.values()) times.sort((a, b) => a - b);
    return { activity, requests };
  }

  follow(log: ActivitySource): void {
    this.log = log;
    this.written = log.lastSeq;
  }

  activityAdded(): void {
    if (this.timer === null && !this.closed) this.schedule();
  }

  requestMade(profileId: string, at: number): void {
    if (this.closed) return;
    this.pendingIds.push(profileId);
    this.pendingTimes.push(at);
    if (this.timer === null) this.schedule();
  }

  flush(): Promise<void> {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    this.writing = this.writing.then(() =>
      this.writeNow().catch((error: unknown) => {
        this.context?.report({ message: `The history could not be written (${codeOf(error) ?? 'unknown error'}).`, file: this.activity.file });
      }),
    );
    return this.writing;
  }

  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, this.flushDelayMs);
    // A process that is otherwise done does not wait for this: it calls close() on its way out.
    this.timer.unref();
  }

  private async writeNow(): Promise<void> {
    const log = this.log;
    if (log !== null && log.lastSeq > this.written) {
      const last = log.lastSeq;
      const text = activityLines(log, this.written);
      if (await this.activity.append(text)) this.written = last;
    }
    if (this.pendingIds.length > 0) {
      const ids = this.pendingIds;
      const times = this.pendingTimes;
      this.pendingIds = [];
      this.pendingTimes = [];
      if (!(await this.requests.append(requestLines(ids, times)))) {
        // Tried again with the next batch; times older than a day no longer count, so they go.
        const from = (this.context?.now() ?? Date.now()) - REQUESTS_KEEP_MS;
        for (let i = 0; i < ids.length; i += 1) {
          if ((times[i] as number) <= from) continue;
          this.pendingIds.push(ids[i] as string);
          this.pendingTimes.push(times[i] as number);
        }
      }
    }
  }
}

/** One line per profile with the times of its requests in this batch (a batch may hold many per profile). */
function requestLines(ids: readonly string[], times: readonly number[]): string {
  const byId = new Map<string, number[]>();
  for (let i = 0; i < ids.length; i += 1) {
    const id = ids[i] as string;
    const list = byId.get(id);
    if (list === undefined) byId.set(id, [times[i] as number]);
    else list.push(times[i] as number);
  }
  let text = '';
  // Times are whole milliseconds: the engine's clock may hand out fractions.
  for (const [id, list] of byId) text += `{"profileId":${JSON.stringify(id)},"times":[${list.map((at) => Math.round(at)).join(',')}]}\n`;
  return text;
}

/** The activity entries as lines of JSON: the contract's entry without its run's sequence number. */
function activityLines(log: ActivitySource, after: number): string {
  let text = '';
  let lastAt = Number.NaN;
  let lastIso = '';
  log.forEachSince(after, (entry) => {
    // Neighbouring entries often share a millisecond: format each millisecond once.
    if (entry.at !== lastAt) {
      lastAt = entry.at;
      lastIso = isoTime(entry.at);
    }
    // Built by hand (an object per entry for JSON.stringify cost more than the rest of the write);
    // the kind is one of the contract's plain words, every free text goes through JSON.stringify.
    let line = `{"at":"${lastIso}","kind":"${entry.kind}"`;
    if (entry.profileId !== undefined) line += `,"profileId":${JSON.stringify(entry.profileId)}`;
    if (entry.client !== undefined) line += `,"client":${JSON.stringify(entry.client)}`;
    if (entry.detail !== undefined) line += `,"detail":${JSON.stringify(entry.detail)}`;
    text += `${line}}\n`;
  });
  return text;
}

/** One append-only file of JSON lines, shared by every process of the user that opens the config directory. */
class JournalFile<T> {
  private readonly lockPath: string;
  private compactAt: number;
  /** A failure is reported once, not at every batch, until a write succeeds again. */
  private failing = false;

  constructor(
    readonly file: string,
    private readonly rules: LineRules<T>,
    private readonly minCompactBytes: number,
    private readonly now: () => number,
    private readonly report: (problem: HistoryProblem) => void,
  ) {
    this.lockPath = `${file}.lock`;
    this.compactAt = minCompactBytes;
  }

  /**
   * What the file holds within its bounds, oldest first. A damaged file is moved aside and its readable
   * lines written back; a file holding more than its bounds is compacted.
   */
  async read(): Promise<T[]> {
    const items = await this.readAll();
    const keep = this.rules.keep(items, this.now());
    const kept = items.filter((_, index) => keep[index]);
    if (kept.length < items.length) {
      await withLockFile(this.lockPath, () => this.compact(), this.lockOptions()).catch((error: unknown) => {
        this.report({ message: `The ${this.rules.label} file could not be compacted (${codeOf(error) ?? 'unknown error'}).`, file: this.file });
      });
    }
    return kept;
  }

  private async readAll(): Promise<T[]> {
    let text: string;
    try {
      text = await fsp.readFile(this.file, 'utf8');
    } catch (error) {
      if (codeOf(error) !== 'ENOENT') {
        this.report({ message: `The ${this.rules.label} file cannot be read (${codeOf(error) ?? 'unknown error'}); what it holds is not restored.`, file: this.file });
      }
      return [];
    }
    // Written by someone else at another mode: it holds who fetched which token, so it is the user's only.
    await fsp.chmod(this.file, 0o600).catch(() => undefined);
    const parsed = this.parse(text);
    if (parsed.damaged === 0) return parsed.items;
    try {
      // Read again under the lock, so lines another process appended meanwhile are judged too.
      return await withLockFile(
        this.lockPath,
        async () => {
          const now = this.parse(await fsp.readFile(this.file, 'utf8'));
          if (now.damaged > 0) await this.setAside(now);
          return now.items;
        },
        this.lockOptions(),
      );
    } catch (error) {
      this.report({ message: `The ${this.rules.label} file is damaged and could not be moved aside (${codeOf(error) ?? 'unknown error'}).`, file: this.file });
      return parsed.items;
    }
  }

  /** Appends lines; false when they could not be written (reported once until a write succeeds). */
  async append(text: string): Promise<boolean> {
    if (text === '') return true;
    try {
      await withLockFile(
        this.lockPath,
        async () => {
          const flags = fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT | fs.constants.O_NOFOLLOW;
          const handle = await fsp.open(this.file, flags, 0o600);
          let size: number;
          try {
            await handle.writeFile(text, 'utf8');
            size = (await handle.stat()).size;
          } finally {
            await handle.close();
          }
          if (size > this.compactAt) await this.compact();
        },
        this.lockOptions(),
      );
      this.failing = false;
      return true;
    } catch (error) {
      if (!this.failing) {
        this.failing = true;
        this.report({ message: `The ${this.rules.label} could not be written (${codeOf(error) ?? 'unknown error'}); it is kept in memory and tried again.`, file: this.file });
      }
      return false;
    }
  }

  /** Rewrites the file with only what its bounds keep. Runs under the lock. */
  private async compact(): Promise<void> {
    const onDisk = await fsp.readFile(this.file, 'utf8');
    const parsed = this.parseTail(onDisk) ?? this.parse(onDisk);
    if (parsed.damaged > 0) {
      await this.setAside(parsed);
      return;
    }
    const keep = this.rules.keep(parsed.items, this.now());
    const text = parsed.lines.filter((_, index) => keep[index]).join('');
    await writeAtomically(this.file, text);
    this.compactAt = Math.max(this.minCompactBytes, 2 * Buffer.byteLength(text));
  }

  /** Moves a damaged file aside whole, then writes its readable lines back in its place. Runs under the lock. */
  private async setAside(parsed: Parsed<T>): Promise<void> {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    let movedTo = `${this.file}.damaged-${stamp}`;
    for (let n = 1; fs.existsSync(movedTo); n += 1) movedTo = `${this.file}.damaged-${stamp}-${n}`;
    await fsp.rename(this.file, movedTo);
    await writeAtomically(this.file, parsed.lines.join(''));
    const lines = parsed.damaged === 1 ? 'line' : 'lines';
    this.report({
      message: `The ${this.rules.label} file had ${parsed.damaged} unreadable ${lines}; it was moved aside and its ${parsed.items.length} readable entries kept.`,
      file: this.file,
      movedTo,
    });
  }

  /**
   * Only the newest lines a compaction can keep, read from the end: a file compacted while running
   * holds several times its bound, and parsing the lines it drops was most of a compaction's cost.
   * Null when the rules have no count bound or a line in that tail is damaged (then the whole file
   * is judged, so a damaged file is still moved aside).
   */
  private parseTail(text: string): Parsed<T> | null {
    const most = this.rules.keepsAtMost;
    if (most === undefined || (text.length > 0 && !text.endsWith('\n'))) return null;
    const lines: string[] = [];
    const items: T[] = [];
    let end = text.length - 1;
    while (end > 0 && items.length < most) {
      const start = text.lastIndexOf('\n', end - 1) + 1;
      const line = text.slice(start, end);
      end = start - 1;
      if (line.trim() === '') continue;
      let item: T | null;
      try {
        item = this.rules.parse(JSON.parse(line));
      } catch {
        item = null;
      }
      if (item === null) return null;
      items.push(item);
      lines.push(`${line}\n`);
    }
    return { lines: lines.reverse(), items: items.reverse(), damaged: 0 };
  }

  private parse(text: string): Parsed<T> {
    const lines: string[] = [];
    const items: T[] = [];
    let damaged = 0;
    let start = 0;
    while (start < text.length) {
      const end = text.indexOf('\n', start);
      // A last line without its newline was cut short (a crash or a full disk while appending).
      if (end === -1) {
        damaged += 1;
        break;
      }
      const line = text.slice(start, end);
      start = end + 1;
      if (line.trim() === '') continue;
      let item: T | null;
      try {
        item = this.rules.parse(JSON.parse(line));
      } catch {
        item = null;
      }
      if (item === null) {
        damaged += 1;
        continue;
      }
      items.push(item);
      lines.push(`${line}\n`);
    }
    return { lines, items, damaged };
  }

  private lockOptions() {
    // A holder keeps the lock for one append or compaction; one that takes longer is not waited for.
    return { waitMs: LOCK_WAIT_MS, staleMs: LOCK_STALE_MS, onBusy: () => null };
  }
}

interface Parsed<T> {
  /** The readable lines, each with its newline, and what they say. */
  lines: string[];
  items: T[];
  damaged: number;
}

/** A temporary file beside the target, flushed to disk, then renamed over it: a reader sees old or new. */
async function writeAtomically(file: string, text: string): Promise<void> {
  const dir = path.dirname(file);
  const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const handle = await fsp.open(temp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600);
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fsp.rename(temp, file);
    // The rename itself reaches the disk only with its directory.
    const folder = await fsp.open(dir, 'r');
    try {
      await folder.sync();
    } finally {
      await folder.close();
    }
  } catch (error) {
    await fsp.rm(temp, { force: true }).catch(() => undefined);
    throw error;
  }
}

function timeOf(value: unknown): number | null {
  if (typeof value !== 'string') return null;
  const at = Date.parse(value);
  return Number.isFinite(at) ? at : null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function codeOf(error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}
