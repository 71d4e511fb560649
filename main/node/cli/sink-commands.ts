// `tokentray sink add|list|rm` (SPEC section 7; docs/sinks.md): token files kept in config.json and
// written by the running app (tray or `tokentray serve`) after every refresh. Every check runs before
// anything is saved, so bad input is a usage error (exit 2) that changes nothing.
import { readFile } from 'node:fs/promises';
import { constants as osConstants } from 'node:os';
import { isAbsolute, normalize } from 'node:path';
import type { Command } from 'commander';
import type { SinkConfig, SinkStatus } from '../../../common/contract.js';
import { TokentrayError, isTokentrayError } from '../../core/errors.js';
import { sinkRefusal } from '../../core/sinks/render.js';
import { DEFAULT_SINK_MODE, checkFormat, checkTemplate, normaliseSignalName, parseCommandLine, parseSinkMode, type Checked } from '../../core/sinks/sink-input.js';
import { findRunningApp } from '../app-client.js';
import { checkSinkTarget, removeSinkFile } from '../sink-writer.js';
import { table, usageError, type CliContext, type CliIo, type CommonOptions } from './context.js';
import { withCommonOptions, type Runner } from './shared.js';

interface AddOptions extends CommonOptions {
  format?: string;
  template?: string;
  mode?: string;
  onChange?: string;
  signal?: string;
  pidFile?: string;
}

function valueOf<T>(checked: Checked<T>): T {
  if (!checked.ok) throw usageError(`${checked.message} Nothing was saved.`, checked.hint);
  return checked.value;
}

/** An absolute path, as given (normalised); a relative one is refused, since the app runs elsewhere. */
export function sinkPath(path: string, what = 'the token file'): string {
  if (path.trim() === '') throw usageError(`The path of ${what} is empty. Nothing was saved.`, 'Give an absolute path, e.g. ~/.config/app/token.');
  if (!isAbsolute(path)) {
    throw usageError(`The path ${path} of ${what} is relative. Nothing was saved.`, 'Give an absolute path (the app that writes it runs in another folder), e.g. "$PWD/token".');
  }
  return normalize(path);
}

/** The file checks (folder, link, kind) as a usage error: at `sink add` they are bad input. */
async function checkTarget(path: string): Promise<void> {
  try {
    await checkSinkTarget(path);
  } catch (error) {
    if (isTokentrayError(error)) throw usageError(`${error.message} Nothing was saved.`, error.hint);
    throw error;
  }
}

async function buildSink(context: CliContext, id: string, rawPath: string, options: AddOptions): Promise<SinkConfig> {
  const profile = context.requireProfile(id);
  const path = sinkPath(rawPath);
  if (options.template !== undefined && options.format !== undefined && options.format !== 'template') {
    throw usageError(`--template goes with --format template, not ${options.format}. Nothing was saved.`, 'Leave --format out, or give --format template.');
  }
  const format = valueOf(checkFormat(options.format ?? (options.template !== undefined ? 'template' : 'raw')));
  const refusal = sinkRefusal(profile, format);
  if (refusal !== null) throw usageError(`${refusal.message} Nothing was saved.`, refusal.hint);
  let template: string | undefined;
  if (format === 'template') {
    if (options.template === undefined) throw usageError('--format template needs --template FILE. Nothing was saved.', 'Write the template to a file with placeholders such as {{token}}, then give its path.');
    try {
      template = await readFile(options.template, 'utf8');
    } catch (error) {
      throw usageError(`The template ${options.template} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}). Nothing was saved.`, 'Check the path.');
    }
    valueOf(checkTemplate(template));
  }
  const modeChecked = parseSinkMode(options.mode ?? DEFAULT_SINK_MODE);
  const mode = valueOf(modeChecked);
  if (modeChecked.ok && modeChecked.note !== undefined) context.io.stderr.write(`tokentray: ${modeChecked.note}.\n`);
  if (options.onChange !== undefined && options.signal !== undefined) {
    throw usageError('Give either --on-change or --signal, not both. Nothing was saved.', 'A second sink on another path can carry the other hook.');
  }
  const onChange = options.onChange === undefined ? undefined : valueOf(parseCommandLine(options.onChange));
  let signal: string | undefined;
  let pidFile: string | undefined;
  if (options.signal !== undefined || options.pidFile !== undefined) {
    if (options.signal === undefined || options.pidFile === undefined) {
      throw usageError('--signal and --pid-file go together. Nothing was saved.', 'e.g. --signal HUP --pid-file /run/nginx.pid');
    }
    signal = valueOf(normaliseSignalName(options.signal));
    if (!(signal in osConstants.signals)) throw usageError(`${signal} is not a signal on this system. Nothing was saved.`, 'Use a name such as HUP, USR1 or TERM.');
    pidFile = sinkPath(options.pidFile, 'the pid file');
  }
  await checkTarget(path);
  const taken = context.store.listSinks().find((sink) => sink.path === path && sink.profileId !== id);
  if (taken !== undefined) {
    throw usageError(`${path} is already the token file of profile "${taken.profileId}". Nothing was saved.`, `Remove that one first (\`tokentray sink rm ${taken.profileId} ${path}\`), or choose another path.`);
  }
  return {
    profileId: id,
    path,
    format,
    mode,
    ...(template === undefined ? {} : { template }),
    ...(onChange === undefined ? {} : { onChange }),
    ...(signal === undefined ? {} : { signal }),
    ...(pidFile === undefined ? {} : { pidFile }),
  };
}

