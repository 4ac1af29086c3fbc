/**
 * One pending timer per document path: a new edit replaces the previous timer, open/close cancel
 * it, and shutdown clears them all. Diagnostics and the scenario features debounce edits this way.
 */
export class PathDebouncer {
  private readonly pending = new Map<string, NodeJS.Timeout>();

  constructor(private readonly delayMs: () => number) {}

  /** Runs `run` after the delay unless another schedule or a cancel for `path` comes first. */
  schedule(path: string, run: () => void): void {
    this.cancel(path);
    this.pending.set(
      path,
      setTimeout(() => {
        this.pending.delete(path);
        run();
      }, this.delayMs()),
    );
  }

  cancel(path: string): void {
    clearTimeout(this.pending.get(path));
    this.pending.delete(path);
  }

  dispose(): void {
    for (const timer of this.pending.values()) clearTimeout(timer);
    this.pending.clear();
  }
}
