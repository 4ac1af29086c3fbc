/**
 * The "Livepatch" tree view: a TreeDataProvider over `livepatch/patches`, refreshed when C
 * sources change or are saved, when the server (re)starts, on the view's refresh button, and
 * when the series order may have changed (it lists patches in the order the checks use: the
 * `livepatch.series` setting, an opened or edited `.klpsim`, a simulation run).
 * Clicking a node opens its source at the construct.
 */
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { LivepatchPatchesRequest } from '../../server/src/protocol/messages';
import { treeNodes, type TreeNode } from './treeNodes';

/** Id of the view in package.json `contributes.views`. */
export const livepatchTreeViewId = 'livepatch.patches';

const refreshDelayMs = 800;

export class LivepatchTreeProvider implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<TreeNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private roots: TreeNode[] | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(private readonly client: () => LanguageClient | undefined) {
    const isSource = (document: vscode.TextDocument) => document.languageId === 'c' || (document.languageId === 'cpp' && document.fileName.endsWith('.h'));
    this.subscriptions.push(
      vscode.workspace.onDidChangeTextDocument((event) => {
        if (isSource(event.document) && event.contentChanges.length > 0) this.scheduleRefresh();
      }),
      vscode.workspace.onDidSaveTextDocument((document) => {
        if (isSource(document)) this.scheduleRefresh();
      }),
      // A scenario's load order can be the series order.
      vscode.workspace.onDidOpenTextDocument((document) => {
        if (document.languageId === 'klpsim') this.scheduleRefresh();
      }),
      vscode.workspace.onDidChangeTextDocument((event) => {
        if (event.document.languageId === 'klpsim' && event.contentChanges.length > 0) this.scheduleRefresh();
      }),
      vscode.workspace.onDidCloseTextDocument((document) => {
        if (document.languageId === 'klpsim') this.scheduleRefresh();
      }),
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (event.affectsConfiguration('livepatch.series')) this.scheduleRefresh();
      }),
    );
  }

  /** Ask the server again after a short pause (edits come in bursts). */
  scheduleRefresh(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.refresh(), refreshDelayMs);
  }

  refresh(): void {
    clearTimeout(this.timer);
    this.roots = undefined;
    this.changed.fire(undefined);
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    const item = new vscode.TreeItem(
      node.label,
      node.children.length === 0
        ? vscode.TreeItemCollapsibleState.None
        : node.id.split('/').length <= 2
          ? vscode.TreeItemCollapsibleState.Expanded
          : vscode.TreeItemCollapsibleState.Collapsed,
    );
    item.id = node.id;
    item.description = node.description;
    item.tooltip = node.tooltip;
    item.iconPath = new vscode.ThemeIcon(node.icon);
    // Patches get the inline "Run Simulation" action (package.json view/item/context).
    if (node.scenario) item.contextValue = 'livepatch.patch';
    if (node.location) {
      const { start, end } = node.location.range;
      const selection = new vscode.Range(start.line, start.character, end.line, end.character);
      item.command = { title: 'Open', command: 'vscode.open', arguments: [vscode.Uri.parse(node.location.uri), { selection, preserveFocus: true }] };
    }
    return item;
  }

  async getChildren(node?: TreeNode): Promise<TreeNode[]> {
    if (node) return node.children;
    if (!this.roots) {
      const client = this.client();
      if (!client?.isRunning()) return [];
      try {
        this.roots = treeNodes(await client.sendRequest(LivepatchPatchesRequest));
      } catch {
        return [];
      }
    }
    return this.roots;
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.changed.dispose();
    for (const subscription of this.subscriptions) subscription.dispose();
  }
}
