/**
 * Server logging. Everything goes through the connection (`window/logMessage`), never to stdout,
 * which is the protocol channel when the server runs with --stdio.
 */
import type { RemoteConsole } from 'vscode-languageserver';
import type { LogLevel } from '../protocol/settings';

export interface Logger {
  error(message: string): void;
  warning(message: string): void;
  info(message: string): void;
  debug(message: string): void;
  setLevel(level: LogLevel): void;
}

const rank: Record<LogLevel, number> = { error: 0, warning: 1, info: 2, debug: 3 };

export function createLogger(remote: RemoteConsole, initialLevel: LogLevel): Logger {
  let level = initialLevel;
  const enabled = (wanted: LogLevel) => rank[wanted] <= rank[level];
  return {
    error: (message) => enabled('error') && remote.error(message),
    warning: (message) => enabled('warning') && remote.warn(message),
    info: (message) => enabled('info') && remote.info(message),
    // LSP's "log" type is the lowest level VS Code shows; it suits debug lines.
    debug: (message) => enabled('debug') && remote.log(message),
    setLevel: (next) => {
      level = next;
    },
  };
}

/** A one-line description of anything thrown, with the stack when there is one. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`;
  return String(error);
}
