/**
 * Finding the livepatch construct under the cursor: which `klp_func` entry, which object, which
 * identifier. Features (hover, completion, definition) share these so that "what is at this
 * position" is answered one way.
 */
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { Position, Range } from '../model/location';
import { allPatches } from '../model/moduleLayout';
import type { KlpFunc, KlpObject, KlpPatch, LivepatchModule } from '../model/types';
import { comparePositions, locationContains } from './ranges';

export interface FuncInContext {
  patch: KlpPatch;
  object: KlpObject;
  func: KlpFunc;
}

/** Every non-terminator `klp_func` of a module (generated patches included) with the object and patch it belongs to. */
export function* allFuncs(module: LivepatchModule): Generator<FuncInContext> {
  for (const patch of allPatches(module)) {
    for (const object of patch.objects) {
      if (object.isTerminator) continue;
      for (const func of object.funcs) if (!func.isTerminator) yield { patch, object, func };
    }
  }
}

/**
 * The kernel object a `klp_object` targets: "vmlinux" when `.name` is NULL or absent, the name
 * otherwise, undefined when the name could not be evaluated.
 */
export function objectNameOf(object: KlpObject): string | undefined {
  if (object.name === undefined) return 'vmlinux';
  return object.name.value;
}

/** The `klp_func` whose `.old_name` string contains the position. */
export function oldNameAt(module: LivepatchModule, path: string, position: Position): FuncInContext | undefined {
  for (const entry of allFuncs(module)) {
    if (locationContains(entry.func.oldName?.location, path, position)) return entry;
  }
  return undefined;
}

/**
 * The object whose funcs array surrounds the position: first the `klp_func` entry containing
 * it, else the object whose entries' span (first to last entry in this file) contains it.
 */
export function objectAround(module: LivepatchModule, path: string, position: Position): KlpObject | undefined {
  for (const entry of allFuncs(module)) {
    if (locationContains(entry.func.location, path, position)) return entry.object;
  }
  for (const patch of allPatches(module)) {
    for (const object of patch.objects) {
      const ranges = object.funcs.filter((func) => func.location.file === path).map((func) => func.location.range);
      if (ranges.length === 0) continue;
      const start = ranges.reduce((a, b) => (comparePositions(a.start, b.start) <= 0 ? a : b)).start;
      const end = ranges.reduce((a, b) => (comparePositions(a.end, b.end) >= 0 ? a : b)).end;
      if (comparePositions(start, position) <= 0 && comparePositions(position, end) <= 0) return object;
    }
  }
  return undefined;
}

/** The text of one line without its line break. */
export function lineText(document: TextDocument, line: number): string {
  const text = document.getText({ start: { line, character: 0 }, end: { line: line + 1, character: 0 } });
  return text.replace(/\r?\n$/, '');
}

const identifierCharacter = /[A-Za-z0-9_]/;

/** The C identifier touching the position (a cursor just after it counts), if any. */
export function identifierAt(document: TextDocument, position: Position): { name: string; range: Range } | undefined {
  const line = lineText(document, position.line);
  let start = Math.min(position.character, line.length);
  let end = start;
  while (start > 0 && identifierCharacter.test(line[start - 1])) start--;
  while (end < line.length && identifierCharacter.test(line[end])) end++;
  const name = line.slice(start, end);
  if (name === '' || /^[0-9]/.test(name)) return undefined;
  return { name, range: { start: { line: position.line, character: start }, end: { line: position.line, character: end } } };
}
