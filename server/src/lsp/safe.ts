/**
 * Failures are contained per request: a handler that throws (or rejects) is logged through the
 * connection and answers with its empty result, so one bad document or one bug in a feature never
 * takes the server down or leaves the editor waiting.
 */
import { describeError, type Logger } from './log';

/**
 * Wraps a request, notification or event handler. `fallback` is what the client receives when
 * the handler fails: null / [] for requests, undefined for notifications.
 */
export function safe<Arguments extends unknown[], Result>(
  log: Logger,
  name: string,
  fallback: Result,
  handler: (...args: Arguments) => Result | Promise<Result>,
): (...args: Arguments) => Promise<Result> {
  return async (...args: Arguments) => {
    try {
      return await handler(...args);
    } catch (error) {
      log.error(`${name} failed: ${describeError(error)}`);
      return fallback;
    }
  };
}
