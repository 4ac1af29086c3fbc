/**
 * Edit recipes several fixes share: add a field to a struct initializer, add an entry to an
 * array, add a macro, and add code to a patch's callbacks (editing the existing callback or
 * generating and registering a new one in the module's own style).
 */
import { entries } from '../checks/facts';
import type { Location } from '../model/location';
import type { CallbackKind, FunctionDefinition, KlpObject, KlpPatch, LivepatchModule } from '../model/types';
import {
  beforeClosingBraceLine,
  declarationStartLine,
  freshFunctionName,
  indentUnit,
  innerIndent,
  matchingBrace,
  namingPrefix,
  SourceText,
} from './text';
import type { FileEdit, FixContext } from './types';

export function sourceOf(context: FixContext, path: string): SourceText | undefined {
  const text = context.textOf(path);
  return text === undefined ? undefined : new SourceText(path, text);
}

/** The last character before `offset` that is not blank or inside a comment, with its offset. */
function previousSignificant(text: string, offset: number): number {
  let index = offset - 1;
  while (index >= 0) {
    if (/\s/.test(text[index])) index--;
    else if (text[index] === '/' && text[index - 1] === '*') {
      const start = text.lastIndexOf('/*', index - 2);
      if (start < 0) return index;
      index = start - 1;
    } else {
      const lineStart = text.lastIndexOf('\n', index) + 1;
      const comment = text.slice(lineStart, index + 1).indexOf('//');
      if (comment >= 0 && !text.slice(lineStart, lineStart + comment).includes('"')) index = lineStart + comment - 1;
      else return index;
    }
  }
  return -1;
}

/**
 * Inserts lines before the `}` at `close` of a brace list opened at `open`: `lines` are
 * indented like the list's entries, and the last entry gets the comma it needs.
 */
export function insertIntoList(source: SourceText, open: number, close: number, lines: string[], unit: string): FileEdit[] | undefined {
  const text = source.text;
  const edits: FileEdit[] = [];
  const last = previousSignificant(text, close);
  if (last > open && text[last] !== ',') edits.push(source.insert(last + 1, ','));
  const lineStart = beforeClosingBraceLine(source, close);
  if (lineStart === undefined) {
    // A list on one line: `{ .a = 1 }` → `{ .a = 1, .b = 2 }`.
    edits.push(source.insert(close, `${last > open ? ' ' : ''}${lines.map((line) => line.trim()).join(' ')} `));
    return edits;
  }
  const indent = innerIndent(source, open, close, unit);
  edits.push(source.insert(lineStart, lines.map((line) => `${indent}${line}\n`).join('')));
  return edits;
}

/** The `{`…`}` of a declaration's initializer (`static struct klp_patch patch = { ... };`). */
export function initializerBraces(source: SourceText, declaration: Location): { open: number; close: number } | undefined {
  const start = source.offsetAt(declaration.range.start);
  const end = source.offsetAt(declaration.range.end);
  const equals = source.text.indexOf('=', start);
  if (equals < 0 || equals >= end) return undefined;
  const open = source.text.indexOf('{', equals);
  if (open < 0 || open >= end) return undefined;
  const close = matchingBrace(source.text, open);
  return close === undefined ? undefined : { open, close };
}

/** The braces of an array initializer location (`{ ... }`), checked against the text. */
export function listBraces(source: SourceText, location: Location): { open: number; close: number } | undefined {
  const open = source.offsetAt(location.range.start);
  if (source.text[open] !== '{') return undefined;
  const close = matchingBrace(source.text, open);
  return close === undefined ? undefined : { open, close };
}

/** Adds `.field = value,` to a struct variable's initializer. */
export function addInitializerField(source: SourceText, declaration: Location, field: string): FileEdit[] | undefined {
  const braces = initializerBraces(source, declaration);
  if (!braces) return undefined;
  return insertIntoList(source, braces.open, braces.close, [field], indentUnit(source.text));
}

/**
 * Where a new macro goes: after the last `#define` near the top of a file, else after the last
 * `#include` (then separated by a blank line), else at the top.
 */
