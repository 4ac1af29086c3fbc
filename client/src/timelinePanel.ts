/**
 * The "Livepatch Timeline" webview panel: shows the timeline of the last simulation run (one
 * panel, reused), and opens the source line of an event the user clicks — only lines the
 * timeline itself links to. Layout and page live in timelineModel.ts and timelineHtml.ts.
 */
import * as vscode from 'vscode';
import type { RunSimulationResult } from '../../server/src/protocol/messages';
import { newNonce, renderTimelineHtml, timelineTitle } from './timelineHtml';
import { AllowedLocations, type OpenRequest } from './timelineMessages';
import { buildTimeline, timelineLocations } from './timelineModel';

export const timelineViewType = 'livepatch.timeline';

/** Where the page's stylesheet and the codicons are in the extension (copied by scripts/build.mjs). */
const mediaFolder = ['dist', 'media'];

export class TimelinePanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private last: RunSimulationResult | undefined;
  private allowed = new AllowedLocations([]);

  constructor(private readonly extensionUri: vscode.Uri) {}

  /** Whether a run has been shown (the command reopens it). */
  get hasRun(): boolean {
    return this.last !== undefined;
  }

  /** Shows a run's timeline, opening the panel beside the editor if it is not open. */
  show(result: RunSimulationResult): void {
    this.last = result;
    const media = vscode.Uri.joinPath(this.extensionUri, ...mediaFolder);
    if (!this.panel) {
      this.panel = vscode.window.createWebviewPanel(
        timelineViewType,
        timelineTitle,
        { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
        { enableScripts: true, localResourceRoots: [media] },
      );
      this.panel.onDidDispose(() => (this.panel = undefined));
      this.panel.webview.onDidReceiveMessage((message: unknown) => {
        const request = this.allowed.openRequestOf(message);
        if (request) void this.open(request);
      });
    } else {
      this.panel.reveal(undefined, true);
    }
    const model = buildTimeline(result);
    this.allowed = new AllowedLocations(timelineLocations(model));
    const webview = this.panel.webview;
    webview.html = renderTimelineHtml(model, {
      cspSource: webview.cspSource,
      nonce: newNonce(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(media, 'timeline.css')).toString(),
      codiconsUri: webview.asWebviewUri(vscode.Uri.joinPath(media, 'codicon.css')).toString(),
    });
  }

  /** "Livepatch: Show Simulation Timeline": the last run again; false when there was none. */
  reopen(): boolean {
    if (!this.last) return false;
    this.show(this.last);
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
