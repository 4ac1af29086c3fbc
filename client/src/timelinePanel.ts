/**
 * The "Livepatch Timeline" webview panel: shows the timeline of the last simulation run (one
 * panel, reused), and opens the source line of an event the user clicks — only lines the
 * timeline itself links to. Layout and page live in timelineModel.ts and timelineHtml.ts. The
 * page saves the laid-out model (timelineState.ts), and `restore` (the panel serializer's) draws
 * it again after a window reload.
 */
import * as vscode from 'vscode';
import type { RunSimulationResult } from '../../server/src/protocol/messages';
import { newNonce, renderTimelineHtml, timelineTitle } from './timelineHtml';
import { AllowedLocations, type OpenRequest } from './timelineMessages';
import { buildTimeline, timelineLocations, type TimelineModel } from './timelineModel';
import { restoreTimelineModel, timelineState, unrestorableTimeline } from './timelineState';

export const timelineViewType = 'livepatch.timeline';

/** Where the page's stylesheet and the codicons are in the extension (copied by scripts/build.mjs). */
const mediaFolder = ['dist', 'media'];

export class TimelinePanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private last: TimelineModel | undefined;
  private allowed = new AllowedLocations([]);

  constructor(private readonly extensionUri: vscode.Uri) {}

  /** Whether a run has been shown (the command reopens it). */
  get hasRun(): boolean {
    return this.last !== undefined;
  }

  private get media(): vscode.Uri {
    return vscode.Uri.joinPath(this.extensionUri, ...mediaFolder);
  }

  /** Shows a run's timeline, opening the panel beside the editor if it is not open. */
  show(result: RunSimulationResult): void {
    this.showModel(buildTimeline(result));
  }

  private showModel(model: TimelineModel): void {
    if (!this.panel) {
      this.adopt(
        vscode.window.createWebviewPanel(
          timelineViewType,
          timelineTitle,
          { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
          { enableScripts: true, localResourceRoots: [this.media] },
        ),
      );
    } else {
      this.panel.reveal(undefined, true);
    }
    this.render(model);
  }

  /**
   * The panel serializer's part: a timeline panel VS Code brings back after a window reload,
   * drawn again from the state its page saved (or a note that it could not be, for a state
   * from another version or one that is not a timeline).
   */
  restore(panel: vscode.WebviewPanel, state: unknown): void {
    // One timeline panel: a second restored one (two windows' worth of state) replaces the first.
    if (this.panel && this.panel !== panel) this.panel.dispose();
    panel.webview.options = { enableScripts: true, localResourceRoots: [this.media] };
    this.adopt(panel);
    const model = restoreTimelineModel(state);
    if (model) this.render(model);
    else this.render(unrestorableTimeline(), false);
  }

  private adopt(panel: vscode.WebviewPanel): void {
    this.panel = panel;
    panel.onDidDispose(() => {
      if (this.panel === panel) this.panel = undefined;
    });
    panel.webview.onDidReceiveMessage((message: unknown) => {
      const request = this.allowed.openRequestOf(message);
      if (request) void this.open(request);
    });
  }

  /** `remember`: whether "Show Simulation Timeline" shows this model again (not the note). */
  private render(model: TimelineModel, remember = true): void {
    if (!this.panel) return;
    if (remember) this.last = model;
    this.allowed = new AllowedLocations(timelineLocations(model));
    const webview = this.panel.webview;
    webview.html = renderTimelineHtml(model, {
      cspSource: webview.cspSource,
      nonce: newNonce(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(this.media, 'timeline.css')).toString(),
      codiconsUri: webview.asWebviewUri(vscode.Uri.joinPath(this.media, 'codicon.css')).toString(),
      state: timelineState(model),
    });
  }

  /** "Livepatch: Show Simulation Timeline": the last run again; false when there was none. */
  reopen(): boolean {
    if (!this.last) return false;
    this.showModel(this.last);
    return true;
  }

  private async open(request: OpenRequest): Promise<void> {
    try {
      const document = await vscode.workspace.openTextDocument(vscode.Uri.parse(request.uri));
      const line = document.lineAt(Math.min(request.line, document.lineCount - 1));
      const start = line.range.start.translate(0, line.firstNonWhitespaceCharacterIndex);
      // Beside the timeline, not over it: the panel stays in view while the user reads the code.
      const viewColumn = this.panel?.viewColumn === vscode.ViewColumn.One ? vscode.ViewColumn.Two : vscode.ViewColumn.One;
      await vscode.window.showTextDocument(document, { viewColumn, selection: new vscode.Range(start, line.range.end) });
    } catch (error) {
      void vscode.window.showWarningMessage(`Livepatch: cannot open ${request.uri}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  dispose(): void {
    this.panel?.dispose();
    this.panel = undefined;
  }
}
