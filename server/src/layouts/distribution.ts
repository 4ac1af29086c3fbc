/**
 * Distribution trees that generate the tables (docs/layouts.md): a fix folder's main file is a
 * template whose table initialisers hold markers the build replaces with entries made from
 * `patched_funcs.csv`:
 *
 *   - `@@KLP_FUNCS@@` inside a `struct klp_func` array: one `{ .old_name, .new_func[, .old_sympos] }`
 *     entry per line whose object is the object that array belongs to;
 *   - `@@KLP_OBJECTS@@` inside a `struct klp_object` array: one `{ .name, .funcs }` entry per
 *     object of the list that the array does not already name, each with its own funcs array
 *     (terminated, as the generator writes it);
 *
 * `vmlinux` in the list becomes a NULL `.name`. Here the same entries are built as model values,
 * located at the list's columns, so every check sees what it would see in hand-written tables
 * and reports problems of a line on that line.
 */
import type { FunctionDefinition, KlpFunc, KlpObject, PatchedFuncsLine, ResolvedValue } from '../model/types';

export const funcsMarker = '@@KLP_FUNCS@@';
export const objectsMarker = '@@KLP_OBJECTS@@';
/** The markers the model fills in; any other `@@NAME@@` is a value only the build knows. */
export const expandedMarkers: readonly string[] = [funcsMarker, objectsMarker];

export const vmlinuxObject = 'vmlinux';

/** The object a table entry is for: its `.name`, or vmlinux for NULL; undefined when not evaluable. */
export function objectKey(name: ResolvedValue<string> | undefined): string | undefined {
  if (!name) return vmlinuxObject;
  return name.value;
}

export interface Definitions {
  functions: Map<string, FunctionDefinition>;
  /** Whether a name is a (struct) variable of the module rather than a function. */
  isVariable(name: string): boolean;
}

/** The klp_func entry the generator writes for one line. */
export function generatedFunc(line: PatchedFuncsLine, definitions: Definitions): KlpFunc {
  const name = line.newFunc.value;
  const definition = definitions.functions.get(name);
  return {
    oldName: { value: line.oldName.value, text: `"${line.oldName.value}"`, location: line.oldName.location },
    newFunc: { name, location: line.newFunc.location, definition, isFunction: !!definition || !definitions.isVariable(name) },
    oldSympos: line.sympos ? { value: line.sympos.value, text: String(line.sympos.value), location: line.sympos.location } : undefined,
    otherFields: [],
    location: line.location,
    isTerminator: false,
  };
}

/** The `{ }` the generator ends each funcs array with, placed after the object's last line. */
function generatedTerminator(line: PatchedFuncsLine): KlpFunc {
  return { oldName: undefined, newFunc: undefined, oldSympos: undefined, otherFields: [], location: line.location, isTerminator: true };
}

/** The klp_object entry (and its funcs array) the generator writes for the lines of one object. */
export function generatedObject(object: string, lines: PatchedFuncsLine[], definitions: Definitions): KlpObject {
  const first = lines[0];
  const funcs = [...lines.map((line) => generatedFunc(line, definitions)), generatedTerminator(lines[lines.length - 1])];
  return {
    name: object === vmlinuxObject ? undefined : { value: object, text: `"${object}"`, location: first.object.location },
    funcsArrayName: `${object.replace(/-/g, '_')}_funcs`,
    funcsLocation: first.location,
    funcs,
    funcsTerminated: true,
    callbacks: [],
    otherFields: [],
    location: first.location,
    isTerminator: false,
  };
}

/** Lines grouped by object, objects in order of first appearance. */
export function linesByObject(lines: readonly PatchedFuncsLine[]): Map<string, PatchedFuncsLine[]> {
  const byObject = new Map<string, PatchedFuncsLine[]>();
  for (const line of lines) {
    const list = byObject.get(line.object.value);
    if (list) list.push(line);
    else byObject.set(line.object.value, [line]);
  }
  return byObject;
}

function compareNumbers(a: number, b: number): number {
  return a - b;
}

/**
 * Where a table's markers go among its own entries (start offsets, in order): for each marker,
 * in offset order, the index of the entry its generated entries come before (the entry count
 * when they come last).
 */
export function entriesBeforeMarkers(entries: readonly { offset: number }[], markerOffsets: readonly number[]): number[] {
  const before: number[] = [];
  let i = 0;
  for (const marker of [...markerOffsets].sort(compareNumbers)) {
    while (i < entries.length && entries[i].offset <= marker) i++;
    before.push(i);
  }
  return before;
}
