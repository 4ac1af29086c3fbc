/**
 * The kernel model in the editor: a status bar item showing the model in use (release and
 * architecture; a warning when the configured one failed to load), kept current by the server's
 * `livepatch/kernelModelChanged` notification; and the commands "Select Kernel Model" (a file
 * picker writing `livepatch.kernelModel`) and "Capture Kernel Model from this machine".
 */
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { KernelModelChangedNotification, KernelModelInfoRequest, type KernelModelInfo } from '../../server/src/protocol/messages';
import { settingsSection } from '../../server/src/protocol/settings';
import { captureKernelModelAnswer, kernelModelSettingTarget, kernelModelSettingValue, kernelModelStatus } from './kernelModelText';

export class KernelModelStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('livepatch.kernelModel', vscode.StatusBarAlignment.Right, 100);
  /** The last model the server reported (undefined until it did). */
  info: KernelModelInfo | undefined;

  constructor() {
    this.item.name = 'Livepatch Kernel Model';
    this.item.command = 'livepatch.selectKernelModel';
    this.show(undefined);
    this.item.show();
  }

  show(info: KernelModelInfo | undefined): void {
    this.info = info;
    const status = kernelModelStatus(info);
    this.item.text = status.text;
    this.item.tooltip = new vscode.MarkdownString(status.tooltip, true);
    this.item.backgroundColor = status.warning ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
  }

  /** Listens to the server's notifications (registered before start) and asks once it runs. */
  attach(client: LanguageClient): vscode.Disposable {
    const subscription = client.onNotification(KernelModelChangedNotification, (info) => this.show(info));
    const state = client.onDidChangeState(async () => {
      if (!client.isRunning()) return;
      try {
        const info = await client.sendRequest(KernelModelInfoRequest);
        if (info) this.show(info);
      } catch {
        // The notification will tell.
      }
    });
    return vscode.Disposable.from(subscription, state);
  }

  dispose(): void {
    this.item.dispose();
  }
}

export async function selectKernelModel(): Promise<void> {
  const configuration = vscode.workspace.getConfiguration(settingsSection);
  const current = configuration.get<string>('kernelModel', '');
  const picked = await vscode.window.showQuickPick(
    [
      { label: '$(folder-opened) Choose a file…', detail: 'A kernel model JSON (.json, .json.gz) or a System.map / kallsyms listing', action: 'browse' as const },
      { label: '$(package) Embedded default model', detail: 'The model shipped with the extension', action: 'default' as const },
    ],
    { title: 'Livepatch: Select Kernel Model', placeHolder: current ? `In use: ${current}` : 'In use: the embedded default model' },
  );
  if (!picked) return;
  const firstFolder = vscode.workspace.workspaceFolders?.[0]?.uri;
  let value = '';
  if (picked.action === 'browse') {
    const files = await vscode.window.showOpenDialog({
      canSelectMany: false,
      openLabel: 'Use as Kernel Model',
      defaultUri: firstFolder,
      filters: { 'Kernel model or System.map': ['json', 'gz', 'map'], 'All files': ['*'] },
    });
    if (!files || files.length === 0) return;
    value = kernelModelSettingValue(files[0].fsPath, firstFolder?.scheme === 'file' ? firstFolder.fsPath : undefined);
  }
  const target = kernelModelSettingTarget({ trusted: vscode.workspace.isTrusted, hasWorkspaceFolder: firstFolder !== undefined });
  await configuration.update('kernelModel', value, target === 'workspace' ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global);
}

export async function captureKernelModel(): Promise<void> {
  const answer = captureKernelModelAnswer(vscode.workspace.isTrusted);
  if (answer.kind === 'refused') {
    void vscode.window.showWarningMessage(answer.message);
    return;
  }
  const choice = await vscode.window.showInformationMessage(answer.message, 'Select Kernel Model…');
  if (choice) await vscode.commands.executeCommand('livepatch.selectKernelModel');
}
