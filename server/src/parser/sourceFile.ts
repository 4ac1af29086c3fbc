/**
 * One C source: its text, the neutralised text the parser sees, and (for open documents) the one
 * live tree, edited and re-parsed incrementally on each change. Trees are deleted explicitly when
 * replaced or closed: web-tree-sitter memory is not garbage collected. A file that is not open
 * keeps only its facts: they are extracted at once and its tree is deleted (or they come ready
 * from a worker thread, see analysis/factsWorkerPool.ts).
 */
import { Edit, type Parser, type Tree } from 'web-tree-sitter';
import type { Position } from '../model/location';
import { emptyFacts, extractFileFacts, updateFileFacts, type FileFacts } from '../model/fileFacts';
import { scanConditionalsWithState, updateConditionalScan, type ConditionalScan } from '../preprocess/directives';
import { blankFileScopeExterns } from './fileScopeExterns';
import { neutralize, updateNeutralization, type Annotation, type Neutralization } from './neutralize';

/** Parsing stops after this long; a file that takes longer is reported, not hung on. */
const parseBudgetMs = 3000;

export interface TextEdit {
  range?: { start: Position; end: Position };
  text: string;
}

/** What reading a file produces when its tree is not kept: facts, or why there are none. */
export interface ParsedFacts {
  facts: FileFacts;
  /** Set when the file could not be parsed at all (binary, over the time budget). */
  unparsable: string | undefined;
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

const binaryMessage = 'binary file (NUL bytes): not C source, not analysed';
const overBudgetMessage = `the file could not be parsed within ${parseBudgetMs} ms; not analysed`;

interface Parsed {
  tree: Tree | undefined;
  parsedText: string;
  annotations: Annotation[];
  neutralization: Neutralization | undefined;
  unparsable: string | undefined;
}

/**
 * Neutralise and parse (incrementally when `oldTree` is given, already edited) within the time
 * budget. The neutralisation is updated from `previous` when given, `edited` covering the
 * characters changed since.
 */
function parseText(parser: Parser, text: string, oldTree: Tree | undefined, previous?: { neutralization: Neutralization; edited: Dirty }, closed = false): Parsed {
  if (looksBinary(text)) return { tree: undefined, parsedText: text, annotations: [], neutralization: undefined, unparsable: binaryMessage };
  const neutralized = previous ? updateNeutralization(previous.neutralization, text, previous.edited.start, previous.edited.end) : neutralize(text);
  // A file that is not open is parsed without its file-scope extern declarations (fileScopeExterns.ts).
  const parsedText = closed ? blankFileScopeExterns(neutralized.text) : neutralized.text;
  const deadline = Date.now() + parseBudgetMs;
  let tree: Tree | null = null;
  try {
    tree = parser.parse(parsedText, oldTree, { progressCallback: () => Date.now() > deadline });
  } catch {
    tree = null;
  }
  // A parse stopped by the budget would otherwise resume on the parser's next call.
  if (!tree) parser.reset();
  return { tree: tree ?? undefined, parsedText, annotations: neutralized.annotations, neutralization: neutralized, unparsable: tree ? undefined : overBudgetMessage };
}

/**
 * Facts of a file that is not open: neutralise, parse within the time budget, extract, delete the
 * tree. The one definition of reading a closed file, in this thread or in a worker.
 */
export function parseFileFacts(parser: Parser, path: string, text: string): ParsedFacts {
  return parseFileFactsAndAnnotations(parser, path, text).parsed;
}

/**
 * parseFileFacts, with the annotations its neutralisation found (undefined when the text was
 * not neutralised: binary): a worker reads the layout annotations from them instead of scanning
 * the text again.
 */
export function parseFileFactsAndAnnotations(parser: Parser, path: string, text: string): { parsed: ParsedFacts; annotations: Annotation[] | undefined } {
  const parsed = parseText(parser, text, undefined, undefined, true);
  const annotations = parsed.neutralization ? parsed.annotations : undefined;
  if (!parsed.tree) return { parsed: { facts: emptyFacts(path), unparsable: parsed.unparsable }, annotations };
  try {
    return { parsed: { facts: extractFileFacts(path, text, parsed.tree, parsed.annotations, parsed.parsedText), unparsable: undefined }, annotations };
  } finally {
    parsed.tree.delete();
  }
}

/** Versions are unique across sources, so a file read again never matches a cached model of its previous text. */
let lastVersion = 0;

/** [start, end] of the text changed since the facts were last extracted, in current offsets. */
interface Dirty {
  start: number;
  end: number;
}

export class SourceFile {
  private tree: Tree | undefined;
  private cachedFacts: FileFacts | undefined;
  private annotations: Annotation[] = [];
  /** The neutralised text the tree was parsed from. */
  private parsedText = '';
  /** Open documents: the facts last extracted and the texts they were read from... */
  private base: { facts: FileFacts; text: string; parsedText: string; conditionals: ConditionalScan } | undefined;
  /** ...and what changed since (edits and re-shaped tree ranges), so facts can be updated in place. */
  private dirty: Dirty | undefined;
  /** Open documents: the last neutralisation, and the characters edited since. */
  private neutralization: Neutralization | undefined;
  private edited: Dirty | undefined;
  /** Set when the file could not be parsed at all (binary, over the time budget). */
  unparsable: string | undefined;
  /** Changes on every change (and differs between two reads of a file), so module results can be cached against it. */
  version = 0;

  /**
   * An open document (`keepTree`) keeps its tree and is edited; a file that is not open is read
   * at once (or comes with its facts read elsewhere, `parsed`, and needs no parser).
   */
  constructor(readonly path: string, private textValue: string, private readonly parser: Parser | undefined, private readonly keepTree: boolean, parsed?: ParsedFacts) {
    if (keepTree) {
      this.reparse(undefined);
      return;
    }
    parsed ??= parseFileFacts(this.requireParser(), path, textValue);
    this.version = ++lastVersion;
    this.cachedFacts = parsed.facts;
    this.unparsable = parsed.unparsable;
  }

