/**
 * Background diagnostics for the whole workspace: after settings are known, walk the workspace
 * folders (bounded by `livepatch.index.maxFiles`), give the analyzer every file at once so it can
 * group modules (it parses them in worker threads: this thread only receives their facts), then
 * analyse and publish the sources that are not open, one per event-loop turn, with
 * `window/workDoneProgress` progress the user can cancel. Never part of start-up: the server
 * answers requests while this runs. A new pass (settings or folders changed) cancels the running
 * one. Files changed on disk are re-read through `workspace/didChangeWatchedFiles`; a changed
 * `livepatch.series` file re-publishes every reported file. When the pass ends, the open
 * documents are published again: they were analysed before the rest of the workspace was known.
 */
import { basename } from 'node:path';
import {
  DidChangeWatchedFilesNotification,
  FileChangeType,
  type ServerCapabilities,
} from 'vscode-languageserver';
import { seriesFileName } from '../../checks/series';
import type { ServerContext } from '../context';
import { yieldToEventLoop } from '../diagnosticsPublisher';
import { isFileUri, pathFromUri } from '../uris';
import { collectWorkspaceFiles, isSourceFile, isWorkspaceFile } from '../workspaceFiles';
import { patchedFuncsFileName } from '../../layouts/patchedFuncsCsv';

interface Pass {
  cancelled: boolean;
  /** Stops the batch of files the analyzer is reading for this pass. */
  reading: AbortController;
}

