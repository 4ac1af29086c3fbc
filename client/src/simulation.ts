/**
 * "Livepatch: Run Simulation": picks a scenario (a `.klpsim` file of the workspace, or the
 * generated default scenario; with no file, the default at once), saves the sources the
 * simulator reads from disk, sends `livepatch/runSimulation` with a work-done token whose
 * progress shows in a cancellable notification, writes the transcript to the "Livepatch
 * Simulation" output channel and puts the findings in a diagnostic collection of their own
 * ("livepatch-sim"), kept until the next run or until the file they point into is edited, and
 * shows the run's timeline in the "Livepatch Timeline" panel.
 */
import { randomUUID } from 'node:crypto';
import { basename } from 'node:path';
import * as vscode from 'vscode';
import { WorkDoneProgress, type LanguageClient } from 'vscode-languageclient/node';
import { RunSimulationRequest, type RunSimulationResult, type ScenarioSource } from '../../server/src/protocol/messages';
import { formatSimulationReport, resultHeadline, scenarioOfArgument } from './simulationText';
import type { TimelinePanel } from './timelinePanel';

/** Name of the output channel with the transcripts. */
export const simulationChannelName = 'Livepatch Simulation';

/** Most `.klpsim` files offered in the picker. */
const maxScenarioFiles = 200;

function isModuleSource(document: vscode.TextDocument): boolean {
  const name = basename(document.fileName);
  return document.languageId === 'c' || /\.[ch]$/.test(name) || name === 'Kbuild' || name === 'Makefile';
}

export class SimulationRunner implements vscode.Disposable {
  readonly output = vscode.window.createOutputChannel(simulationChannelName);
  readonly diagnostics = vscode.languages.createDiagnosticCollection('livepatch-sim');
  private running: vscode.CancellationTokenSource | undefined;
  private readonly subscriptions: vscode.Disposable[] = [];

  /** `timeline`: where each run's timeline is shown (absent: output channel and diagnostics only). */
  constructor(
    private readonly client: () => LanguageClient | undefined,
    private readonly timeline?: TimelinePanel,
  ) {
    // A finding points at a line as it was when the simulation ran: an edit makes it stale.
    this.subscriptions.push(
      vscode.workspace.onDidChangeTextDocument((event) => {
        if (event.contentChanges.length > 0 && this.diagnostics.has(event.document.uri)) this.diagnostics.delete(event.document.uri);
      }),
    );
  }

  /** The scenario the user picks; undefined when they dismiss the picker. */
  async pickScenario(): Promise<ScenarioSource | undefined> {
    const files = await vscode.workspace.findFiles('**/*.klpsim', '**/node_modules/**', maxScenarioFiles);
    if (files.length === 0) return { kind: 'default' };
    const active = vscode.window.activeTextEditor?.document.uri.toString();
    files.sort((a, b) => Number(b.toString() === active) - Number(a.toString() === active) || a.fsPath.localeCompare(b.fsPath));
    const items: (vscode.QuickPickItem & { source: ScenarioSource })[] = files.map((uri) => ({
      label: `$(play) ${basename(uri.fsPath)}`,
      description: vscode.workspace.asRelativePath(uri),
      source: { kind: 'file', uri: uri.toString() },
    }));
    items.push({
      label: '$(wand) Default scenario',
      description: 'generated',
      detail: 'Load the livepatch modules of the workspace in series order, then disable and remove them',
      source: { kind: 'default' },
    });
    const picked = await vscode.window.showQuickPick(items, { title: 'Livepatch: Run Simulation', placeHolder: 'Scenario to simulate' });
    return picked?.source;
  }

  /**
   * Runs a simulation. `argument` is what the command received: a ScenarioSource (code lenses),
   * a tree node with one (the Livepatch view), a Uri (editor title, explorer), or nothing (the
   * picker decides). Resolves with the result,
   * or undefined when nothing ran (dismissed, cancelled, failed — the user was told).
   */
  async run(argument?: unknown): Promise<RunSimulationResult | undefined> {
    const client = this.client();
    if (!client?.isRunning()) {
      void vscode.window.showWarningMessage('Livepatch: the language server is not running.');
      return undefined;
    }
    const source: ScenarioSource | undefined = scenarioOfArgument(argument)
      ?? (argument instanceof vscode.Uri
        ? { kind: 'file', uri: argument.toString() }
        : await this.pickScenario());
    if (!source) return undefined;

    // The simulator compiles modules from disk; an open scenario is sent with its unsaved text.
    await Promise.all(vscode.workspace.textDocuments.filter((document) => document.isDirty && isModuleSource(document)).map((document) => document.save()));

    this.running?.cancel();
    const cancellation = new vscode.CancellationTokenSource();
    this.running = cancellation;
    const startedAt = new Date();
    try {
      const result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: 'Livepatch simulation', cancellable: true },
        async (progress, token) => {
          token.onCancellationRequested(() => cancellation.cancel());
          const workDoneToken = randomUUID();
          const listener = client.onProgress(WorkDoneProgress.type, workDoneToken, (value) => {
            if (value.kind !== 'end' && value.message) progress.report({ message: value.message });
          });
          try {
            return await client.sendRequest(RunSimulationRequest, { scenario: source, workDoneToken }, cancellation.token);
          } finally {
            listener.dispose();
          }
        },
      );
      if (cancellation.token.isCancellationRequested || !result) {
        vscode.window.setStatusBarMessage('Livepatch: simulation cancelled', 5000);
        return undefined;
      }
      await this.show(client, result, startedAt);
      return result;
    } catch (error) {
      if (cancellation.token.isCancellationRequested) {
        vscode.window.setStatusBarMessage('Livepatch: simulation cancelled', 5000);
        return undefined;
      }
      void vscode.window.showErrorMessage(`Livepatch: ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    } finally {
      if (this.running === cancellation) this.running = undefined;
      cancellation.dispose();
    }
  }

  private async show(client: LanguageClient, result: RunSimulationResult, startedAt: Date): Promise<void> {
    this.output.append(formatSimulationReport(result, startedAt));
    this.output.show(true);
    // Only runs that ran have a timeline; a scenario that did not parse has only its errors.
    if (result.inputErrors.length === 0) this.timeline?.show(result);
    this.diagnostics.clear();
    for (const entry of result.diagnostics) {
      this.diagnostics.set(vscode.Uri.parse(entry.uri), await client.protocol2CodeConverter.asDiagnostics(entry.diagnostics));
    }
    const headline = resultHeadline(result);
    if (result.inputErrors.length > 0) void vscode.window.showErrorMessage(`Livepatch: ${headline}`);
    else vscode.window.setStatusBarMessage(`Livepatch: ${headline}`, 10_000);
  }

  dispose(): void {
    this.running?.cancel();
    this.output.dispose();
    this.diagnostics.dispose();
    for (const subscription of this.subscriptions) subscription.dispose();
  }
}
