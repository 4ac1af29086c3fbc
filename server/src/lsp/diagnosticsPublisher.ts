/**
 * Publishes the findings of files: open documents, and files the background pass of the
 * workspace took on. Features decide when to publish; this class decides what (the analyzer's
 * findings for that file) and remembers what it published, so it can clear it again.
 */
import type { Diagnostic } from 'vscode-languageserver';
import type { FileAnalysis } from '../analysis/analyzer';
import type { ServerContext } from './context';
import { toDiagnostic } from './convert';

/** Lets the event loop run between two files, so requests are answered during long passes. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export class DiagnosticsPublisher {
  /** Files whose diagnostics the client currently holds (possibly an empty list). */
  private readonly published = new Set<string>();
  /** Files that are reported although not open (filled by the workspace pass). */
  private readonly background = new Set<string>();
  /** Bumped by every republishAll so that an older pass stops. */
  private republishGeneration = 0;

  constructor(private readonly context: ServerContext) {}

  /** Whether the client should hold diagnostics for this file. */
  isReported(path: string): boolean {
    return this.context.documents.isOpen(path) || this.background.has(path);
  }

  addBackgroundFile(path: string): void {
    this.background.add(path);
  }

  removeBackgroundFile(path: string): void {
    this.background.delete(path);
  }

  isBackgroundFile(path: string): boolean {
    return this.background.has(path);
  }

  /** Forget every background file; their diagnostics are cleared unless they are open. */
  clearBackgroundFiles(): void {
    const paths = [...this.background];
    this.background.clear();
    for (const path of paths) if (!this.context.documents.isOpen(path)) this.clear(path);
  }

  /**
   * Analyse one file and send its diagnostics when it is reported, or clear what the client
   * holds when it is not. Returns the analysis (undefined when the analyzer failed).
   */
  refresh(path: string): FileAnalysis | undefined {
    const { context } = this;
    let analysis: FileAnalysis;
    try {
      analysis = context.analyzer.analyze(path);
    } catch (error) {
      // A failing analysis must not leave stale diagnostics that look current.
      if (this.isReported(path)) this.send(path, []);
      else this.clear(path);
      throw error;
    }
    if (!this.isReported(path)) {
      this.clear(path);
      return analysis;
    }
    const uriOf = (file: string) => context.documents.uriOf(file);
    const diagnostics = analysis.findings
      .filter((finding) => finding.location === undefined || finding.location.file === path)
      .map((finding) => toDiagnostic(finding, uriOf));
    this.send(path, diagnostics);
    return analysis;
  }

  private send(path: string, diagnostics: Diagnostic[]): void {
    const open = this.context.documents.get(path);
    void this.context.connection.sendDiagnostics({ uri: this.context.documents.uriOf(path), version: open?.document.version, diagnostics });
    this.published.add(path);
  }

  /**
   * Refresh a file and then the other files of its module that the client holds diagnostics
   * for: an edit in one file of a multi-file module can change what is reported in the others.
   */
  refreshWithModule(path: string): void {
    const analysis = this.refresh(path);
    for (const other of analysis?.module?.files ?? []) {
      if (other === path || !this.isReported(other)) continue;
      try {
        this.refresh(other);
      } catch (error) {
        this.context.log.error(`analysis of ${other} failed: ${String(error)}`);
      }
    }
  }

  clear(path: string): void {
    if (!this.published.delete(path)) return;
    void this.context.connection.sendDiagnostics({ uri: this.context.documents.uriOf(path), diagnostics: [] });
  }

  /**
   * Re-analyse every reported file (after the kernel model changed), yielding between files.
   * A newer call supersedes a running one.
   */
  async republishAll(): Promise<void> {
    const generation = ++this.republishGeneration;
    const open = this.context.documents.all().map((document) => document.path);
    const paths = [...new Set([...open, ...this.background])];
    for (const path of paths) {
      if (generation !== this.republishGeneration) return;
      try {
        this.refresh(path);
      } catch (error) {
        this.context.log.error(`analysis of ${path} failed: ${String(error)}`);
      }
      await yieldToEventLoop();
    }
  }
}