export function register(context: ServerContext): ServerCapabilities {
  const { connection, log } = context;
  let current: Pass | undefined;

  async function run(pass: Pass): Promise<void> {
    const progress = await connection.window.createWorkDoneProgress();
    const stopped = () => pass.cancelled || progress.token.isCancellationRequested;
    const cancelled = progress.token.onCancellationRequested(() => pass.reading.abort());
    progress.begin('Livepatch', 0, 'Collecting workspace files', true);
    try {
      const started = Date.now();
      const { maxFiles } = context.settings.index;
      const walk = await collectWorkspaceFiles(context.workspaceFolders, maxFiles, stopped);
      for (const folder of walk.unreadable) log.warning(`cannot read folder ${folder}`);
      if (walk.capped) {
        log.warning(`workspace walk stopped at ${maxFiles} files (livepatch.index.maxFiles); files beyond are not analysed`);
      }
      // Every file is known before any is analysed, so modules are grouped from all build files.
      // The files are parsed in worker threads (or here, one per event-loop turn, when no worker
      // can run): requests are answered meanwhile. Reading is the first half of the progress.
      if (stopped()) return;
      let lastPercentage = -1;
      const report = (percentage: number, message: string) => {
        if (percentage === lastPercentage) return;
        lastPercentage = percentage;
        progress.report(percentage, message);
      };
      const read = await context.analyzer.addFiles(walk.files, {
        signal: pass.reading.signal,
        onProgress: (done, total) => report(Math.floor((done * 50) / total), `reading ${done}/${total} files`),
      });
      if (read.cancelled || stopped()) {
        log.info('workspace analysis cancelled');
        return;
      }

      const sources = walk.files.filter(isSourceFile);
      for (const [index, path] of sources.entries()) {
        if (stopped()) {
          log.info('workspace analysis cancelled');
          return;
        }
        context.diagnostics.addBackgroundFile(path);
        // Open documents are published by the open-document path with their version.
        if (!context.documents.isOpen(path)) {
          try {
            context.diagnostics.refresh(path);
          } catch (error) {
            log.error(`analysis of ${path} failed: ${String(error)}`);
          }
        }
        report(50 + Math.floor(((index + 1) * 50) / sources.length), `${index + 1}/${sources.length} files`);
        await yieldToEventLoop();
      }
      log.info(`analysed ${sources.length} workspace files in ${Date.now() - started} ms`);
      // Lenses drawn before the pass knew the other patches list too few of them.
      context.refreshCodeLenses();
      // Open documents were published before this pass knew the rest of the workspace: their
      // findings across patches (a predecessor, a stacked patch) depend on files only it read.
      for (const document of context.documents.all()) {
        if (stopped()) return;
        try {
          context.diagnostics.refresh(document.path);
        } catch (error) {
          log.error(`analysis of ${document.path} failed: ${String(error)}`);
        }
        await yieldToEventLoop();
      }
    } finally {
      cancelled.dispose();
      progress.done();
    }
  }

  function stop(pass: Pass | undefined): void {
    if (!pass) return;
    pass.cancelled = true;
    pass.reading.abort();
  }

  function restart(): void {
    stop(current);
    current = undefined;
    if (!context.settings.diagnostics.workspace) {
      context.diagnostics.clearBackgroundFiles();
      return;
    }
    if (context.workspaceFolders.length === 0) return;
    const pass: Pass = { cancelled: false, reading: new AbortController() };
    current = pass;
    // Not awaited: the pass runs alongside requests.
    void context.safe('workspace analysis', undefined, () => run(pass))();
  }

  context.onSettingsChanged(({ previous, current: settings }) => {
    if (
      previous === undefined ||
      previous.index.maxFiles !== settings.index.maxFiles ||
      previous.diagnostics.workspace !== settings.diagnostics.workspace
    ) {
      restart();
    }
  });

  context.onInitialized(
    context.safe('workspace watchers', undefined, async () => {
      const capabilities = context.clientCapabilities.workspace;
      if (capabilities?.workspaceFolders) {
        connection.workspace.onDidChangeWorkspaceFolders(
          context.safe('workspace folders change', undefined, (event) => {
            const removed = new Set(event.removed.filter((folder) => isFileUri(folder.uri)).map((folder) => pathFromUri(folder.uri)));
            const added = event.added.filter((folder) => isFileUri(folder.uri)).map((folder) => pathFromUri(folder.uri));
            context.workspaceFolders = [...context.workspaceFolders.filter((folder) => !removed.has(folder)), ...added];
            context.diagnostics.clearBackgroundFiles();
            restart();
          }),
        );
      }
      if (capabilities?.didChangeWatchedFiles?.dynamicRegistration) {
        await connection.client.register(DidChangeWatchedFilesNotification.type, {
          watchers: [{ globPattern: '**/*.{c,h}' }, { globPattern: '**/Kbuild' }, { globPattern: '**/Makefile' }, { globPattern: `**/${seriesFileName}` }, { globPattern: `**/${patchedFuncsFileName}` }],
        });
      }
    }),
  );

  connection.onDidChangeWatchedFiles(
    context.safe('workspace/didChangeWatchedFiles', undefined, ({ changes }) => {
      let seriesChanged = false;
      let filesChanged = false;
      for (const change of changes) {
        if (!isFileUri(change.uri)) continue;
        const path = pathFromUri(change.uri);
        if (basename(path) === seriesFileName) {
          seriesChanged = true;
          continue;
        }
        if (!isWorkspaceFile(basename(path)) || context.documents.isOpen(path)) continue;
        filesChanged = true;
        if (change.type === FileChangeType.Deleted) {
          context.analyzer.removeFile(path);
          context.diagnostics.removeBackgroundFile(path);
          context.diagnostics.clear(path);
          continue;
        }
        context.analyzer.addFile(path);
        if (isSourceFile(path) && context.settings.diagnostics.workspace) context.diagnostics.addBackgroundFile(path);
        if (isSourceFile(path)) context.diagnostics.refreshWithModule(path);
      }
      // A series file orders every patch it lists (and may start or stop ordering some): every
      // reported file is analysed again.
      if (seriesChanged || filesChanged) context.refreshCodeLenses();
      if (seriesChanged) {
        context.analyzer.seriesFilesChanged();
        void context.diagnostics.republishAll();
      } else if (filesChanged) {
        // Another patch of a series came, went or changed on disk: the open patches' findings
        // across patches depend on it.
        for (const document of context.documents.all()) {
          try {
            context.diagnostics.refresh(document.path);
          } catch (error) {
            log.error(`analysis of ${document.path} failed: ${String(error)}`);
          }
        }
      }
    }),
  );

  context.onShutdown(() => stop(current));

  return { workspace: { workspaceFolders: { supported: true, changeNotifications: true } } };
}

