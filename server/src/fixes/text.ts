/**
 * Reading and editing C text for quick fixes: offsets and positions (UTF-16, like the model),
 * the module's own style (indentation, naming prefix), and the few landmarks fixes insert at.
 */
import type { Location, Position, Range } from '../model/location';
import type { LivepatchModule } from '../model/types';
import type { FileEdit } from './types';

export class SourceText {
  private readonly starts: number[] = [0];

  constructor(readonly path: string, readonly text: string) {
    for (let index = text.indexOf('\n'); index >= 0; index = text.indexOf('\n', index + 1)) this.starts.push(index + 1);
  }

  offsetAt(position: Position): number {
    const start = this.starts[position.line];
    if (start === undefined) return this.text.length;
    return Math.min(start + position.character, this.lineEnd(position.line));
  }

  positionAt(offset: number): Position {
    let low = 0;
    let high = this.starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (this.starts[mid] <= offset) low = mid;
      else high = mid - 1;
    }
    return { line: low, character: offset - this.starts[low] };
  }

  get lineCount(): number {
    return this.starts.length;
  }

  lineEnd(line: number): number {
    const next = this.starts[line + 1];
    return next === undefined ? this.text.length : next - 1;
  }

  lineText(line: number): string {
    const start = this.starts[line];
    return start === undefined ? '' : this.text.slice(start, this.lineEnd(line));
  }

  indentOf(line: number): string {
    return /^[ \t]*/.exec(this.lineText(line))![0];
  }

  slice(range: Range): string {
    return this.text.slice(this.offsetAt(range.start), this.offsetAt(range.end));
  }

  /** An edit inserting `text` at an offset. */
  insert(offset: number, newText: string): FileEdit {
    const position = this.positionAt(offset);
    return { file: this.path, range: { start: position, end: position }, newText };
  }

  replace(start: number, end: number, newText: string): FileEdit {
    return { file: this.path, range: { start: this.positionAt(start), end: this.positionAt(end) }, newText };
  }

  /** Offset of the start of a line. */
  lineStart(line: number): number {
    return this.starts[Math.min(line, this.starts.length - 1)];
  }
}

/** The indentation unit the file uses: a tab (kernel style) or its most common run of spaces. */
export function indentUnit(text: string): string {
  let tabs = 0;
  const spaces = new Map<number, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('\t')) tabs++;
    else {
      const run = /^( +)\S/.exec(line)?.[1].length;
      if (run !== undefined && run <= 8) spaces.set(run, (spaces.get(run) ?? 0) + 1);
    }
  }
  const spaceLines = [...spaces.values()].reduce((sum, count) => sum + count, 0);
  if (tabs >= spaceLines) return '\t';
  const smallest = Math.min(...spaces.keys());
  return ' '.repeat(Number.isFinite(smallest) ? smallest : 8);
}

/**
 * The prefix the module gives its own functions: that of its callbacks (`stat_` from
 * `stat_pre_patch`), else `livepatch_` when its replacements use it, else the module name.
 */
export function namingPrefix(module: LivepatchModule): string {
  for (const patch of module.patches)
    for (const object of patch.objects)
      for (const callback of object.callbacks) {
        const match = /^(.*?)(pre|post)_(un)?patch$/.exec(callback.name);
        if (match) return match[1];
      }
  for (const patch of module.patches)
    for (const object of patch.objects)
      for (const func of object.funcs) if (func.newFunc?.name.startsWith('livepatch_')) return 'livepatch_';
  return `${module.name}_`;
}

/** A function name not yet defined in the module: `wanted`, else `wanted_2`, ... */
export function freshFunctionName(module: LivepatchModule, text: string, wanted: string): string {
  const taken = (name: string) => module.functions.has(name) || new RegExp(`\\b${name}\\b`).test(text);
  if (!taken(wanted)) return wanted;
  for (let index = 2; ; index++) if (!taken(`${wanted}_${index}`)) return `${wanted}_${index}`;
}

/** Offset of the `}` that closes the brace opened at `open` (comments and strings skipped). */
export function matchingBrace(text: string, open: number): number | undefined {
  let depth = 0;
  for (let index = open; index < text.length; index++) {
    const c = text[index];
    if (c === '/' && text[index + 1] === '*') {
      const end = text.indexOf('*/', index + 2);
      if (end < 0) return undefined;
      index = end + 1;
    } else if (c === '/' && text[index + 1] === '/') {
      const end = text.indexOf('\n', index);
      if (end < 0) return undefined;
      index = end;
    } else if (c === '"' || c === "'") {
      for (index++; index < text.length && text[index] !== c; index++) if (text[index] === '\\') index++;
    } else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return index;
  }
  return undefined;
}

/** The line a top-level declaration that contains `location` starts on (its `static struct ...`). */
export function declarationStartLine(source: SourceText, location: Location): number {
  let line = location.range.start.line;
  for (let back = 0; back < 4 && line > 0; back++) {
    if (/^[A-Za-z_]/.test(source.lineText(line))) return line;
    line--;
  }
  return location.range.start.line;
}

/**
 * Where a new line belongs before the `}` that closes a brace-enclosed list ending at `end`
 * (exclusive): the start of the closing brace's line when the brace is alone on it.
 */
export function beforeClosingBraceLine(source: SourceText, closeOffset: number): number | undefined {
  const position = source.positionAt(closeOffset);
  const before = source.lineText(position.line).slice(0, position.character);
  return /^\s*$/.test(before) ? source.lineStart(position.line) : undefined;
}

/**
 * Indentation of the entries inside a list: that of its last inner line that starts an entry
 * (comments and continuation lines do not count), else one unit more than the opening line.
 */
export function innerIndent(source: SourceText, openOffset: number, closeOffset: number, unit: string): string {
  const first = source.positionAt(openOffset).line;
  const last = source.positionAt(closeOffset).line;
  for (let line = last - 1; line > first; line--) if (/^\s*[.{A-Za-z_&"]/.test(source.lineText(line))) return source.indentOf(line);
  return source.indentOf(first) + unit;
}