  /** A file that is not open, whose facts were extracted elsewhere (a worker thread). */
  static fromFacts(path: string, text: string, parsed: ParsedFacts): SourceFile {
    return new SourceFile(path, text, undefined, false, parsed);
  }

  private requireParser(): Parser {
    if (!this.parser) throw new Error(`${this.path}: a source read elsewhere cannot be parsed again`);
    return this.parser;
  }

  get text(): string {
    return this.textValue;
  }

  setText(text: string): void {
    this.textValue = text;
    this.dropTree();
    this.base = undefined;
    this.dirty = undefined;
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
      this.dirty = throughEdit(this.dirty, startIndex, oldEndIndex, newEndIndex);
      this.edited = throughEdit(this.edited, startIndex, oldEndIndex, newEndIndex);
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
    this.version = ++lastVersion;
    this.cachedFacts = undefined;
    const previous = oldTree && this.neutralization && this.edited ? { neutralization: this.neutralization, edited: this.edited } : undefined;
    const parsed = parseText(this.requireParser(), this.textValue, oldTree, previous);
    this.neutralization = this.keepTree ? parsed.neutralization : undefined;
    this.edited = undefined;
    this.unparsable = parsed.unparsable;
    this.annotations = parsed.annotations;
    this.parsedText = parsed.parsedText;
    if (oldTree && parsed.tree) {
      // Ranges whose structure changed (an opened comment re-shapes what follows) count as edited.
      for (const range of oldTree.getChangedRanges(parsed.tree)) {
        this.dirty = {
          start: Math.min(this.dirty?.start ?? range.startIndex, range.startIndex),
          end: Math.max(this.dirty?.end ?? range.endIndex, range.endIndex),
        };
      }
    }
    if (oldTree && oldTree !== parsed.tree) oldTree.delete();
    if (this.tree && this.tree !== oldTree && this.tree !== parsed.tree) this.tree.delete();
    this.tree = parsed.tree;
    if (!this.tree) {
      this.base = undefined;
      this.dirty = undefined;
    }
  }

  facts(): FileFacts {
    if (!this.cachedFacts) {
      if (!this.tree) {
        this.cachedFacts = emptyFacts(this.path);
      } else if (!this.keepTree) {
        this.cachedFacts = extractFileFacts(this.path, this.textValue, this.tree, this.annotations, this.parsedText);
      } else {
        // An open document: from the previous facts when it can, and keeps what the next update needs.
        const base = this.base;
        const dirty = this.dirty;
        const conditionals =
          base && dirty ? updateConditionalScan(base.conditionals, this.textValue.length - base.text.length, this.textValue, dirty.start, dirty.end) : scanConditionalsWithState(this.textValue);
        const updated = base && dirty ? this.updatedFacts(base, dirty, conditionals) : undefined;
        this.cachedFacts = updated ?? extractFileFacts(this.path, this.textValue, this.tree, this.annotations, this.parsedText, conditionals.chains);
        this.base = { facts: this.cachedFacts, text: this.textValue, parsedText: this.parsedText, conditionals };
        this.dirty = undefined;
      }
    }
    return this.cachedFacts;
  }

  /** Facts of an edited open document from the previous ones, or undefined to read them all again. */
  private updatedFacts(base: { facts: FileFacts; text: string; parsedText: string }, dirty: Dirty, conditionals: ConditionalScan): FileFacts | undefined {
    const text = this.textValue;
    const parsedText = this.parsedText;
    const delta = text.length - base.text.length;
    let { start, end } = dirty;
    start = Math.max(0, Math.min(start, text.length));
    end = Math.max(start, Math.min(end, text.length));
    if (end - delta < start || end - delta > base.text.length) return undefined;
    // Neutralisation can change text outside the edits (a `static` before an edited macro name):
    // widen to every difference between the parsed texts.
    if (parsedText.slice(0, start) !== base.parsedText.slice(0, start)) {
      let i = 0;
      while (i < start && parsedText.charCodeAt(i) === base.parsedText.charCodeAt(i)) i++;
      start = i;
    }
    if (parsedText.slice(end) !== base.parsedText.slice(end - delta)) {
      let i = text.length;
      while (i > end && parsedText.charCodeAt(i - 1) === base.parsedText.charCodeAt(i - 1 - delta)) i--;
      end = i;
    }
    return updateFileFacts(base.facts, base.text, this.path, text, this.tree!, this.annotations, parsedText, { start, end }, conditionals.chains);
  }

  private dropTree(): void {
    this.tree?.delete();
    this.tree = undefined;
  }

  dispose(): void {
    this.dropTree();
    this.base = undefined;
  }
}

/** Keeps this class's hidden class, and code optimised for it, alive between analyzers (see ModuleValues in model/assemble.ts). */
const keptSourceFile = SourceFile.fromFacts('', '', { facts: emptyFacts(''), unparsable: undefined });
void keptSourceFile;

/** The changed range after one more edit (offsets before it stay, after it move by its length change). */
function throughEdit(dirty: Dirty | undefined, start: number, oldEnd: number, newEnd: number): Dirty {
  if (!dirty) return { start, end: newEnd };
  const map = (offset: number, side: 'start' | 'end') => (offset <= start ? offset : offset >= oldEnd ? offset + (newEnd - oldEnd) : side === 'start' ? start : newEnd);
  return { start: Math.min(map(dirty.start, 'start'), start), end: Math.max(map(dirty.end, 'end'), newEnd) };
}
