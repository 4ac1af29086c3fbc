/**
 * A small LSP client for protocol tests: spawns the real, built server (`node dist/server.js
 * --stdio`) and talks to it through vscode-languageserver-protocol's connection. It answers the
 * requests a server sends to its client (configuration, registrations, progress) and records
 * every notification; tests wait on events with a deadline that fails the test, never on sleeps.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  CodeLensRefreshRequest,
  ConfigurationRequest,
  createProtocolConnection,
  DidChangeConfigurationNotification,
  DidChangeTextDocumentNotification,
  DidCloseTextDocumentNotification,
  DidOpenTextDocumentNotification,
  ExitNotification,
  InitializedNotification,
  InitializeRequest,
  LogMessageNotification,
  PublishDiagnosticsNotification,
  RegistrationRequest,
  ShowMessageNotification,
  ShowMessageRequest,
  ShutdownRequest,
  StreamMessageReader,
  StreamMessageWriter,
  UnregistrationRequest,
  WorkDoneProgressCreateRequest,
  WorkspaceFoldersRequest,
  type ClientCapabilities,
  type InitializeResult,
  type LogMessageParams,
  type ProtocolConnection,
  type PublishDiagnosticsParams,
  type ShowMessageParams,
  type TextDocumentContentChangeEvent,
} from 'vscode-languageserver-protocol/node';

/** A `$/progress` notification. */
export interface ProgressParams {
  token: string | number;
  value: unknown;
}

/** The repository root: found by walking up, so this works from sources and from a bundle. */
export const repoRoot = ((): string => {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json')) && resolve(dir, '..') !== dir) dir = resolve(dir, '..');
  return dir;
})();
export const serverBundle = join(repoRoot, 'dist', 'server.js');
export const lspFixtures = join(repoRoot, 'test', 'fixtures', 'lsp');

/** Default deadline of one wait; generous because CI machines are small (2 cores). */
export const defaultTimeoutMs = 20_000;

export function fileUri(path: string): string {
  return pathToFileURL(path).href;
}

export interface StartOptions {
  /** Absolute path of the (single) workspace folder; none when absent. */
  workspaceFolder?: string;
  /** The `livepatch` section as the editor would return it (nested objects). */
  settings?: Record<string, unknown>;
  /** Whether the client advertises window.workDoneProgress (default true). */
  workDoneProgress?: boolean;
}

const clientCapabilities = (workDoneProgress: boolean): ClientCapabilities => ({
  workspace: {
    configuration: true,
    workspaceFolders: true,
    didChangeConfiguration: { dynamicRegistration: true },
    didChangeWatchedFiles: { dynamicRegistration: true },
    codeLens: { refreshSupport: true },
  },
  window: { workDoneProgress, showMessage: {} },
  textDocument: {
    synchronization: { dynamicRegistration: false, didSave: false },
    publishDiagnostics: { relatedInformation: true, versionSupport: true, codeDescriptionSupport: true, dataSupport: true },
    hover: { contentFormat: ['markdown', 'plaintext'] },
    completion: { completionItem: { snippetSupport: false } },
    definition: { linkSupport: false },
    documentSymbol: { hierarchicalDocumentSymbolSupport: true },
  },
});

interface Waiter {
  check(): boolean;
}

export class LspTestClient {
  /** workspace/codeLens/refresh requests the server sent. */
  codeLensRefreshes = 0;
  /** Every publishDiagnostics, in arrival order. */
  readonly publishes: PublishDiagnosticsParams[] = [];
  readonly logMessages: LogMessageParams[] = [];
  readonly shownMessages: ShowMessageParams[] = [];
  readonly progress: ProgressParams[] = [];
  /** Methods of registrations the server asked for. */
  readonly registrations: string[] = [];
  initializeResult!: InitializeResult;
  stderr = '';
  private readonly waiters = new Set<Waiter>();
  private readonly versions = new Map<string, number>();
  private exited = false;

  private constructor(
    readonly process: ChildProcessWithoutNullStreams,
    readonly connection: ProtocolConnection,
    public settings: Record<string, unknown>,
    readonly workspaceFolder: string | undefined,
  ) {}

