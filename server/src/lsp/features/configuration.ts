/**
 * Settings: read with `workspace/configuration` after `initialized` and again on every
 * `workspace/didChangeConfiguration` (or taken from that notification when the client cannot be
 * asked). A new `livepatch.kernelModel` reloads the kernel model; a model that cannot be used is
 * reported (diagnostics on the model file when it is in the workspace, a message otherwise) and
 * the server keeps checking against the model it had.
 */
import { homedir } from 'node:os';
import { isAbsolute, join, relative, resolve } from 'node:path';
import {
  DiagnosticSeverity,
  DidChangeConfigurationNotification,
  MessageType,
  ShowMessageNotification,
  type Diagnostic,
  type ServerCapabilities,
} from 'vscode-languageserver';
import { loadKernelModelFile } from '../../kernel/load';
import type { KernelModel, KernelModelError } from '../../kernel/types';
import { parseSettings, settingsSection, type LivepatchSettings } from '../../protocol/settings';
import type { ServerContext } from '../context';
import { diagnosticSource } from '../convert';
import { embeddedKernelModel } from '../embeddedKernelModel';
import { describeError } from '../log';
import { uriFromPath } from '../uris';

/** `${workspaceFolder}`, `~` and relative paths, resolved against the first workspace folder. */
export function resolveModelPath(configured: string, workspaceFolders: readonly string[]): string {
  const base = workspaceFolders[0] ?? process.cwd();
  let path = configured.trim().replace(/\$\{workspaceFolder\}/g, base);
  if (path === '~' || path.startsWith('~/')) path = join(homedir(), path.slice(1));
  return isAbsolute(path) ? path : resolve(base, path);
}

function isInside(folder: string, path: string): boolean {
  const rest = relative(folder, path);
  return rest !== '' && !rest.startsWith('..') && !isAbsolute(rest);
}

function describeModelError(error: KernelModelError): string {
  return error.jsonPath ? `${error.message} (at ${error.jsonPath})` : error.message;
}

function modelDiagnostic(error: KernelModelError, severity: DiagnosticSeverity): Diagnostic {
  const position = { line: error.line ?? 0, character: error.character ?? 0 };
  return { range: { start: position, end: position }, severity, source: diagnosticSource, message: describeModelError(error) };
}

export function register(context: ServerContext): ServerCapabilities {
  const { connection, log } = context;
  let settingsKnown = false;
  /** The model file that currently carries diagnostics from a failed load, if any. */
  let modelDiagnosticsUri: string | undefined;
  /** Settings refreshes run one after the other, in the order they were asked for. */
  let queue: Promise<void> = Promise.resolve();

  function clearModelDiagnostics(): void {
    if (modelDiagnosticsUri) void connection.sendDiagnostics({ uri: modelDiagnosticsUri, diagnostics: [] });
    modelDiagnosticsUri = undefined;
  }

  function reportModelErrors(path: string, errors: KernelModelError[], usable: boolean): void {
    const keeping = context.hasAnalyzer ? context.kernel.model.source : 'the embedded default';
    for (const error of errors) log.error(`kernel model ${path}: ${describeModelError(error)}`);
    if (context.workspaceFolders.some((folder) => isInside(folder, path))) {
      const severity = usable ? DiagnosticSeverity.Warning : DiagnosticSeverity.Error;
      modelDiagnosticsUri = uriFromPath(path);
      void connection.sendDiagnostics({ uri: modelDiagnosticsUri, diagnostics: errors.map((error) => modelDiagnostic(error, severity)) });
    }
    if (!usable) {
      const first = errors[0] ? describeModelError(errors[0]) : 'unknown error';
      const more = errors.length > 1 ? ` (and ${errors.length - 1} more problems)` : '';
      void connection.sendNotification(ShowMessageNotification.type, {
        type: MessageType.Error,
        message: `Livepatch: cannot use kernel model ${path}: ${first}${more}. Still checking against ${keeping}.`,
      });
    }
  }

  /** Load the model the setting names; on failure keep the current one. */
  function applyKernelModelSetting(configuredPath: string): void {
    clearModelDiagnostics();
    if (configuredPath.trim() === '') {
      // Already on the embedded default: nothing to reload, nothing to re-publish.
      if (context.kernel.configuredPath.trim() === '' && context.kernel.loadErrors.length === 0) return;
      const embedded = embeddedKernelModel();
      if (embedded.error) log.error(embedded.error);
      context.setKernel({ model: embedded.model, configuredPath, loadErrors: embedded.error ? [embedded.error] : [] });
      return;
    }
    const path = resolveModelPath(configuredPath, context.workspaceFolders);
    let result: { model?: KernelModel; errors: KernelModelError[] };
    try {
      result = loadKernelModelFile(path);
    } catch (error) {
      result = { errors: [{ message: describeError(error).split('\n')[0], jsonPath: '' }] };
    }
    if (result.errors.length > 0) reportModelErrors(path, result.errors, result.model !== undefined);
    if (result.model) {
      log.info(`kernel model ${result.model.release} (${result.model.architecture}) loaded from ${path}`);
      context.setKernel({ model: result.model, configuredPath, loadErrors: [] });
    } else {
      const loadErrors = result.errors.length > 0 ? result.errors.map(describeModelError) : ['the model could not be loaded'];
      context.setKernel({ ...context.kernel, configuredPath, loadErrors });
    }
  }

  async function refresh(pushed: unknown): Promise<void> {
    let section: unknown;
    if (context.clientCapabilities.workspace?.configuration) {
      section = await connection.workspace.getConfiguration(settingsSection);
    } else if (pushed !== null && typeof pushed === 'object') {
      section = (pushed as Record<string, unknown>)[settingsSection];
    }
    const { settings, problems } = parseSettings(section);
    for (const problem of problems) log.warning(`setting ${problem}`);
    const previous: LivepatchSettings | undefined = settingsKnown ? context.settings : undefined;
    if (previous && JSON.stringify(previous) === JSON.stringify(settings)) return;
    settingsKnown = true;
    context.settings = settings;
    log.setLevel(settings.log.level);
    if (!previous || previous.kernelModel !== settings.kernelModel) applyKernelModelSetting(settings.kernelModel);
    context.fireSettingsChanged({ previous, current: settings });
  }

  function scheduleRefresh(pushed: unknown): Promise<void> {
    queue = queue.then(context.safe('settings refresh', undefined, () => refresh(pushed)));
    return queue;
  }

  context.onInitialized(
    context.safe('initial settings', undefined, async () => {
      if (context.clientCapabilities.workspace?.didChangeConfiguration?.dynamicRegistration) {
        await connection.client.register(DidChangeConfigurationNotification.type, { section: settingsSection });
      }
      await scheduleRefresh(undefined);
    }),
  );

  connection.onDidChangeConfiguration(
    context.safe('workspace/didChangeConfiguration', undefined, ({ settings }) => scheduleRefresh(settings)),
  );

  return {};
}
