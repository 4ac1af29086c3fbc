/**
 * The data layout behind a shadow variable call, from the source model: the type the call's
 * result is used as (a cast, the pointer it is declared as, assigned to or returned as), else
 * the type its size argument measures, through the module's typedefs, plus the module's own
 * definition of that struct or union. The model reads all of it from the tree
 * (model/fileFacts.ts); nothing here looks at text. Unknown never yields a finding.
 */
import type { LivepatchModule, ShadowCall } from '../../model/types';

export interface ShadowLayout {
  /** The type as the model names it, typedefs of the module followed: "struct sv_counter", "unsigned long", "u64". */
  type: string;
  /** Members of the struct or union, when the module defines it. */
  fields?: string[];
  /** The typedef name the code used, when it used one. */
  writtenAs?: string;
}

/** Typedef chains are short; the bound only guards against a cycle in broken code. */
const maxTypedefSteps = 8;

/** A type with the module's typedefs followed until a name the module does not typedef (or an anonymous struct's members). */
function resolvedType(type: string, module: LivepatchModule): string {
  let current = type;
  for (let step = 0; step < maxTypedefSteps && !module.records?.has(current); step++) {
    const next = module.typedefs?.get(current);
    if (next === undefined || next === current) break;
    current = next;
  }
  return current;
}

export function shadowLayout(call: ShadowCall, module: LivepatchModule): ShadowLayout | undefined {
  const written = call.resultType ?? call.sizeType;
  if (written === undefined || written === 'void') return undefined;
  const type = resolvedType(written, module);
  const fields = module.records?.get(type)?.fields;
  const layout: ShadowLayout = fields ? { type, fields } : { type };
  if (type !== written) layout.writtenAs = written;
  return layout;
}

function isRecord(type: string): boolean {
  return type.startsWith('struct ') || type.startsWith('union ');
}

/** A struct or union: by its name, or an anonymous one known by a typedef name and its members. */
function isRecordLayout(layout: ShadowLayout): boolean {
  return isRecord(layout.type) || layout.fields !== undefined;
}

/** Kernel integer typedefs by size (x86_64 and every other 64-bit livepatch architecture). */
const typedefSizes = new Map<string, number>([
  ...['u8', 's8', '__u8', '__s8', 'bool'].map((name): [string, number] => [name, 1]),
  ...['u16', 's16', '__u16', '__s16'].map((name): [string, number] => [name, 2]),
  ...['u32', 's32', '__u32', '__s32', 'pid_t', 'uid_t', 'gid_t'].map((name): [string, number] => [name, 4]),
  ...['u64', 's64', '__u64', '__s64', 'size_t', 'ssize_t', 'loff_t', 'uintptr_t'].map((name): [string, number] => [name, 8]),
]);

const integerWords = new Set(['signed', 'unsigned', 'char', 'short', 'int', 'long']);

/** Size of a scalar type on a 64-bit kernel, or undefined for records and names it does not know. */
function scalarSize(type: string): number | undefined {
  if (type.endsWith('*')) return 8;
  const known = typedefSizes.get(type);
  if (known !== undefined) return known;
  const words = type.split(' ');
  if (!words.every((word) => integerWords.has(word))) return undefined;
  if (words.includes('char')) return 1;
  if (words.includes('short')) return 2;
  if (words.includes('long')) return 8;
  return 4;
}

function sameFields(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((field, index) => field === b[index]);
}

/**
 * Whether two layouts certainly differ: one struct name with two different member lists, two
 * records with different members (or one of them unknown), a record against a scalar, or
 * scalars of different sizes. A typedef name the module does not define is never reported.
 */
export function layoutsDiffer(a: ShadowLayout, b: ShadowLayout): boolean {
  if (a.type === b.type) return a.fields !== undefined && b.fields !== undefined && !sameFields(a.fields, b.fields);
  const aRecord = isRecordLayout(a);
  const bRecord = isRecordLayout(b);
  if (aRecord && bRecord) return !(a.fields && b.fields && sameFields(a.fields, b.fields));
  const aSize = aRecord ? undefined : scalarSize(a.type);
  const bSize = bRecord ? undefined : scalarSize(b.type);
  if (aRecord || bRecord) return (aRecord ? bSize : aSize) !== undefined;
  return aSize !== undefined && bSize !== undefined && aSize !== bSize;
}

export function describeLayout(layout: ShadowLayout): string {
  const name = layout.writtenAs ? `${layout.writtenAs} (${layout.type})` : layout.type;
  return layout.fields ? `${name} { ${layout.fields.map((field) => `${field};`).join(' ')} }` : name;
}