  static async start(options: StartOptions = {}): Promise<LspTestClient> {
    if (!existsSync(serverBundle)) throw new Error(`${serverBundle} is missing: run \`npm run build\` first`);
    const child = spawn(process.execPath, [serverBundle, '--stdio'], { stdio: 'pipe' });
    const connection = createProtocolConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
    const client = new LspTestClient(child, connection, options.settings ?? {}, options.workspaceFolder);
    client.listen();
    connection.listen();
    const workspaceFolders = options.workspaceFolder ? [{ uri: fileUri(options.workspaceFolder), name: 'fixture' }] : null;
    try {
      client.initializeResult = await client.within('the initialize response', defaultTimeoutMs, () =>
        connection.sendRequest(InitializeRequest.type, {
          processId: process.pid,
          rootUri: workspaceFolders ? workspaceFolders[0].uri : null,
          workspaceFolders,
          capabilities: clientCapabilities(options.workDoneProgress ?? true),
        }),
      );
    } catch (error) {
      // A server that failed to start must not outlive the test (it would keep the run alive).
      child.kill('SIGKILL');
      connection.dispose();
      throw new Error(`initialize failed: ${error instanceof Error ? error.message : String(error)}\nserver stderr: ${client.stderr}`);
    }
    await connection.sendNotification(InitializedNotification.type, {});
    return client;
  }

