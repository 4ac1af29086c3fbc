/**
 * One C source: its text, the neutralised text the parser sees, and (for open documents) the one
 * live tree, edited and re-parsed incrementally on each change. Trees are deleted explicitly when
 * replaced or closed: web-tree-sitter memory is not garbage collected.
 */
import { Edit, type Parser, type Tree } from 'web-tree-sitter';
import type { Position } from '../model/location';
import { extractFileFacts, type FileFacts } from '../model/fileFacts';
import { neutralizeAnnotations, neutralizeInitializerDirectives, type Annotation } from './neutralize';

/** Parsing stops after this long; a file that takes longer is reported, not hung on. */
const parseBudgetMs = 3000;

export interface TextEdit {
  range?: { start: Position; end: Position };
  text: string;
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

function offsetAt(starts: number[], text: string, position: Position): number {
  if (position.line >= starts.length) return text.length;
  const lineEnd = position.line + 1 < starts.length ? starts[position.line + 1] - 1 : text.length;
  return Math.min(starts[position.line] + Math.max(0, position.character), lineEnd);
}

function positionAt(starts: number[], offset: number): { row: number; column: number } {
  let low = 0;
  let high = starts.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if (starts[mid] <= offset) low = mid;
    else high = mid - 1;
  }
  return { row: low, column: offset - starts[low] };
}

/** A file that is not C text (NUL bytes early on): reported, never parsed. */
export function looksBinary(text: string): boolean {
  return text.slice(0, 8192).includes('\0');
}

export class SourceFile {
  private tree: Tree | undefined;
  private cachedFacts: FileFacts | undefined;
  private annotations: Annotation[] = [];
  /** Set when the file could not be parsed at all (binary, over the time budget). */
  unparsable: string | undefined;
  /** Incremented on every change, so module results can be cached against it. */
  version = 0;

  constructor(readonly path: string, private textValue: string, private readonly parser: Parser, private readonly keepTree: boolean) {
    this.reparse(undefined);
  }

  get text(): string {
    return this.textValue;
  }

  setText(text: string): void {
    this.textValue = text;
    this.dropTree();
    this.reparse(undefined);
  }

  /** Applies LSP-style content changes in order, editing the live tree for each. */
  applyChanges(changes: TextEdit[]): void {
    for (const change of changes) {
      if (!change.range || !this.tree) {
        this.setText(change.range ? this.spliced(change) : change.text);
        continue;
      }
      const before = this.textValue;
      const starts = lineStarts(before);
      const startIndex = offsetAt(starts, before, change.range.start);
      const oldEndIndex = Math.max(startIndex, offsetAt(starts, before, change.range.end));
      const after = before.slice(0, startIndex) + change.text + before.slice(oldEndIndex);
      const newEndIndex = startIndex + change.text.length;
      const startPosition = positionAt(starts, startIndex);
      const oldEndPosition = positionAt(starts, oldEndIndex);
      const insertedLines = change.text.split('\n');
      const newEndPosition =
        insertedLines.length === 1
          ? { row: startPosition.row, column: startPosition.column + change.text.length }
          : { row: startPosition.row + insertedLines.length - 1, column: insertedLines[insertedLines.length - 1].length };
      this.tree.edit(new Edit({ startIndex, oldEndIndex, newEndIndex, startPosition, oldEndPosition, newEndPosition }));
      this.textValue = after;
    }
    this.reparse(this.tree);
  }

  private spliced(change: TextEdit): string {
    const starts = lineStarts(this.textValue);
    const start = offsetAt(starts, this.textValue, change.range!.start);
    const end = Math.max(start, offsetAt(starts, this.textValue, change.range!.end));
    return this.textValue.slice(0, start) + change.text + this.textValue.slice(end);
  }

  private reparse(oldTree: Tree | undefined): void {
    this.version++;
    this.cachedFacts = undefined;
    this.unparsable = undefined;
    if (looksBinary(this.textValue)) {
      this.dropTree();
      this.unparsable = 'binary file (NUL bytes): not C source, not analysed';
      return;
    }
    const neutralized = neutralizeAnnotations(this.textValue);
    this.annotations = neutralized.annotations;
    const deadline = Date.now() + parseBudgetMs;
    let next: Tree | null = null;
    try {
      next = this.parser.parse(neutralizeInitializerDirectives(neutralized.text), oldTree, { progressCallback: () => Date.now() > deadline });
    } catch {
      next = null;
    }
    if (oldTree && oldTree !== next) oldTree.delete();
    this.tree = next ?? undefined;
    if (!this.tree) this.unparsable = `the file could not be parsed within ${parseBudgetMs} ms; not analysed`;
  }

  facts(): FileFacts {
    if (!this.cachedFacts) {
      const empty: FileFacts = {
        path: this.path, functions: [], structVariables: [], calls: [], functionReferences: [], returns: [], staticLocals: [], defines: [],
        includes: [], conditionals: [], structUses: [], designators: [], syntaxErrors: [],
      };
      this.cachedFacts = this.tree ? extractFileFacts(this.path, this.textValue, this.tree, this.annotations) : empty;
      // Files that are not kept open only need their facts: free the tree right away.
      if (!this.keepTree) this.dropTree();
    }
    return this.cachedFacts;
  }

  private dropTree(): void {
    this.tree?.delete();
    this.tree = undefined;
  }

  dispose(): void {
    this.dropTree();
  }
}
