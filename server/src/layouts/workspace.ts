/**
 * What the analyzer keeps for distribution trees: the fix folders' patched_funcs.csv files (open
 * in the editor or read from disk, parsed once per version) and the template markers of a file.
 * The analyzer groups the C files of a folder that has a list into one module (the fix).
 */
import { basename, dirname, join } from 'node:path';
import type { Location } from '../model/location';
import type { PatchedFuncsList } from '../model/types';
import { isLayoutAnnotation, layoutAnnotations, type Annotation } from '../parser/neutralize';
import type { LayoutSources } from './assembleLayout';
import { isPatchedFuncsFile, parsePatchedFuncs, patchedFuncsFileName } from './patchedFuncsCsv';

export { isPatchedFuncsFile } from './patchedFuncsCsv';

interface ListEntry {
  text: string;
  version: number;
  parsed?: PatchedFuncsList;
}

/** An edit of an open list (LSP ranges: 0-based line and UTF-16 character). */
export interface ListEdit {
  range?: { start: { line: number; character: number }; end: { line: number; character: number } };
  text: string;
}

let lastVersion = 0;

function offsetAt(text: string, position: { line: number; character: number }): number {
  let offset = 0;
  for (let line = 0; line < position.line; line++) {
    const next = text.indexOf('\n', offset);
    if (next < 0) return text.length;
    offset = next + 1;
  }
  const lineEnd = text.indexOf('\n', offset);
  return Math.min(offset + position.character, lineEnd < 0 ? text.length : lineEnd);
}

export class PatchedFuncsFiles {
  private readonly lists = new Map<string, ListEntry>();
  /** Folders whose list was looked for on disk (found or not). */
  private readonly probed = new Set<string>();

  constructor(private readonly readFile: (path: string) => string | undefined) {}

  set(path: string, text: string): void {
    this.lists.set(path, { text, version: ++lastVersion });
    this.probed.add(dirname(path));
  }

  /** Applies editor changes in order; a change without a range replaces the text. */
  change(path: string, edits: ListEdit[]): void {
    let text = this.lists.get(path)?.text ?? '';
    for (const edit of edits) {
      if (!edit.range) {
        text = edit.text;
        continue;
      }
      const start = offsetAt(text, edit.range.start);
      const end = Math.max(start, offsetAt(text, edit.range.end));
      text = text.slice(0, start) + edit.text + text.slice(end);
    }
    this.set(path, text);
  }

  delete(path: string): boolean {
    return this.lists.delete(path);
  }

  text(path: string): string | undefined {
    return this.lists.get(path)?.text;
  }

  /**
   * Reads the folder's list from disk the first time the folder is seen. Returns whether one
   * exists. `listed`: the folder's file names when the caller has listed it (no read when absent).
   */
  probe(folder: string, listed?: ReadonlySet<string>): boolean {
    const path = join(folder, patchedFuncsFileName);
    if (!this.probed.has(folder)) {
      this.probed.add(folder);
      const text = listed && !listed.has(patchedFuncsFileName) ? undefined : this.readFile(path);
      if (text !== undefined) this.lists.set(path, { text, version: ++lastVersion });
    }
    return this.lists.has(path);
  }

  /** The list of a folder, parsed, with the version that identifies its text. */
  listOf(folder: string): { list: PatchedFuncsList; version: number } | undefined {
    const path = join(folder, patchedFuncsFileName);
    const entry = this.lists.get(path);
    if (!entry) return undefined;
    entry.parsed ??= parsePatchedFuncs(path, entry.text);
    return { list: entry.parsed, version: entry.version };
  }

  has(path: string): boolean {
    return isPatchedFuncsFile(path) && this.lists.has(path);
  }
}

/** The module a fix folder builds: named after the folder, as the distribution's build does. */
export function fixModuleName(folder: string): string {
  return basename(folder).replace(/[^A-Za-z0-9_]/g, '_');
}

function positionAt(text: string, offset: number, lineStarts: number[]): { line: number; character: number } {
  let low = 0;
  let high = lineStarts.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if (lineStarts[mid] <= offset) low = mid;
    else high = mid - 1;
  }
  return { line: low, character: offset - lineStarts[low] };
}

/** Splits `KLP_RELOC_SYMBOL(a, b, c)` into its arguments (blank-trimmed); undefined when not that shape. */
function relocationArguments(text: string): string[] | undefined {
  const open = text.indexOf('(');
  if (open < 0 || !text.endsWith(')')) return undefined;
  return text.slice(open + 1, -1).split(',').map((a) => a.trim());
}

/** Template markers (`@@NAME@@`) and relocation macros of one file, located. */
export interface LayoutFacts {
  markers: NonNullable<LayoutSources['markers']>;
  relocations: NonNullable<LayoutSources['relocations']>;
}

/** Whether a text may hold layout facts at all (the scan is skipped for the others). */
export function mayHoldLayoutFacts(text: string): boolean {
  return text.includes('@@') || text.includes('KLP_RELOC_SYMBOL');
}

/**
 * `annotations`: the text's annotations when its neutralisation already found them (the same scan
 * layoutAnnotations runs); the text is scanned otherwise.
 */
export function layoutFactsOf(path: string, text: string, annotations?: readonly Annotation[]): LayoutFacts {
  const markers: NonNullable<LayoutSources['markers']> = [];
  const relocations: NonNullable<LayoutSources['relocations']> = [];
  const found = annotations ? annotations.filter(isLayoutAnnotation) : layoutAnnotations(text);
  if (found.length === 0) return { markers, relocations };
  const lineStarts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lineStarts.push(i + 1);
  for (const annotation of found) {
    const location: Location = { file: path, range: { start: positionAt(text, annotation.start, lineStarts), end: positionAt(text, annotation.end, lineStarts) } };
    if (annotation.name.startsWith('@@')) {
      markers.push({ name: annotation.name, offset: annotation.start, location });
      continue;
    }
    const args = relocationArguments(text.slice(annotation.start, annotation.end));
    const withPosition = annotation.name === 'KLP_RELOC_SYMBOL_POS';
    if (!args || args.length !== (withPosition ? 4 : 3) || args.slice(0, 3).some((a) => !/^[A-Za-z_][\w.$-]*$/.test(a))) continue;
    const position = withPosition && /^\d+$/.test(args[3]) ? Number(args[3]) : undefined;
    relocations.push({ sectionObject: args[0], symbolObject: args[1], symbol: args[2], position, location, offset: annotation.start });
  }
  return { markers, relocations };
}
