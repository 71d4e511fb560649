// One logger factory for every process (the Electron main process, `tokentray serve`, the CLI): one
// line per message, the scope first, then fields as JSON. Fields name profile ids and error kinds,
// never a token or a secret (STYLE.md). Where the line goes is the caller's: the core has no stderr.
import type { Logger } from './types.js';

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface LoggerOptions {
  /** Names the module or process: `[engine]`, `tokentray serve:`. */
  scope: string;
  /** Receives each finished line, newline included. */
  write: (line: string) => void;
  /** The lowest level written (default info); 'silent' writes nothing. */
  level?: LogLevel | 'silent';
  /** When given, each line starts with this clock's time (long-running processes). */
  clock?: () => number;
}

export const NOOP_LOGGER: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

/**
 * Durations (fields named …Ms) are whole milliseconds in a log line: jittered timers compute
 * fractions such as 7785.5546875 that only make the line harder to read.
 */
function wholeDurations(key: string, value: unknown): unknown {
  return typeof value === 'number' && key.endsWith('Ms') && !Number.isInteger(value) ? Math.round(value) : value;
}

export function createLogger(options: LoggerOptions): Logger {
  const lowest = options.level ?? 'info';
  if (lowest === 'silent') return NOOP_LOGGER;
  const from = LOG_LEVELS.indexOf(lowest);
  const at = (level: LogLevel) => {
    if (LOG_LEVELS.indexOf(level) < from) return () => {};
    return (message: string, fields?: Record<string, unknown>): void => {
      const time = options.clock === undefined ? '' : `${new Date(options.clock()).toISOString()} `;
      const extra = fields === undefined ? '' : ` ${JSON.stringify(fields, wholeDurations)}`;
      options.write(`${time}${options.scope} ${level}: ${message}${extra}\n`);
    };
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
