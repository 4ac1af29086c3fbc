/**
 * The VS Code side: starts the language server bundle (dist/server.js) over node IPC for C
 * documents, forwards the `livepatch` settings, and adds the Livepatch commands.
 */
import * as vscode from 'vscode';
import { LanguageClient, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import { KernelModelInfoRequest } from '../../server/src/protocol/messages';
import { settingsSection } from '../../server/src/protocol/settings';

const clientId = 'livepatch';
const clientName = 'Livepatch Workbench';

let client: LanguageClient | undefined;

function createClient(context: vscode.ExtensionContext, outputChannel: vscode.OutputChannel): LanguageClient {
  const serverModule = context.asAbsolutePath('dist/server.js');
  const serverOptions: ServerOptions = {
    run: { module: serverModule, transport: TransportKind.ipc },
    debug: { module: serverModule, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6009'] } },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ scheme: 'file', language: 'c' }],
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

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const outputChannel = vscode.window.createOutputChannel(clientName);
  context.subscriptions.push(outputChannel);
  client = createClient(context, outputChannel);

  context.subscriptions.push(
    vscode.commands.registerCommand('livepatch.restartServer', async () => {
      if (client) await client.restart();
    }),
    vscode.commands.registerCommand('livepatch.showOutput', () => outputChannel.show(true)),
    vscode.commands.registerCommand('livepatch.showKernelModelInfo', showKernelModelInfo),
  );

  await client.start();
}

export async function deactivate(): Promise<void> {
  const running = client;
  client = undefined;
  if (running) await running.stop();
}