  private listen(): void {
    const { connection } = this;
    const recorded = <T>(list: T[]) => (item: T) => {
      list.push(item);
      this.notify();
    };
    connection.onNotification(PublishDiagnosticsNotification.type, recorded(this.publishes));
    connection.onNotification(LogMessageNotification.type, recorded(this.logMessages));
    connection.onNotification(ShowMessageNotification.type, recorded(this.shownMessages));
    connection.onNotification('$/progress', recorded(this.progress));
    connection.onRequest(ConfigurationRequest.type, (params) =>
      params.items.map((item) => (item.section === 'livepatch' ? this.settings : item.section ? null : { livepatch: this.settings })),
    );
    connection.onRequest(RegistrationRequest.type, (params) => {
      for (const registration of params.registrations) this.registrations.push(registration.method);
      this.notify();
    });
    connection.onRequest(UnregistrationRequest.type, () => undefined);
    connection.onRequest(CodeLensRefreshRequest.type, () => {
      this.codeLensRefreshes++;
      this.notify();
    });
    connection.onRequest(WorkDoneProgressCreateRequest.type, () => undefined);
    connection.onRequest(ShowMessageRequest.type, (params) => {
      this.shownMessages.push(params);
      this.notify();
      return null;
    });
    connection.onRequest(WorkspaceFoldersRequest.type, () =>
      this.workspaceFolder ? [{ uri: fileUri(this.workspaceFolder), name: 'fixture' }] : null,
    );
    this.process.stderr.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString('utf8');
    });
    this.process.on('exit', () => {
      this.exited = true;
      this.notify();
    });
  }

  /** Re-evaluate every pending wait (after each event). */
  private notify(): void {
    for (const waiter of [...this.waiters]) waiter.check();
  }

  /**
   * Resolves with the first non-undefined value of `probe`, evaluated now and after every event
   * from the server; rejects after `timeoutMs` (failing the test) or when the server exits.
   */
  waitFor<T>(description: string, probe: () => T | undefined, timeoutMs = defaultTimeoutMs): Promise<T> {
    return new Promise<T>((resolvePromise, reject) => {
      const waiter: Waiter = {
        check: () => {
          let value: T | undefined;
          try {
            value = probe();
          } catch (error) {
            finish();
            reject(error);
            return true;
          }
          if (value !== undefined) {
            finish();
            resolvePromise(value);
            return true;
          }
          if (this.exited) {
            finish();
            reject(new Error(`server exited while waiting for ${description}\n${this.describeState()}`));
            return true;
          }
          return false;
        },
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${description}\n${this.describeState()}`));
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
      };
      this.waiters.add(waiter);
      waiter.check();
    });
  }

  /** A request (or any promise) with a deadline. */
  async within<T>(description: string, timeoutMs: number, run: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${description}\n${this.describeState()}`)),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([run(), deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sends a request and waits for its answer (with the default deadline). */
  request<R>(method: string, params: unknown, timeoutMs = defaultTimeoutMs): Promise<R> {
    return this.within(`the answer to ${method}`, timeoutMs, () => this.connection.sendRequest<R>(method, params));
  }

  /** The latest diagnostics published for a URI at or after publish number `since`. */
  latestDiagnostics(uri: string, since = 0): PublishDiagnosticsParams | undefined {
    for (let index = this.publishes.length - 1; index >= since; index--) {
      if (this.publishes[index].uri === uri) return this.publishes[index];
    }
    return undefined;
  }

  /**
   * Waits until the latest diagnostics published for `uri` (counting only publishes from number
   * `since` on) satisfy `predicate`.
   */
  waitForDiagnostics(
    uri: string,
    predicate: (params: PublishDiagnosticsParams) => boolean = () => true,
    options: { since?: number; description?: string; timeoutMs?: number } = {},
  ): Promise<PublishDiagnosticsParams> {
    const description = options.description ?? `diagnostics for ${uri}`;
    return this.waitFor(
      description,
      () => {
        const latest = this.latestDiagnostics(uri, options.since ?? 0);
        return latest && predicate(latest) ? latest : undefined;
      },
      options.timeoutMs,
    );
  }

  waitForLog(predicate: (message: LogMessageParams) => boolean, description: string): Promise<LogMessageParams> {
    return this.waitFor(description, () => this.logMessages.find(predicate));
  }

  waitForShownMessage(predicate: (message: ShowMessageParams) => boolean, description: string): Promise<ShowMessageParams> {
    return this.waitFor(description, () => this.shownMessages.find(predicate));
  }

  /** Opens a document (text read from disk unless given) and returns its URI. */
  async open(path: string, text?: string, languageId = 'c'): Promise<string> {
    const uri = fileUri(path);
    this.versions.set(uri, 1);
    await this.connection.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: { uri, languageId, version: 1, text: text ?? readFileSync(path, 'utf8') },
    });
    return uri;
  }

  /** Sends edits and returns the new document version. */
  async change(uri: string, contentChanges: TextDocumentContentChangeEvent[]): Promise<number> {
    const version = (this.versions.get(uri) ?? 1) + 1;
    this.versions.set(uri, version);
    await this.connection.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri, version }, contentChanges });
    return version;
  }

  async close(uri: string): Promise<void> {
    this.versions.delete(uri);
    await this.connection.sendNotification(DidCloseTextDocumentNotification.type, { textDocument: { uri } });
  }

  /** Changes the settings the client answers with and tells the server, as VS Code does. */
  async changeSettings(settings: Record<string, unknown>): Promise<void> {
    this.settings = settings;
    await this.connection.sendNotification(DidChangeConfigurationNotification.type, { settings: { livepatch: settings } });
  }

  get isRunning(): boolean {
    return !this.exited;
  }

  private describeState(): string {
    const lastPublishes = this.publishes
      .slice(-5)
      .map((p) => `  ${p.uri} v${p.version ?? '-'}: ${p.diagnostics.map((d) => d.code ?? d.message).join(', ') || '(none)'}`);
    const lastLogs = this.logMessages.slice(-5).map((m) => `  [${m.type}] ${m.message.split('\n')[0]}`);
    return [
      `last publishes:\n${lastPublishes.join('\n') || '  (none)'}`,
      `last log lines:\n${lastLogs.join('\n') || '  (none)'}`,
      `server stderr: ${this.stderr.trim().slice(-2000) || '(empty)'}`,
    ].join('\n');
  }

  /** Orderly shutdown; kills the process if it does not exit in time. */
  async stop(): Promise<void> {
    if (!this.exited) {
      try {
        await this.within('the shutdown response', 5_000, () => this.connection.sendRequest(ShutdownRequest.type));
        await this.connection.sendNotification(ExitNotification.type);
        await this.waitFor('the server to exit', () => (this.exited ? true : undefined), 5_000);
      } catch {
        this.process.kill('SIGKILL');
      }
    }
    this.connection.dispose();
  }
}

/**
 * Position of the `occurrence`-th (0-based) match of `needle` in `text`, moved `offset`
 * characters into it; fails the test when absent (fixtures and tests must agree).
 */
export function positionOf(text: string, needle: string, offset = 0, occurrence = 0): { line: number; character: number } {
  let index = -1;
  for (let seen = 0; seen <= occurrence; seen++) {
    index = text.indexOf(needle, index + 1);
    if (index < 0) throw new Error(`fixture text has no occurrence ${occurrence} of ${JSON.stringify(needle)}`);
  }
  const before = text.slice(0, index + offset);
  const line = before.split('\n').length - 1;
  return { line, character: before.length - before.lastIndexOf('\n') - 1 };
}
