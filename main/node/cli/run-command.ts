// `tokentray run ID [--signal SIG | --restart] -- CMD ARGS...` (SPEC section 7; docs/sinks.md): a
// supervisor for a long-running CMD. Its token comes from the running app, else from the engine in
// this process with background refresh; CMD gets exec's variables plus TOKENTRAY_TOKEN_FILE, a raw
// token file in a private 0700 folder that exists before CMD starts, is rewritten after each refresh,
// removed at expiry and after CMD ends. After each refresh CMD gets SIGNAL, or is restarted.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { constants as osConstants, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { ProfileStatus } from '../../../common/contract.js';
import { systemClock, type TimerHandle } from '../../core/clock.js';
import { isValid, validUntil } from '../../core/engine/lifetime.js';
import { authHeaderValue } from '../../core/sinks/header-lines.js';
import { normaliseSignalName } from '../../core/sinks/sink-input.js';
import type { Token } from '../../core/types.js';
import { findRunningApp, type RunningApp } from '../app-client.js';
import { removeSinkFile, writeSinkFile } from '../sink-writer.js';
import { CliExit, usageError, type CliContext, type CliIo, type CommonOptions } from './context.js';
import { errorText } from './output.js';
import { withCommonOptions, type Runner } from './shared.js';

interface RunOptions extends CommonOptions {
  signal?: string;
  restart?: boolean;
}

/** What the supervisor needs of a credential: the token and the header line. */
interface Credential {
  accessToken: string;
  header: string;
}

type FeedChange = { kind: 'token'; credential: Credential } | { kind: 'gone'; reason: string };

/** Where the token comes from while CMD runs. */
interface TokenFeed {
  /** A valid credential now (refreshed first if needed). */
  first(): Promise<Credential>;
  /** Every new token, and its expiry without a new one; starts after first(). */
  follow(listener: (change: FeedChange) => void): void;
  close(): Promise<void>;
}

const RESTART_GRACE_MS = 10_000;
/** How often a running app is asked whether the profile's token changed while its event stream is down. */
const APP_POLL_MS = 1_000;
/** With the stream up: a slow look that catches an event lost while the stream reconnected. */
const STREAM_CHECK_MS = 30_000;
const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export function registerRunCommand(program: Command, _io: CliIo, run: Runner): void {
  withCommonOptions(program.command('run').argument('<id>', 'profile id').argument('<command...>', 'command and its arguments, after --'), { json: false })
    .description('run a long-lived command with a token file kept fresh (TOKENTRAY_TOKEN_FILE); exits with its code')
    .option('--signal <signal>', 'send this signal to the command after each refresh (e.g. HUP)')
    .option('--restart', 'restart the command after each refresh (SIGTERM, SIGKILL after 10 s)')
    .action((id: string, command: string[], options: RunOptions) =>
      run(options, async (context) => {
        throw new CliExit(await supervise(context, id, command, options));
      }),
    );
}

function checkOptions(command: readonly string[], options: RunOptions): NodeJS.Signals | null {
  if (command.length === 0 || command[0] === '') throw usageError('run needs a command to run.', 'Write it after --, e.g. `tokentray run my-profile -- ./worker`.');
  if (options.signal !== undefined && options.restart === true) {
    throw usageError('--signal and --restart cannot be combined.', 'Choose one: --signal HUP to tell the command, --restart to start it again.');
  }
  if (options.signal === undefined) return null;
  const name = normaliseSignalName(options.signal);
  if (!name.ok) throw usageError(name.message, name.hint);
  if (!(name.value in osConstants.signals)) throw usageError(`${name.value} is not a signal on this system.`, 'Use a name such as HUP, USR1 or TERM.');
  return name.value as NodeJS.Signals;
}