/** Each sink's state from the running app, or null when none answers (then nothing writes the files). */
async function keptStates(context: CliContext): Promise<Map<string, SinkStatus> | null> {
  let app;
  try {
    app = await findRunningApp(context.configDir, { vault: context.vault });
  } catch {
    return null;
  }
  if (app === null) return null;
  const states = new Map<string, SinkStatus>();
  try {
    for (const status of await app.statuses()) for (const sink of status.sinks ?? []) states.set(`${status.id}\u0000${sink.path}`, sink);
  } catch {
    return null;
  }
  return states;
}

function stateText(state: SinkStatus | undefined, running: boolean): string {
  if (!running) return 'not kept: Tokentray is not running (start the app or `tokentray serve`)';
  if (state === undefined) return 'not kept yet';
  if (state.present && state.writtenAt !== null) return `written ${state.writtenAt}`;
  return `not written: ${state.reason ?? 'unknown'}`;
}

export function registerSinkCommands(program: Command, _io: CliIo, run: Runner): void {
  const sink = program.command('sink').description('files kept fresh with a profile\'s token (written by the running app)');

  withCommonOptions(sink.command('add').argument('<id>', 'profile id').argument('<path>', 'absolute path of the file'), { json: true })
    .description('keep a file with the profile\'s current token, rewritten after every refresh')
    .option('--format <format>', 'raw, env, json, header, netrc or template (default raw)')
    .option('--template <file>', 'a template with {{token}}, {{header}}, {{expires_at}}, {{expires_in}}, {{profile}}')
    .option('--mode <mode>', 'the file mode in octal (default 0600; 644 is read as 0644)')
    .option('--on-change <command>', "run this command (no shell) once after the profile's files changed")
    .option('--signal <signal>', 'send this signal to the process in --pid-file after the file changed')
    .option('--pid-file <file>', 'the file holding the pid for --signal')
    .action((id: string, path: string, options: AddOptions) =>
      run(options, async (context) => {
        const config = await buildSink(context, id, path, options);
        const replaced = context.store.listSinks().some((s) => s.profileId === id && s.path === config.path);
        context.store.putSink(config);
        if (options.json) return context.json({ added: !replaced, updated: replaced, sink: { ...config, template: config.template === undefined ? undefined : true } });
        context.io.stderr.write(
          `${replaced ? 'Updated' : 'Added'} the token file ${config.path} for profile "${id}" (${config.format}, mode ${config.mode}). ` +
            'The running Tokentray (the app or `tokentray serve`) writes it after every refresh and removes it when the token expires.\n',
        );
      }),
    );

  withCommonOptions(sink.command('list'), { json: true })
    .description('list token files and whether each holds the current token')
    .action((options: CommonOptions) =>
      run(options, async (context) => {
        const sinks = context.store.listSinks();
        const states = sinks.length === 0 ? null : await keptStates(context);
        const rows = sinks.map((s) => ({ sink: s, state: states?.get(`${s.profileId}\u0000${s.path}`) }));
        if (options.json) {
          return context.json(
            rows.map(({ sink: s, state }) => ({
              profileId: s.profileId,
              path: s.path,
              format: s.format,
              mode: s.mode,
              onChange: s.onChange ?? null,
              signal: s.signal ?? null,
              pidFile: s.pidFile ?? null,
              kept: states !== null,
              status: state ?? null,
            })),
          );
        }
        if (sinks.length === 0) {
          context.io.stderr.write('No token files yet. Add one with `tokentray sink add ID PATH`.\n');
          return;
        }
        context.out(table(['PROFILE', 'PATH', 'FORMAT', 'MODE', 'STATE'], rows.map(({ sink: s, state }) => [s.profileId, s.path, s.format, s.mode, stateText(state, states !== null)])));
      }),
    );

  withCommonOptions(sink.command('rm').argument('<id>', 'profile id').argument('<path>', 'the file\'s path'), { json: true })
    .alias('remove')
    .description('stop keeping a token file, and remove it')
    .action((id: string, rawPath: string, options: CommonOptions) =>
      run(options, async (context) => {
        const path = sinkPath(rawPath);
        if (!context.store.removeSink(id, path)) {
          throw new TokentrayError('not_found', `Profile "${id}" has no token file ${path}.`, { hint: 'See `tokentray sink list`.' });
        }
        // The running app removes it too once it sees the change; without one nothing else would.
        let removed = false;
        try {
          removed = await removeSinkFile(path);
        } catch {
          // A folder that is no longer safe: nothing in it is touched.
        }
        if (options.json) return context.json({ removed: true, fileRemoved: removed, profileId: id, path });
        context.io.stderr.write(`Stopped keeping ${path} for profile "${id}"${removed ? ' and removed the file' : ''}.\n`);
      }),
    );
}
