/**
 * Diagnostics of open documents: incremental text sync, publish at once on open, debounced
 * (`livepatch.diagnostics.debounceMs`) after edits, and re-publication of the other open files of
 * the same module, whose findings an edit here can change.
 */
import { TextDocumentSyncKind, type ServerCapabilities } from 'vscode-languageserver';
import type { ServerContext } from '../context';
import { PathDebouncer } from '../debounce';

export function register(context: ServerContext): ServerCapabilities {
  const pending = new PathDebouncer(() => context.settings.diagnostics.debounceMs);

  context.documents.onDidOpen(
    context.safe('diagnostics on open', undefined, (document) => {
      pending.cancel(document.path);
      context.diagnostics.refreshWithModule(document.path);
    }),
  );

  context.documents.onDidChange((document) => {
    pending.schedule(
      document.path,
      context.safe('diagnostics after change', undefined, () => {
        if (context.documents.isOpen(document.path)) context.diagnostics.refreshWithModule(document.path);
      }),
    );
  });

  // A closed file is analysed from disk again: it keeps diagnostics only when the workspace pass
  // reports it, and the rest of its module now sees the saved text instead of the edited one.
  context.documents.onDidClose(
    context.safe('diagnostics on close', undefined, (document) => {
      pending.cancel(document.path);
      context.diagnostics.refreshWithModule(document.path);
    }),
  );

  context.onKernelModelChanged(
    context.safe('diagnostics after kernel model change', undefined, () => context.diagnostics.republishAll()),
  );

  context.onShutdown(() => pending.dispose());

  return { textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental } };
}
