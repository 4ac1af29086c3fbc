/**
 * What the timeline webview may ask of the extension. A webview is a web page showing text from
 * module sources and scenarios, so its messages are untrusted input: a message is honoured only
 * when it has the expected shape and names a source line the timeline itself shows.
 * No `vscode` import: unit-tested.
 */
import type { MessageLocation } from '../../server/src/protocol/messages';

export interface OpenRequest {
  uri: string;
  /** 0-based. */
  line: number;
}

const key = (uri: string, line: number) => `${line}:${uri}`;

/** The places a timeline links to, for checking the webview's requests against. */
export class AllowedLocations {
  private readonly keys = new Set<string>();

  constructor(locations: Iterable<MessageLocation>) {
    for (const location of locations) this.keys.add(key(location.uri, location.range.start.line));
  }

  get size(): number {
    return this.keys.size;
  }

  /** The request in a message, if the message is one and names a line the timeline shows. */
  openRequestOf(message: unknown): OpenRequest | undefined {
    if (typeof message !== 'object' || message === null) return undefined;
    const { command, uri, line } = message as Record<string, unknown>;
    if (command !== 'open' || typeof uri !== 'string' || typeof line !== 'number' || !Number.isInteger(line) || line < 0) return undefined;
    return this.keys.has(key(uri, line)) ? { uri, line } : undefined;
  }
}