async function supervise(context: CliContext, id: string, command: string[], options: RunOptions): Promise<number> {
  const signal = checkOptions(command, options);
  context.requireProfile(id);
  context.checkVaultChoice();
  const app = await findRunningApp(context.configDir, { vault: context.vault });
  const feed = app !== null ? appFeed(app, id) : await engineFeed(context, id);
  // A private folder (mkdtemp makes it 0700) where the one writer puts the raw token.
  const base = context.io.env.XDG_RUNTIME_DIR || tmpdir();
  const dir = await mkdtemp(join(base, 'tokentray-run-'));
  await chmod(dir, 0o700);
  const file = join(dir, 'token');
  try {
    const credential = await feed.first();
    await writeSinkFile(file, credential.accessToken, 0o600);
    const supervisor = new Supervisor(context.io, command, file, signal, options.restart === true);
    let written = credential.accessToken;
    // One update at a time, in order: write the file, then tell or restart CMD.
    let updates = Promise.resolve();
    feed.follow((change) => {
      updates = updates
        .then(async () => {
          if (change.kind === 'gone') {
            if (await removeSinkFile(file)) context.io.stderr.write(errorText(`the token file was removed: ${change.reason}. It comes back when a refresh succeeds.`));
            written = '';
            return;
          }
          if (change.credential.accessToken === written) return;
          await writeSinkFile(file, change.credential.accessToken, 0o600);
          written = change.credential.accessToken;
          await supervisor.refreshed(change.credential);
        })
        .catch(() => {
          context.io.stderr.write(errorText('the token file could not be updated.', 'Check the free space of the temp folder.'));
        });
    });
    return await supervisor.run(credential);
  } finally {
    await feed.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Starts CMD, restarts or signals it after refreshes, forwards signals, and ends with its code. */
class Supervisor {
  #child: ChildProcess | null = null;
  #restarting = false;
  #stopping = false;

  constructor(
    private readonly io: CliIo,
    private readonly command: readonly string[],
    private readonly file: string,
    private readonly signal: NodeJS.Signals | null,
    private readonly restart: boolean,
  ) {}

  async run(credential: Credential): Promise<number> {
    const forwarders = FORWARDED.map((name) => {
      const forward = (): void => {
        // A person or a service manager stops us: no more restarts, CMD decides how to end.
        if (name !== 'SIGHUP') this.#stopping = true;
        this.#child?.kill(name);
      };
      process.on(name, forward);
      return () => process.off(name, forward);
    });
    try {
      for (;;) {
        const code = await this.#start(credential);
        if (!this.#restarting || this.#stopping) return code;
        this.#restarting = false;
        credential = this.#next ?? credential;
      }
    } finally {
      for (const off of forwarders) off();
    }
  }

  #next: Credential | null = null;
  #exited: Promise<number> | null = null;

  async refreshed(credential: Credential): Promise<void> {
    const child = this.#child;
    if (child === null || this.#stopping) return;
    if (this.signal !== null) {
      child.kill(this.signal);
      return;
    }
    if (!this.restart) return;
    this.#next = credential;
    this.#restarting = true;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), RESTART_GRACE_MS);
    await this.#exited;
    clearTimeout(killer);
  }

  #start(credential: Credential): Promise<number> {
    const [file, ...args] = this.command as [string, ...string[]];
    const env = { ...this.io.env, TOKENTRAY_TOKEN: credential.accessToken, TOKENTRAY_AUTH_HEADER: credential.header, TOKENTRAY_TOKEN_FILE: this.file };
    const inherit = this.io.stdout === process.stdout && this.io.stderr === process.stderr;
    const child = spawn(file, args, { env, stdio: inherit ? 'inherit' : ['inherit', 'pipe', 'pipe'] });
    if (!inherit) {
      child.stdout?.pipe(this.io.stdout, { end: false });
      child.stderr?.pipe(this.io.stderr, { end: false });
    }
    this.#child = child;
    this.#exited = new Promise<number>((resolve) => {
      child.once('error', (error: NodeJS.ErrnoException) => {
        this.#stopping = true;
        if (error.code === 'ENOENT') {
          this.io.stderr.write(errorText(`the command "${file}" was not found.`, 'Check its name and your PATH.'));
          resolve(127);
        } else {
          this.io.stderr.write(errorText(`the command "${file}" could not be started (${error.code ?? 'error'}).`));
          resolve(126);
        }
      });
      child.once('close', (code, signal) => {
        if (this.#child === child) this.#child = null;
        resolve(code !== null ? code : 128 + (signal ? (osConstants.signals[signal] ?? 0) : 0));
      });
    });
    return this.#exited;
  }
}

function credentialOf(token: Pick<Token, 'accessToken' | 'headers'>): Credential {
  return { accessToken: token.accessToken, header: authHeaderValue(token.headers) };
}

/** Without an app: the engine in this process, refreshing by itself like the app's. */
async function engineFeed(context: CliContext, id: string): Promise<TokenFeed> {
  const [{ TokenEngine }, { BackgroundScheduler }, { createProviderRegistry }, { followToken }] = await Promise.all([
    import('../../core/engine/token-engine.js'),
    import('../../core/engine/scheduler.js'),
    import('../../core/providers/index.js'),
    import('../../core/sinks/token-follower.js'),
  ]);
  const logger = context.logger;
  const engine = new TokenEngine({
    store: context.store,
    vault: context.vault,
    providers: createProviderRegistry(),
    clock: systemClock,
    fetch: (input, init) => fetch(input, init),
    scheduler: new BackgroundScheduler({ clock: systemClock, logger }),
    logger,
  });
  await engine.start();
  let stop: (() => void) | null = null;
  return {
    first: async () => credentialOf(await engine.getToken(id, { client: 'run' })),
    follow(listener) {
      const follower = followToken(engine, systemClock, id, { client: 'run' }, (change) =>
        listener(change.kind === 'token' ? { kind: 'token', credential: credentialOf(change.token) } : change),
      );
      stop = () => follower.stop();
    },
    async close() {
      stop?.();
      await engine.stop();
    },
  };
}

/**
 * With a running app: its event stream says when the profile changed, and its status then says
 * whether the token did (no token is fetched, so nothing is recorded as handed out, until it did), so
 * CMD hears of a refresh as soon as the app made it. Without the stream (the app restarting, an old
 * app) the status is polled each second and the stream tried again; with it, a slow poll still
 * catches an event lost in a reconnection. The file is removed at the token's end by this process's
 * own timer, whatever the app is doing then.
 */
function appFeed(app: RunningApp, id: string): TokenFeed {
  let poll: NodeJS.Timeout | null = null;
  let expiry: TimerHandle | null = null;
  let closeStream: (() => void) | null = null;
  let closed = false;
  let told = '';
  const current = async (): Promise<Credential> => {
    const [token, headers] = await Promise.all([app.token(id), app.headers(id)]);
    return { accessToken: token.access_token, header: authHeaderValue(headers) };
  };
  const factsOf = (status: ProfileStatus | undefined): Token | null =>
    status === undefined || status.obtainedAt === null
      ? null
      : { accessToken: '', tokenType: '', headers: {}, obtainedAt: Date.parse(status.obtainedAt), expiresAt: status.expiresAt === null ? null : Date.parse(status.expiresAt) };
  return {
    first: current,
    follow(listener) {
      const look = async (): Promise<void> => {
        let facts: Token | null;
        try {
          facts = factsOf((await app.statuses()).find((status) => status.id === id));
        } catch {
          // The app may be restarting; the expiry timer below still removes an outdated file.
          return;
        }
        const now = systemClock.now();
        if (facts !== null && isValid(facts, now)) {
          const key = `${facts.obtainedAt}/${facts.expiresAt ?? ''}`;
          if (key === told) return;
          const credential = await current().catch(() => null);
          if (credential === null || closed) return;
          told = key;
          if (expiry !== null) systemClock.clearTimeout(expiry);
          const until = validUntil(facts);
          expiry = Number.isFinite(until)
            ? systemClock.setTimeout(() => {
                told = 'gone';
                listener({ kind: 'gone', reason: 'the token expired and the running Tokentray has no new one' });
              }, until - now)
            : null;
          listener({ kind: 'token', credential });
        } else if (told !== 'gone') {
          told = 'gone';
          listener({ kind: 'gone', reason: 'the running Tokentray has no valid token' });
        }
      };
      // One look at a time; a change told during a look is looked at once more after it.
      let looking: Promise<void> | null = null;
      let again = false;
      const lookSoon = (): void => {
        if (closed) return;
        if (looking !== null) {
          again = true;
          return;
        }
        looking = look().finally(() => {
          looking = null;
          if (again) {
            again = false;
            lookSoon();
          }
        });
      };
      const openStream = (): void => {
        if (closed || app.events === undefined || closeStream !== null) return;
        closeStream = app.events(
          (event) => {
            if (event.type === 'profile' && event.status.id === id) lookSoon();
          },
          () => {
            closeStream = null;
            schedule(APP_POLL_MS);
          },
        );
      };
      const schedule = (ms: number): void => {
        if (closed) return;
        if (poll !== null) clearTimeout(poll);
        poll = setTimeout(tick, ms);
      };
      const tick = (): void => {
        poll = null;
        lookSoon();
        openStream();
        schedule(closeStream === null ? APP_POLL_MS : STREAM_CHECK_MS);
      };
      tick();
    },
    async close() {
      closed = true;
      closeStream?.();
      if (poll !== null) clearTimeout(poll);
      if (expiry !== null) systemClock.clearTimeout(expiry);
    },
  };
}
