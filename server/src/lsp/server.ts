/**
 * The language server core, independent of its transport: `createServer(connection)` wires the
 * features to a connection that `main.ts` (stdio, node-ipc) or a test created. Each feature
 * lives in `features/<capability>.ts`, registers its handlers and returns the capabilities it
 * provides; this file only collects them and answers `initialize`.
 */
import {
  MessageType,
  ShowMessageNotification,
  type Connection,
  type InitializeParams,
  type InitializeResult,
  type ServerCapabilities,
} from 'vscode-languageserver';
import { version } from '../../../package.json';
import { Analyzer } from '../analysis/analyzer';
import { ServerContext } from './context';
import { embeddedKernelModel } from './embeddedKernelModel';
import * as codeActions from './features/codeActions';
import * as completion from './features/completion';
import * as configuration from './features/configuration';
import * as definition from './features/definition';
import * as diagnostics from './features/diagnostics';
import * as documentSymbols from './features/documentSymbols';
import * as hover from './features/hover';
import * as kernelModelInfo from './features/kernelModelInfo';
import * as codeLens from './features/codeLens';
import * as idReferences from './features/idReferences';
import * as kernelModelStatus from './features/kernelModelStatus';
import * as livepatchTree from './features/livepatchTree';
import * as scenarioLanguage from './features/scenarioLanguage';
import * as scenarioSeries from './features/scenarioSeries';
import * as simulation from './features/simulation';
import * as workspaceSymbols from './features/workspaceSymbols';
import * as workspaceDiagnostics from './features/workspaceDiagnostics';
import { nodeFileSystem } from '../analysis/nodeFileSystem';
import { isFileUri, pathFromUri } from './uris';

export const serverName = 'livepatch-workbench';

/** Order matters only for listeners of the same event: configuration first, so it settles the model. */
const features: { register(context: ServerContext): ServerCapabilities }[] = [
  configuration,
  diagnostics,
  workspaceDiagnostics,
  documentSymbols,
  hover,
  completion,
  definition,
  kernelModelInfo,
  // The editor: scenarios, simulation, code lenses, the Livepatch tree, navigation across modules.
  scenarioLanguage,
  // The scenario being simulated (or open) gives the series order when nothing else does.
  scenarioSeries,
  simulation,
  codeLens,
  livepatchTree,
  workspaceSymbols,
  idReferences,
  kernelModelStatus,
  codeActions,
];

/** Shallow merge, one level deeper for `workspace` (several features contribute to it). */
function mergeCapabilities(parts: ServerCapabilities[]): ServerCapabilities {
  const merged: ServerCapabilities = {};
  for (const part of parts) {
    const { workspace, ...rest } = part;
    Object.assign(merged, rest);
    if (workspace) merged.workspace = { ...merged.workspace, ...workspace };
  }
  return merged;
}

function workspaceFoldersOf(params: InitializeParams): string[] {
  const uris = params.workspaceFolders?.map((folder) => folder.uri) ?? (params.rootUri ? [params.rootUri] : []);
  const folders = uris.filter(isFileUri).map(pathFromUri);
  if (folders.length === 0 && params.rootPath) folders.push(params.rootPath);
  return folders;
}

export function createServer(connection: Connection): ServerContext {
  const context = new ServerContext(connection);
  context.documents.listen(connection);
  const capabilities = mergeCapabilities(features.map((feature) => feature.register(context)));

  connection.onInitialize(async (params): Promise<InitializeResult> => {
    context.clientCapabilities = params.capabilities;
    context.workspaceFolders = workspaceFoldersOf(params);
    const kernel = embeddedKernelModel();
    if (kernel.error) {
      context.log.error(kernel.error);
      void connection.sendNotification(ShowMessageNotification.type, { type: MessageType.Error, message: `Livepatch: ${kernel.error}` });
    }
    const analyzer = await Analyzer.create(kernel.model, nodeFileSystem);
    analyzer.log = (message) => context.log.error(message);
    context.setAnalyzer(analyzer, { model: kernel.model, configuredPath: '', loadErrors: kernel.error ? [kernel.error] : [] });
    context.log.info(`${serverName} ${version} started; workspace folders: ${context.workspaceFolders.join(', ') || '(none)'}`);
    return { capabilities, serverInfo: { name: serverName, version } };
  });

  connection.onInitialized(() => context.fireInitialized());

  connection.onShutdown(
    context.safe('shutdown', undefined, () => {
      context.fireShutdown();
      if (context.hasAnalyzer) context.analyzer.dispose();
    }),
  );

  return context;
}
