/**
 * The data layout behind a shadow variable call, read from the source text: the model knows the
 * id and the size expression, but not the type of the pointer the result is stored in. Only
 * plain kernel-style spellings are recognised (`struct x *p = klp_shadow_get(...)`,
 * `p = klp_shadow_get_or_alloc(obj, ID, sizeof(*p), ...)`, casts); anything else is unknown,
 * and unknown never yields a finding.
 */
import type { Location } from '../../model/location';
import type { LivepatchModule, ShadowCall } from '../../model/types';

export interface ShadowLayout {
  /** The type as written, normalised: "struct sv_counter", "unsigned long". */
  type: string;
  /** The struct or union body with comments and spacing removed, when the module defines it. */
  body?: string;
}

/** Offsets of the line starts of a text. */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let index = text.indexOf('\n'); index >= 0; index = text.indexOf('\n', index + 1)) starts.push(index + 1);
  return starts;
}

/** Line starts per file, recomputed when its text changes (a module's files are few). */
const lineIndex = new Map<string, { text: string; starts: number[] }>();

function offsetOf(path: string, text: string, position: Location['range']['start']): number {
  let entry = lineIndex.get(path);
  if (!entry || entry.text !== text) {
    entry = { text, starts: lineStarts(text) };
    if (lineIndex.size >= 256) lineIndex.clear();
    lineIndex.set(path, entry);
  }
  return (entry.starts[position.line] ?? text.length) + position.character;
}

const typeName = String.raw`(?:const\s+)?(?:(?:struct|union|enum)\s+[A-Za-z_]\w*|(?:unsigned\s+|signed\s+)?(?:long\s+long|long|int|short|char)(?:\s+int)?|[A-Za-z_]\w*)`;

function normalizeType(type: string): string {
  return type.replace(/\bconst\s+/g, '').replace(/\s+/g, ' ').trim();
}

function withoutComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/[^\n]*/g, ' ');
}

function escape(name: string): string {
  return name.replace(/[$]/g, '\\$');
}

/** The pointed-to type of a variable declared in `scope` as `T *name` (also in lists and parameters). */
function declaredPointerType(name: string, scope: string): string | undefined {
  const direct = new RegExp(String.raw`(${typeName})\s*\*\s*${escape(name)}\s*(?:[=;,)\[])`).exec(scope);
  if (direct && !/^(return|else|do|case|goto|sizeof)$/.test(direct[1])) return normalizeType(direct[1]);
  const listed = new RegExp(String.raw`(${typeName})\s+[^;{}()]*?[,]\s*\*\s*${escape(name)}\s*[=;,]`).exec(scope);
  return listed ? normalizeType(listed[1]) : undefined;
}

/** The type a size expression measures: `sizeof(struct x)`, `sizeof(*p)`, `sizeof(long)`. */
function sizedType(size: string, scope: string): string | undefined {
  const inner = /^\s*sizeof\s*\(?\s*(.*?)\s*\)?\s*$/.exec(size)?.[1];
  if (inner === undefined) return undefined;
  const dereferenced = /^\*\s*\(?\s*([A-Za-z_]\w*)\s*\)?$/.exec(inner);
  if (dereferenced) return declaredPointerType(dereferenced[1], scope);
  if (new RegExp(`^${typeName}$`).test(inner) && (/^(const\s+)?(struct|union|enum)\s/.test(inner) || /^(unsigned|signed|long|int|short|char|u8|u16|u32|u64|s8|s16|s32|s64|bool|[a-z_0-9]+_t)\b/.test(inner)))
    return normalizeType(inner);
  return undefined;
}

/** The body of `struct name { ... }` in the text, comments and spacing removed. */
function structBody(type: string, texts: readonly string[]): string | undefined {
  const match = /^(struct|union)\s+([A-Za-z_]\w*)$/.exec(type);
  if (!match) return undefined;
  const pattern = new RegExp(String.raw`\b${match[1]}\s+${escape(match[2])}\s*\{`, 'g');
  for (const text of texts) {
    pattern.lastIndex = 0;
    const found = pattern.exec(text);
    if (!found) continue;
    let depth = 0;
    for (let index = found.index + found[0].length - 1; index < text.length; index++) {
      const c = text[index];
      if (c === '{') depth++;
      else if (c === '}' && --depth === 0) return withoutComments(text.slice(found.index + found[0].length, index)).replace(/\s+/g, ' ').trim();
    }
  }
  return undefined;
}

/**
 * The layout a call works with: the type of the pointer its result lands in (a cast, a
 * declaration or an assignment), else what its size argument measures.
 */
export function shadowLayout(call: ShadowCall, module: LivepatchModule, textOf: (path: string) => string | undefined): ShadowLayout | undefined {
  // A call object lives as long as its module's model, which is rebuilt when a file changes.
  if (layoutCache.has(call)) return layoutCache.get(call) ?? undefined;
  const layout = readLayout(call, module, textOf);
  layoutCache.set(call, layout ?? null);
  return layout;
}

const layoutCache = new WeakMap<ShadowCall, ShadowLayout | null>();

function readLayout(call: ShadowCall, module: LivepatchModule, textOf: (path: string) => string | undefined): ShadowLayout | undefined {
  if (call.api === 'klp_shadow_free' || call.api === 'klp_shadow_free_all') return undefined;
  const path = call.location.file;
  const text = textOf(path);
  if (text === undefined) return undefined;
  const start = offsetOf(path, text, call.location.range.start);
  const definition = module.functions.get(call.enclosingFunction);
  const scope = definition && definition.file === path ? withoutComments(text.slice(offsetOf(path, text, definition.location.range.start), start)) : '';
  const statement = withoutComments(text.slice(Math.max(0, start - 400), start)).split(/[;{}]/).pop() ?? '';
  let type: string | undefined;
  const cast = new RegExp(String.raw`\(\s*(${typeName})\s*\*\s*\)\s*$`).exec(statement);
  const declaration = new RegExp(String.raw`(${typeName})\s*\*\s*[A-Za-z_]\w*\s*=\s*$`).exec(statement);
  const assignment = /([A-Za-z_]\w*)\s*=\s*$/.exec(statement);
  if (cast) type = normalizeType(cast[1]);
  else if (declaration) type = normalizeType(declaration[1]);
  else if (assignment) type = declaredPointerType(assignment[1], scope);
  if (type === undefined && call.size) type = sizedType(call.size.text, scope);
  if (type === undefined || type === 'void') return undefined;
  const texts = module.files.map((file) => textOf(file)).filter((t): t is string => t !== undefined);
  return { type, body: structBody(type, texts) };
}

/** Two layouts differ when their types differ, or one struct name has two different bodies. */
export function layoutsDiffer(a: ShadowLayout, b: ShadowLayout): boolean {
  if (a.type !== b.type) return true;
  return a.body !== undefined && b.body !== undefined && a.body !== b.body;
}

export function describeLayout(layout: ShadowLayout): string {
  return layout.body !== undefined ? `${layout.type} { ${layout.body} }` : layout.type;
}
