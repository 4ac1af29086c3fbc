/**
 * What every feature receives from `register(context)`: the connection, logging, the open
 * documents, the analyzer, settings, the kernel model in use, and events for the moments that
 * cut across features (initialized, settings changed, kernel model changed, shutdown).
 */
import { CodeLensRefreshRequest, Emitter, type ClientCapabilities, type Connection } from 'vscode-languageserver';
import type { Analyzer } from '../analysis/analyzer';
import type { KernelModel } from '../kernel/types';
import { defaultSettings, type LivepatchSettings } from '../protocol/settings';
import { DiagnosticsPublisher } from './diagnosticsPublisher';
import { DocumentStore } from './documents';
import { createLogger, type Logger } from './log';
import { safe } from './safe';

export interface KernelModelState {
  /** The model in use. */
  model: KernelModel;
  /** The `livepatch.kernelModel` setting it was loaded for ("" for the embedded default). */
  configuredPath: string;
  /** Why the configured model could not be used (the previous model stays in use then). */
  loadErrors: string[];
}

export interface SettingsChange {
  /** Undefined the first time settings are read. */
  previous: LivepatchSettings | undefined;
  current: LivepatchSettings;
}

export class ServerContext {
  readonly log: Logger;
  readonly documents: DocumentStore;
  readonly diagnostics: DiagnosticsPublisher;
  settings: LivepatchSettings = defaultSettings;
  clientCapabilities: ClientCapabilities = {};
  /** Absolute paths of the workspace folders. */
  workspaceFolders: string[] = [];
  private analyzerInstance: Analyzer | undefined;
  private kernelState: KernelModelState | undefined;

  private readonly initializedEmitter = new Emitter<void>();
  private readonly settingsEmitter = new Emitter<SettingsChange>();
  private readonly kernelEmitter = new Emitter<KernelModel>();
  private readonly shutdownEmitter = new Emitter<void>();
  /** After `initialized`: the client accepts requests from the server from now on. */
  readonly onInitialized = this.initializedEmitter.event;
  /** After settings were (re)read and the kernel model they name was applied. */
  readonly onSettingsChanged = this.settingsEmitter.event;
  /** After a different kernel model was given to the analyzer. */
  readonly onKernelModelChanged = this.kernelEmitter.event;
  readonly onShutdown = this.shutdownEmitter.event;

  constructor(readonly connection: Connection) {
    this.log = createLogger(connection.console, defaultSettings.log.level);
    this.documents = new DocumentStore(this);
    this.diagnostics = new DiagnosticsPublisher(this);
  }

  /** The analyzer; throws when a message arrives before `initialize` created it. */
  get analyzer(): Analyzer {
    if (!this.analyzerInstance) throw new Error('the analyzer is not ready (no initialize request yet)');
    return this.analyzerInstance;
  }

  get hasAnalyzer(): boolean {
    return this.analyzerInstance !== undefined;
  }

  setAnalyzer(analyzer: Analyzer, kernel: KernelModelState): void {
    this.analyzerInstance = analyzer;
    this.kernelState = kernel;
  }

  get kernel(): KernelModelState {
    if (!this.kernelState) throw new Error('no kernel model yet (no initialize request yet)');
    return this.kernelState;
  }

  /** Record the outcome of applying the `livepatch.kernelModel` setting. */
  setKernel(state: KernelModelState): void {
    const changed = state.model !== this.kernelState?.model;
    this.kernelState = state;
    if (changed) {
      this.analyzer.setKernel(state.model);
      this.kernelEmitter.fire(state.model);
    }
  }

  private lensRefresh: NodeJS.Timeout | undefined;

  /**
   * Asks the client for every code lens again: the lenses of one patch name the others in series
   * order, so a change elsewhere (a series file, another patch on disk, the workspace pass, the
   * order a scenario gives) makes the shown ones stale. Changes that come together send one request.
   */
  refreshCodeLenses(): void {
    if (!this.clientCapabilities.workspace?.codeLens?.refreshSupport || this.lensRefresh) return;
    this.lensRefresh = setTimeout(() => {
      this.lensRefresh = undefined;
      this.connection.sendRequest(CodeLensRefreshRequest.type).catch((error: unknown) => this.log.info(`code lens refresh failed: ${error instanceof Error ? error.message : String(error)}`));
    }, 50);
  }

  /** `safe()` bound to this server's log. */
  safe<Arguments extends unknown[], Result>(
    name: string,
    fallback: Result,
    handler: (...args: Arguments) => Result | Promise<Result>,
  ): (...args: Arguments) => Promise<Result> {
    return safe(this.log, name, fallback, handler);
  }

  fireInitialized(): void {
    this.initializedEmitter.fire();
  }

  fireSettingsChanged(change: SettingsChange): void {
    this.settingsEmitter.fire(change);
  }

  fireShutdown(): void {
    clearTimeout(this.lensRefresh);
    this.lensRefresh = undefined;
    this.shutdownEmitter.fire();
  }
}