function macroInsertion(source: SourceText): { line: number; separate: boolean } {
  let define = -1;
  let include = -1;
  for (let index = 0; index < source.lineCount; index++) {
    const text = source.lineText(index);
    if (/^\s*#\s*define\s+[A-Z_][A-Z0-9_]*\s+\S/.test(text) && !/^\s*#\s*define\s+pr_fmt/.test(text)) define = index;
    else if (/^\s*#\s*include\b/.test(text)) include = index;
    else if (/^(static|struct|int|void|MODULE_)/.test(text)) break;
  }
  if (define >= 0) return { line: define + 1, separate: false };
  return { line: include + 1, separate: include >= 0 };
}

/** Headers the code a fix copies or generates needs, by the kernel functions it calls. */
const headerOf: Record<string, string> = {
  kfree: 'linux/slab.h',
  kzalloc: 'linux/slab.h',
  kmalloc: 'linux/slab.h',
  kcalloc: 'linux/slab.h',
  kvfree: 'linux/slab.h',
  vfree: 'linux/vmalloc.h',
};

/** `#include` lines for what `code` calls and the file does not include yet (after its last include). */
export function ensureIncludes(source: SourceText, code: string): FileEdit[] {
  const needed = new Set<string>();
  for (const [name, header] of Object.entries(headerOf)) if (new RegExp(`\\b${name}\\s*\\(`).test(code)) needed.add(header);
  const missing = [...needed].filter((header) => !new RegExp(`#\\s*include\\s*<${header.replace('.', '\\.')}>`).test(source.text));
  if (missing.length === 0) return [];
  let last = -1;
  for (let index = 0; index < source.lineCount; index++) if (/^\s*#\s*include\b/.test(source.lineText(index))) last = index;
  if (last < 0) return [source.insert(0, missing.map((header) => `#include <${header}>\n`).join(''))];
  return [source.insert(source.lineEnd(last), missing.map((header) => `\n#include <${header}>`).join(''))];
}

/**
 * An id as this module can spell it: its own macro of that name or value, else the other
 * module's macro (added here as a #define copied from it), else the number.
 */
export function idSpelling(
  context: FixContext,
  target: SourceText,
  value: number | undefined,
  written: string | undefined,
  from: LivepatchModule | undefined,
): { text: string; edits: FileEdit[] } {
  const module = context.module;
  const name = written?.trim();
  if (name && module.macros.has(name)) return { text: name, edits: [] };
  if (value !== undefined)
    for (const macro of module.macros.values())
      if (!macro.parameters && /^[A-Z_][A-Z0-9_]*$/.test(macro.name) && Number(macro.body.replace(/[uUlL]+$/, '')) === value && macro.body.trim() !== '') return { text: macro.name, edits: [] };
  const theirs = name ? from?.macros.get(name) : undefined;
  if (name && theirs && !theirs.parameters) {
    const theirText = context.textOf(theirs.location.file);
    const line = theirText !== undefined ? new SourceText(theirs.location.file, theirText).lineText(theirs.location.range.start.line) : `#define ${name}\t${theirs.body}`;
    const at = macroInsertion(target);
    const copied = /^\s*#\s*define\b/.test(line) && !line.trimEnd().endsWith('\\') ? line.trimEnd() : `#define ${name}\t${theirs.body}`;
    return { text: name, edits: [target.insert(target.lineStart(at.line), `${at.separate ? '\n' : ''}${copied}\n`)] };
  }
  if (value !== undefined) return { text: value >= 16 ? `0x${value.toString(16)}` : String(value), edits: [] };
  return { text: name ?? '0', edits: [] };
}

/** The klp_object callbacks belong to: one that has callbacks, else vmlinux, else the first. */
export function callbackObject(patch: KlpPatch): KlpObject | undefined {
  const objects = [...entries(patch.objects)];
  return objects.find((object) => object.callbacks.length > 0) ?? objects.find((object) => object.name === undefined) ?? objects[0];
}

const declarationLine =
  /^\s*(?:(?:static|const|unsigned|signed|struct|union|enum|volatile|register)\s+)*[A-Za-z_]\w*(?:\s+|\s*\*+\s*)\**\s*[A-Za-z_]\w*\s*(?:\[[^\]]*\])?\s*(?:[=;,]|$)/;
const statementKeyword = /^\s*(return|if|for|while|switch|do|goto|else|case|break|continue)\b/;

/** Body braces of a function definition. */
export function functionBody(source: SourceText, definition: FunctionDefinition): { open: number; close: number } | undefined {
  const start = source.offsetAt(definition.location.range.start);
  const open = source.text.indexOf('{', start);
  if (open < 0) return undefined;
  const close = matchingBrace(source.text, open);
  return close === undefined ? undefined : { open, close };
}

/** Offset of the first statement line of a body (after its declarations and one blank line). */
function afterDeclarations(source: SourceText, open: number, close: number): { offset: number; hadDeclarations: boolean } {
  let line = source.positionAt(open).line + 1;
  const last = source.positionAt(close).line;
  let hadDeclarations = false;
  while (line < last) {
    const text = source.lineText(line);
    if (declarationLine.test(text) && !statementKeyword.test(text)) {
      hadDeclarations = true;
      while (line < last && !source.lineText(line).trimEnd().endsWith(';')) line++;
      line++;
      continue;
    }
    break;
  }
  if (hadDeclarations && line < last && source.lineText(line).trim() === '') line++;
  return { offset: source.lineStart(line), hadDeclarations };
}

/** Text of a function definition (for looking at what an existing callback already does). */
export function definitionText(source: SourceText, definition: FunctionDefinition): string {
  return source.slice(definition.location.range);
}

export interface CallbackCode {
  /**
   * Lines to add to an existing callback (indented one unit; `\t` in them stands for one unit),
   * given its definition text; undefined when it needs nothing.
   */
  existing?: (definition: FunctionDefinition, text: string) => string[] | undefined;
  /** Where the lines go in an existing callback: after its declarations, or at its end. */
  at?: 'top' | 'end';
  /** Body lines of a new callback (same conventions); undefined: do not create one. */
  created?: () => string[];
}

/**
 * Collects the code a fix adds to a patch's callbacks and produces the edits: lines inserted
 * into existing callbacks, new callbacks defined before the objects array (after a forward
 * declaration of the patch when they need one) and registered in `.callbacks`.
 */
export class CallbackEditor {
  readonly edits: FileEdit[] = [];
  private readonly created: { kind: CallbackKind; name: string; text: string }[] = [];
  /** Definitions (types, destructors) new callbacks need, placed before them. */
  private readonly support: string[] = [];
  readonly unit: string;
  private readonly prefix: string;
  failed = false;

  constructor(
    private readonly context: FixContext,
    readonly patch: KlpPatch,
    private readonly object: KlpObject,
    /** The file the objects array (and so the new callbacks) lives in. */
    readonly source: SourceText,
  ) {
    this.unit = indentUnit(source.text);
    this.prefix = namingPrefix(context.module);
  }

  /** Code placed before new callbacks (copied types and destructors). */
  addSupport(text: string): void {
    if (!this.support.includes(text)) this.support.push(text);
  }

  private indent(lines: string[], depth: number): string {
    return lines
      .map((line) => (line === '' ? '\n' : `${this.unit.repeat(depth)}${line.replace(/^\t+/, (tabs) => this.unit.repeat(tabs.length))}\n`))
      .join('');
  }

  add(kind: CallbackKind, code: CallbackCode): void {
    const callback = this.object.callbacks.find((item) => item.kind === kind);
    const definition = callback ? (callback.definition ?? this.context.module.functions.get(callback.name)) : undefined;
    if (callback && !definition) {
      this.failed = true;
      return;
    }
    if (definition) {
      const source = sourceOf(this.context, definition.file);
      if (!source || !code.existing) return;
      const lines = code.existing(definition, definitionText(source, definition));
      if (!lines || lines.length === 0) return;
      this.edits.push(...ensureIncludes(source, lines.join('\n')));
      const body = functionBody(source, definition);
      if (!body) {
        this.failed = true;
        return;
      }
      if (code.at === 'end') {
        const lineStart = beforeClosingBraceLine(source, body.close);
        if (lineStart === undefined) {
          this.failed = true;
          return;
        }
        this.edits.push(source.insert(lineStart, this.indent(lines, 1)));
      } else {
        const { offset, hadDeclarations } = afterDeclarations(source, body.open, body.close);
        const line = source.positionAt(offset).line;
        const followed = line < source.positionAt(body.close).line;
        // A blank line between declarations and statements, and after the new block.
        const separate = hadDeclarations && source.lineText(line - 1).trim() !== '';
        this.edits.push(source.insert(offset, (separate ? '\n' : '') + this.indent(lines, 1) + (followed ? '\n' : '')));
      }
      return;
    }
    if (!code.created) return;
    const name = freshFunctionName(this.context.module, this.source.text, `${this.prefix}${kind}`);
    const signature = kind === 'pre_patch' ? `static int ${name}(struct klp_object *obj)` : `static void ${name}(struct klp_object *obj)`;
    this.created.push({ kind, name, text: `${signature}\n{\n${this.indent(code.created(), 1)}}\n` });
  }

  /** Whether the code of new callbacks must see the patch variable before its definition. */
  private needsForwardDeclaration(at: number, generated: string): boolean {
    const name = this.patch.variableName;
    if (!new RegExp(`&\\s*${name}\\b`).test(generated)) return false;
    const patchStart = this.patch.location.file === this.source.path ? this.source.offsetAt(this.patch.location.range.start) : -1;
    if (patchStart >= 0 && patchStart < at) return false;
    return !new RegExp(`struct\\s+klp_patch\\s+${name}\\s*;`).test(this.source.text.slice(0, at));
  }

  finish(): FileEdit[] | undefined {
    if (this.failed) return undefined;
    if (this.created.length === 0 && this.support.length === 0) return this.edits.length > 0 ? this.edits : undefined;
    const arrayLocation = this.patch.objsArrayLocation;
    if (!arrayLocation || arrayLocation.file !== this.source.path) return undefined;
    const at = this.source.lineStart(declarationStartLine(this.source, arrayLocation));
    const functions = this.created.map((item) => item.text).join('\n');
    const blocks = [...this.support, ...(functions ? [functions] : [])];
    if (this.needsForwardDeclaration(at, functions)) blocks.unshift(`static struct klp_patch ${this.patch.variableName};\n`);
    this.edits.push(this.source.insert(at, `${blocks.join('\n')}\n`));
    this.edits.push(...ensureIncludes(this.source, blocks.join('\n')));
    if (this.created.length === 0) return this.edits;
    // Register the new callbacks in the object's `.callbacks`.
    const objectStart = this.source.offsetAt(this.object.location.range.start);
    const objectEnd = this.source.offsetAt(this.object.location.range.end);
    const objectText = this.source.text.slice(objectStart, objectEnd);
    const registrations = this.created.map((item) => `.${item.kind} = ${item.name},`);
    const callbacksField = /\.callbacks\s*=\s*\{/.exec(objectText);
    if (callbacksField) {
      const open = objectStart + callbacksField.index + callbacksField[0].length - 1;
      const close = matchingBrace(this.source.text, open);
      if (close === undefined) return undefined;
      const added = insertIntoList(this.source, open, close, registrations, this.unit);
      if (!added) return undefined;
      this.edits.push(...added);
    } else {
      if (this.source.text[objectStart] !== '{') return undefined;
      const close = matchingBrace(this.source.text, objectStart);
      if (close === undefined) return undefined;
      const fieldIndent = innerIndent(this.source, objectStart, close, this.unit);
      const lines = ['.callbacks = {', ...registrations.map((line) => `${this.unit}${line}`), '},'];
      const lineStart = beforeClosingBraceLine(this.source, close);
      if (lineStart === undefined) return undefined;
      const last = previousSignificant(this.source.text, close);
      if (last > objectStart && this.source.text[last] !== ',') this.edits.push(this.source.insert(last + 1, ','));
      this.edits.push(this.source.insert(lineStart, lines.map((line) => `${fieldIndent}${line}\n`).join('')));
    }
    return this.edits;
  }
}

/** The editor for a patch, when its objects array can be found in the text. */
export function callbackEditor(context: FixContext, patch: KlpPatch): CallbackEditor | undefined {
  const object = callbackObject(patch);
  const arrayLocation = patch.objsArrayLocation;
  if (!object || !arrayLocation || object.location.file !== arrayLocation.file) return undefined;
  const source = sourceOf(context, arrayLocation.file);
  return source ? new CallbackEditor(context, patch, object, source) : undefined;
}

/** The local variable an existing callback keeps `klp_get_state(&patch, ID)` in, if any. */
export function stateVariable(text: string, idText: string): string | undefined {
  const id = idText.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(String.raw`([A-Za-z_]\w*)\s*=\s*klp_get_state\s*\(\s*&?\s*[A-Za-z_]\w*\s*,\s*${id}\s*\)`).exec(text)?.[1];
}

/** Whether a callback's text already asks klp_get_prev_state() about this id. */
export function consultsPrevState(text: string, idText: string): boolean {
  const id = idText.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(String.raw`klp_get_prev_state\s*\(\s*${id}\s*\)`).test(text);
}
