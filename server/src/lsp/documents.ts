/**
 * Open documents, kept in step with the editor through incremental text sync. The store is the
 * only place that forwards text to the analyzer (openDocument / changeDocument with the edit
 * ranges / closeDocument); features listen to its events instead of to the connection.
 *
 * `.klpsim` scenarios are kept apart: they are not C, so the analyzer never sees them, and the C
 * features (which list `all()` and listen to `onDidOpen`...) never meet them. The scenario
 * language feature listens to the `...Scenario` events instead.
 */
import { Emitter, type Connection, type TextDocumentContentChangeEvent } from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { TextChange } from '../analysis/analyzer';
import type { ServerContext } from './context';
import { isFileUri, pathFromUri, uriFromPath } from './uris';

export interface OpenDocument {
  /** The URI exactly as the client sent it (diagnostics are published under it). */
  readonly uri: string;
  /** Absolute path the analyzer knows the document by. */
  readonly path: string;
  /** Current text and version. */
  readonly document: TextDocument;
}

function toTextChange(change: TextDocumentContentChangeEvent): TextChange {
  return 'range' in change && change.range ? { range: change.range, text: change.text } : { text: change.text };
}

/** Whether a path is a simulation scenario (not C: the analyzer never reads it). */
export function isScenarioPath(path: string): boolean {
  return path.endsWith('.klpsim');
}

export class DocumentStore {
  private readonly byPath = new Map<string, OpenDocument>();
  private readonly scenarios = new Map<string, OpenDocument>();
  private readonly opened = new Emitter<OpenDocument>();
  private readonly changed = new Emitter<OpenDocument>();
  private readonly closed = new Emitter<OpenDocument>();
  private readonly scenarioOpened = new Emitter<OpenDocument>();
  private readonly scenarioChanged = new Emitter<OpenDocument>();
  private readonly scenarioClosed = new Emitter<OpenDocument>();
  readonly onDidOpen = this.opened.event;
  readonly onDidChange = this.changed.event;
  readonly onDidClose = this.closed.event;
  readonly onDidOpenScenario = this.scenarioOpened.event;
  readonly onDidChangeScenario = this.scenarioChanged.event;
  readonly onDidCloseScenario = this.scenarioClosed.event;

  constructor(private readonly context: ServerContext) {}

  listen(connection: Connection): void {
    const { context } = this;
    connection.onDidOpenTextDocument(
      context.safe('textDocument/didOpen', undefined, ({ textDocument }) => {
        if (!isFileUri(textDocument.uri)) {
          context.log.debug(`ignoring ${textDocument.uri}: only file: documents are analysed`);
          return;
        }
        const path = pathFromUri(textDocument.uri);
        const document = TextDocument.create(textDocument.uri, textDocument.languageId, textDocument.version, textDocument.text);
        const open: OpenDocument = { uri: textDocument.uri, path, document };
        if (isScenarioPath(path)) {
          this.scenarios.set(path, open);
          this.scenarioOpened.fire(open);
          return;
        }
        this.byPath.set(path, open);
        // Listeners still run when the analyzer throws, so the document gets (empty) diagnostics.
        try {
          context.analyzer.openDocument(path, textDocument.text);
        } finally {
          this.opened.fire(open);
        }
      }),
    );
    connection.onDidChangeTextDocument(
      context.safe('textDocument/didChange', undefined, ({ textDocument, contentChanges }) => {
        if (!isFileUri(textDocument.uri)) return;
        const scenario = this.scenarios.get(pathFromUri(textDocument.uri));
        if (scenario) {
          TextDocument.update(scenario.document, contentChanges, textDocument.version);
          this.scenarioChanged.fire(scenario);
          return;
        }
        const open = this.byPath.get(pathFromUri(textDocument.uri));
        if (!open) {
          context.log.warning(`didChange for ${textDocument.uri}, which is not open`);
          return;
        }
        TextDocument.update(open.document, contentChanges, textDocument.version);
        try {
          context.analyzer.changeDocument(open.path, contentChanges.map(toTextChange));
        } finally {
          this.changed.fire(open);
        }
      }),
    );
    connection.onDidCloseTextDocument(
      context.safe('textDocument/didClose', undefined, ({ textDocument }) => {
        if (!isFileUri(textDocument.uri)) return;
        const path = pathFromUri(textDocument.uri);
        const scenario = this.scenarios.get(path);
        if (scenario) {
          this.scenarios.delete(path);
          this.scenarioClosed.fire(scenario);
          return;
        }
        const open = this.byPath.get(path);
        if (!open) return;
        this.byPath.delete(path);
        try {
          context.analyzer.closeDocument(path);
        } finally {
          this.closed.fire(open);
        }
      }),
    );
  }

  get(path: string): OpenDocument | undefined {
    return this.byPath.get(path);
  }

  /** The open document a request names, or undefined (also for non-file URIs). */
  getByUri(uri: string): OpenDocument | undefined {
    return isFileUri(uri) ? this.byPath.get(pathFromUri(uri)) : undefined;
  }

  isOpen(path: string): boolean {
    return this.byPath.has(path);
  }

  all(): OpenDocument[] {
    return [...this.byPath.values()];
  }

  /** The URI to publish for a path: the client's own URI when open, else the file URI. */
  uriOf(path: string): string {
    return this.byPath.get(path)?.uri ?? this.scenarios.get(path)?.uri ?? uriFromPath(path);
  }

  /** An open `.klpsim` scenario. */
  getScenario(path: string): OpenDocument | undefined {
    return this.scenarios.get(path);
  }

  getScenarioByUri(uri: string): OpenDocument | undefined {
    return isFileUri(uri) ? this.scenarios.get(pathFromUri(uri)) : undefined;
  }
}
