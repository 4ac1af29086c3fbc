/**
 * Quick fixes (`textDocument/codeAction`, kind `quickfix`) for the findings of a document, and
 * what the checks across patches behind most of them need from the server: the settings
 * `livepatch.series` (the order of the patch series) and `livepatch.policy` (what counts as an
 * error across patches), and re-publication of the other patches' diagnostics when one patch
 * changes (a predecessor's edit changes its successors' findings).
 *
 * Fixes are computed from the analyzer's current text and findings only: the diagnostics a
 * client sends back may be from an older version, so they are matched against current findings
 * and never used to compute anything. Every edit is a `TextDocumentEdit` carrying the version
 * it was computed for, so a client applying it to a newer text refuses it instead of
 * corrupting the file.
 */
import {
  CodeActionKind,
  TextDocumentEdit,
  TextEdit,
  type CodeAction,
  type CodeActionParams,
  type Diagnostic,
  type ServerCapabilities,
} from 'vscode-languageserver';
import type { Finding } from '../../checks/types';
import { fixesFor, type FileEdit, type Fix } from '../../fixes/index';
import type { Range } from '../../model/location';
import type { LivepatchSettings } from '../../protocol/settings';
import type { ServerContext } from '../context';
import { toDiagnostic } from '../convert';
import { yieldToEventLoop } from '../diagnosticsPublisher';
import { resolveModelPath } from './configuration';

function before(a: Range['start'], b: Range['start']): boolean {
  return a.line < b.line || (a.line === b.line && a.character < b.character);
}

/** Whether two ranges touch (an empty request range at a diagnostic's edge counts). */
function touches(a: Range, b: Range): boolean {
  return !before(a.end, b.start) && !before(b.end, a.start);
}

function sameRange(a: Range, b: Range): boolean {
  return a.start.line === b.start.line && a.start.character === b.start.character && a.end.line === b.end.line && a.end.character === b.end.character;
}

/** Entries that look like paths are resolved like `livepatch.kernelModel`; bare module names stay. */
function seriesEntries(settings: LivepatchSettings, workspaceFolders: readonly string[]): string[] | undefined {
  if (settings.series.length === 0) return undefined;
  return settings.series.map((entry) => (/[/\\]|\.c$|^~|\$\{/.test(entry.trim()) ? resolveModelPath(entry, workspaceFolders) : entry.trim()));
}

export function register(context: ServerContext): ServerCapabilities {
  const { connection, log } = context;
  let warnedUnversioned = false;

  context.onSettingsChanged(({ previous, current }) => {
    const seriesChanged = JSON.stringify(previous?.series ?? []) !== JSON.stringify(current.series);
    const policyChanged = (previous?.policy.refuseConflicts ?? false) !== current.policy.refuseConflicts;
    if (!seriesChanged && !policyChanged) return;
    context.analyzer.setSeries(seriesEntries(current, context.workspaceFolders));
    context.analyzer.setPolicy({ refuseConflicts: current.policy.refuseConflicts });
    void context.diagnostics.republishAll();
    if (seriesChanged) context.refreshCodeLenses();
  });

  // An edit in one patch changes the findings of the others (series, stacking): after the same
  // debounce as the edited document, refresh the other reported files of livepatch modules.
  let pending: NodeJS.Timeout | undefined;
  let generation = 0;
  async function refreshOtherPatches(changed: string): Promise<void> {
    const current = ++generation;
    const own = new Set(context.analyzer.moduleOf(changed)?.files ?? [changed]);
    for (const module of context.analyzer.modules()) {
      if (!module.isLivepatch) continue;
      for (const path of module.files) {
        if (current !== generation) return;
        if (own.has(path) || !context.diagnostics.isReported(path)) continue;
        context.diagnostics.refresh(path);
        await yieldToEventLoop();
      }
    }
  }
  const schedule = (document: { path: string }) => {
    clearTimeout(pending);
    pending = setTimeout(
      context.safe('diagnostics of the other patches', undefined, () => {
        pending = undefined;
        return refreshOtherPatches(document.path);
      }),
      context.settings.diagnostics.debounceMs,
    );
  };
  context.documents.onDidChange(schedule);
  context.documents.onDidClose(schedule);
  context.onShutdown(() => clearTimeout(pending));

  /** The version a file's edits are computed for: the open document's, else null (the file on disk). */
  function versionOf(path: string): number | null {
    return context.documents.get(path)?.document.version ?? null;
  }

  function toAction(fix: Fix, diagnostic: Diagnostic): CodeAction {
    const byFile = new Map<string, FileEdit[]>();
    for (const edit of fix.edits) byFile.set(edit.file, [...(byFile.get(edit.file) ?? []), edit]);
    const documentChanges = [...byFile].map(([path, edits]) =>
      TextDocumentEdit.create(
        { uri: context.documents.uriOf(path), version: versionOf(path) },
        edits.map((edit) => TextEdit.replace(edit.range, edit.newText)),
      ),
    );
    const action: CodeAction = { title: fix.title, kind: CodeActionKind.QuickFix, diagnostics: [diagnostic], edit: { documentChanges } };
    if (fix.isPreferred) action.isPreferred = true;
    return action;
  }

  connection.onCodeAction(
    context.safe('textDocument/codeAction', [] as CodeAction[], (params: CodeActionParams): CodeAction[] => {
      const only = params.context?.only;
      if (only && !only.some((kind) => CodeActionKind.QuickFix === kind || CodeActionKind.QuickFix.startsWith(`${kind}.`))) return [];
      const open = context.documents.getByUri(params.textDocument.uri);
      if (!open) return [];
      if (context.clientCapabilities.workspace?.workspaceEdit?.documentChanges === false) {
        // Without versioned edits a fix computed for one text could land on another.
        if (!warnedUnversioned) log.warning('the client cannot apply versioned document edits: no quick fixes are offered');
        warnedUnversioned = true;
        return [];
      }
      const { analyzer } = context;
      if (analyzer.textOf(open.path) !== open.document.getText()) {
        log.error(`code actions for ${open.uri}: the analyzer's text differs from version ${open.document.version}; no fixes offered`);
        return [];
      }
      const analysis = analyzer.analyze(open.path);
      if (!analysis.module) return [];
      const fixContext = { module: analysis.module, modules: analyzer.modules(), textOf: (path: string) => analyzer.textOf(path) };
      const uriOf = (path: string) => context.documents.uriOf(path);
      const actions: CodeAction[] = [];
      // A client that sends no range (some do, against the protocol) asks about the whole document.
      const range: Range | undefined = params.range?.start && params.range.end ? params.range : undefined;
      const wanted = (finding: Finding) => finding.location.file === open.path && (!range || touches(finding.location.range, range));
      for (const finding of analysis.findings.filter(wanted)) {
        const fixes = fixesFor(finding, fixContext);
        if (fixes.length === 0) continue;
        const sent = (params.context?.diagnostics ?? []).find(
          (diagnostic) => diagnostic.code === finding.code && diagnostic.range !== undefined && sameRange(diagnostic.range, finding.location.range),
        );
        const diagnostic = sent ?? toDiagnostic(finding, uriOf);
        for (const fix of fixes) actions.push(toAction(fix, diagnostic));
      }
      return actions;
    }),
  );

  return { codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] } };
}
