/**
 * The VS Code side: starts the language server bundle (dist/server.js) over node IPC for C
 * sources (`.h` files too, which VS Code opens as C++) and `.klpsim` scenarios, forwards the
 * `livepatch` settings, and adds the editor's parts: the Livepatch commands, simulation runs
 * with their output channel and diagnostics, the Livepatch tree view and the kernel model
 * status bar item.
 *
 * `activate` returns a small API (the client, running a simulation) so that end-to-end tests in
 * a real editor can drive the extension without clicking through pickers.
 */
import * as vscode from 'vscode';
import { LanguageClient, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import { KernelModelInfoRequest, type RunSimulationResult, type ScenarioSource } from '../../server/src/protocol/messages';
import { settingsSection } from '../../server/src/protocol/settings';
import { captureKernelModel, KernelModelStatusBar, selectKernelModel } from './kernelModel';
import { LivepatchTreeProvider, livepatchTreeViewId } from './livepatchTree';
import { SimulationRunner } from './simulation';

const clientId = 'livepatch';
const clientName = 'Livepatch Workbench';

/** What `activate` returns (`vscode.extensions.getExtension(...).exports`). */
export interface LivepatchExtensionApi {
  /** The language client (undefined after deactivation). */
  readonly client: () => LanguageClient | undefined;
  /** Runs a simulation as the command does; without a source the picker asks. */
  runSimulation(source?: ScenarioSource): Promise<RunSimulationResult | undefined>;
  readonly simulationOutput: vscode.OutputChannel;
}

let client: LanguageClient | undefined;

/** The documents the server serves: C sources and headers, and simulation scenarios. */
export const documentSelector = [
  { scheme: 'file', language: 'c' },
  // VS Code opens .h files as C++ by default; in a livepatch tree they belong to C modules.
  { scheme: 'file', language: 'cpp', pattern: '**/*.h' },
  { scheme: 'file', language: 'klpsim' },
];

function createClient(context: vscode.ExtensionContext, outputChannel: vscode.OutputChannel): LanguageClient {
  const serverModule = context.asAbsolutePath('dist/server.js');
  const serverOptions: ServerOptions = {
    run: { module: serverModule, transport: TransportKind.ipc },
    debug: { module: serverModule, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6009'] } },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector,
    synchronize: { configurationSection: settingsSection },
    outputChannel,
  };
  // The id makes vscode-languageclient read `livepatch.trace.server` for message tracing.
  return new LanguageClient(clientId, clientName, serverOptions, clientOptions);
}

async function showKernelModelInfo(): Promise<void> {
  if (!client?.isRunning()) {
    void vscode.window.showWarningMessage('Livepatch: the language server is not running.');
    return;
  }
  const info = await client.sendRequest(KernelModelInfoRequest);
  if (!info) {
    void vscode.window.showWarningMessage('Livepatch: the language server has no kernel model yet.');
    return;
  }
  const summary = `Kernel model ${info.release} (${info.architecture}) from ${info.source}: ${info.objectCount} objects, ${info.symbolCount} symbols.`;
  if (info.loadErrors.length > 0) {
    void vscode.window.showWarningMessage(`${summary} The configured model "${info.configuredPath}" is not in use: ${info.loadErrors[0]}`);
  } else {
    void vscode.window.showInformationMessage(summary);
  }
}

export async function activate(context: vscode.ExtensionContext): Promise<LivepatchExtensionApi> {
  const outputChannel = vscode.window.createOutputChannel(clientName);
  context.subscriptions.push(outputChannel);
  client = createClient(context, outputChannel);
  const currentClient = () => client;

  const statusBar = new KernelModelStatusBar();
  const simulations = new SimulationRunner(currentClient);
  const tree = new LivepatchTreeProvider(currentClient);
  context.subscriptions.push(
    statusBar,
    statusBar.attach(client),
    simulations,
    tree,
    vscode.window.createTreeView(livepatchTreeViewId, { treeDataProvider: tree, showCollapseAll: true }),
    client.onDidChangeState(() => tree.refresh()),
  );
  void vscode.commands.executeCommand('setContext', 'livepatch.active', true);

  context.subscriptions.push(
    vscode.commands.registerCommand('livepatch.restartServer', async () => {
      if (client) await client.restart();
    }),
    vscode.commands.registerCommand('livepatch.showOutput', () => outputChannel.show(true)),
    vscode.commands.registerCommand('livepatch.showKernelModelInfo', showKernelModelInfo),
    vscode.commands.registerCommand('livepatch.runSimulation', (argument?: unknown) => simulations.run(argument)),
    vscode.commands.registerCommand('livepatch.selectKernelModel', selectKernelModel),
    vscode.commands.registerCommand('livepatch.captureKernelModel', captureKernelModel),
    vscode.commands.registerCommand('livepatch.refreshTree', () => tree.refresh()),
  );

  await client.start();
  return { client: currentClient, runSimulation: (source) => simulations.run(source), simulationOutput: simulations.output };
}

export async function deactivate(): Promise<void> {
  const running = client;
  client = undefined;
  if (running) await running.stop();
}
