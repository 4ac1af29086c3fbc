/**
 * Types from declarations: declaration specifiers (primitive, sized, typedef names, struct,
 * union, enum) and declarators (pointer, array, function, parenthesised), applied inside-out as
 * C reads them.
 */
import type { Node } from 'web-tree-sitter';
import {
  array, Bool, Char, Int, Long, LLong, layoutStruct, ptr, Short, SChar, StructType, UChar, UInt, ULong, ULLong, UShort, Void,
  type CType, type FuncType, type IntType,
} from '../types';
import { fail } from './errors';
import type { Scope } from './scope';

/** What declaration processing needs from the compiler around it. */
export interface TypeContext {
  scope: Scope;
  /** Value of an integer constant expression (array sizes, enumerators, bit widths). */
  constInt(node: Node): number;
  /** Type named by a lifted `typeof(...)` placeholder. */
  typeofType(index: number, node: Node): CType;
  /** Records a struct/union type program-wide (by tag) for Machine.readStruct. */
  registerStruct(type: StructType): void;
  /** Records an enum constant program-wide. */
  onEnumerator?(name: string, value: number): void;
}

const primitives: Record<string, CType> = {
  void: Void, char: Char, int: Int, short: Short, long: Long, bool: Bool, _Bool: Bool,
  size_t: ULong, ssize_t: Long, ptrdiff_t: Long, intptr_t: Long, uintptr_t: ULong,
  int8_t: SChar, int16_t: Short, int32_t: Int, int64_t: LLong, uint8_t: UChar, uint16_t: UShort,
  uint32_t: UInt, uint64_t: ULLong, char8_t: UChar, char16_t: UShort, char32_t: UInt,
};

export interface Specifiers {
  type: CType;
  storage: Set<string>;
  isConst: boolean;
}

function children(node: Node): Node[] {
  return node.namedChildren.filter((c): c is Node => c !== null);
}

/** Declaration specifiers of a declaration-like node (its `type` field plus qualifiers). */
export function specifiers(cx: TypeContext, node: Node): Specifiers {
  const storage = new Set<string>();
  let isConst = false;
  for (const child of children(node)) {
    if (child.type === 'storage_class_specifier') storage.add(child.text);
    else if (child.type === 'type_qualifier' && child.text === 'const') isConst = true;
  }
  const typeNode = node.childForFieldName('type');
  if (!typeNode) fail('declaration without a type', node);
  return { type: typeFromSpecifier(cx, typeNode), storage, isConst };
}

export function typeFromSpecifier(cx: TypeContext, node: Node): CType {
  switch (node.type) {
    case 'primitive_type': {
      const t = primitives[node.text];
      if (!t) fail(`unsupported type '${node.text}'`, node);
      return t;
    }
    case 'sized_type_specifier':
      return sizedType(node);
    case 'type_identifier': {
      const name = node.text;
      const lifted = /^__interp_typeof_(\d+)$/.exec(name);
      if (lifted) return cx.typeofType(Number(lifted[1]), node);
      const sym = cx.scope.lookup(name);
      if (sym?.kind === 'typedef') return sym.type;
      return fail(`unknown type name '${name}'`, node, 'not-modeled');
    }
    case 'struct_specifier':
    case 'union_specifier':
      return structType(cx, node, node.type === 'union_specifier');
    case 'enum_specifier':
      return enumType(cx, node);
    case 'macro_type_specifier':
      return fail(`unsupported type macro '${node.text}'`, node);
    default:
      return fail(`unsupported type specifier '${node.type}'`, node);
  }
}

function sizedType(node: Node): IntType {
  const words = node.text.split(/\s+/);
  let longs = 0;
  let unsigned = false;
  let short = false;
  let char = false;
  for (const w of words) {
    if (w === 'long') longs++;
    else if (w === 'unsigned') unsigned = true;
    else if (w === 'short') short = true;
    else if (w === 'char') char = true;
  }
  if (char) return unsigned ? UChar : words.includes('signed') ? SChar : Char;
  if (short) return unsigned ? UShort : Short;
  if (longs >= 2) return unsigned ? ULLong : LLong;
  if (longs === 1) return unsigned ? ULong : Long;
  return unsigned ? UInt : Int;
}

function structType(cx: TypeContext, node: Node, isUnion: boolean): StructType {
  const nameNode = node.childForFieldName('name');
  const body = node.childForFieldName('body');
  const tag = nameNode?.text;
  let type: StructType | undefined;
  if (tag !== undefined) {
    // A body defines the tag in this scope; a bare reference finds an outer one or declares it.
    const here = cx.scope.lookupTagHere(tag);
    const visible = body ? here : cx.scope.lookupTag(tag);
    if (visible?.kind === 'struct' && (!body || !visible.type.complete)) type = visible.type;
  }
  if (!type) {
    type = new StructType(tag, isUnion);
    if (tag !== undefined) cx.scope.defineTag(tag, { kind: 'struct', type });
  }
  if (body) {
    const members: { name: string | undefined; type: CType; bitWidth?: number }[] = [];
    for (const field of children(body)) {
      if (field.type !== 'field_declaration') continue;
      const spec = specifiers(cx, field);
      // Each declarator may carry its own bit width: `unsigned a:3, b:5;`.
      const parts = children(field);
      const declarators = field.childrenForFieldName('declarator').filter((d): d is Node => d !== null);
      const widthAfter = (d: Node): number | undefined => {
        const i = parts.findIndex((c) => c.id === d.id);
        const next = i >= 0 ? parts[i + 1] : undefined;
        return next?.type === 'bitfield_clause' ? cx.constInt(children(next)[0]) : undefined;
      };
      if (declarators.length === 0) {
        // Anonymous struct/union member (or an unnamed bit-field used as padding).
        const bitfield = parts.find((c) => c.type === 'bitfield_clause');
        members.push({ name: undefined, type: spec.type, bitWidth: bitfield ? cx.constInt(children(bitfield)[0]) : undefined });
        continue;
      }
      for (const d of declarators) {
        const { name, type: t } = declarator(cx, d, spec.type);
        members.push({ name, type: t, bitWidth: widthAfter(d) });
      }
    }
    layoutStruct(type, members, false);
    cx.registerStruct(type);
  }
  return type;
}

function enumType(cx: TypeContext, node: Node): CType {
  const nameNode = node.childForFieldName('name');
  const body = node.childForFieldName('body');
  if (body) {
    let next = 0;
    for (const e of children(body)) {
      if (e.type !== 'enumerator') continue;
      const name = e.childForFieldName('name')!.text;
      const valueNode = e.childForFieldName('value');
      const value = valueNode ? cx.constInt(valueNode) : next;
      cx.scope.define(name, { kind: 'const', type: Int, value });
      cx.onEnumerator?.(name, value);
      next = value + 1;
    }
    if (nameNode) cx.scope.defineTag(nameNode.text, { kind: 'enum', type: Int });
  }
  return Int;
}

export interface Declared {
  name: string | undefined;
  type: CType;
  /** Parameter names when the declarator declares a function (for definitions). */
  params?: { name: string | undefined; type: CType; node: Node }[];
  nameNode?: Node;
}

/** Applies a declarator to a base type. */
export function declarator(cx: TypeContext, node: Node | null, base: CType): Declared {
  let type = base;
  let params: Declared['params'];
  let current: Node | null = node;
  while (current) {
    switch (current.type) {
      case 'identifier':
      case 'field_identifier':
      case 'type_identifier':
      case 'primitive_type':
        return { name: current.text, type, params, nameNode: current };
      case 'pointer_declarator':
      case 'abstract_pointer_declarator':
        type = ptr(type);
        current = current.childForFieldName('declarator');
        continue;
      case 'array_declarator':
      case 'abstract_array_declarator': {
        const size = current.childForFieldName('size');
        const length = size && size.text !== '*' ? cx.constInt(size) : undefined;
        type = array(type, length);
        current = current.childForFieldName('declarator');
        continue;
      }
      case 'function_declarator':
      case 'abstract_function_declarator': {
        const list = current.childForFieldName('parameters');
        const parsed = parameters(cx, list);
        type = { k: 'func', ret: type, params: parsed.types, variadic: parsed.variadic } satisfies FuncType;
        const inner = current.childForFieldName('declarator');
        if (!inner || inner.type === 'identifier' || inner.type === 'field_identifier' || inner.type === 'type_identifier') params = parsed.named;
        current = inner;
        continue;
      }
      case 'parenthesized_declarator':
      case 'abstract_parenthesized_declarator':
      case 'attributed_declarator':
        current = children(current).find((c) => c.type !== 'attribute_specifier' && c.type !== 'attribute_declaration') ?? null;
        continue;
      case 'init_declarator':
        current = current.childForFieldName('declarator');
        continue;
      default:
        fail(`unsupported declarator '${current.type}'`, current);
    }
  }
  return { name: undefined, type, params };
}

function parameters(cx: TypeContext, list: Node | null): { types: CType[] | undefined; variadic: boolean; named: NonNullable<Declared['params']> } {
  const named: NonNullable<Declared['params']> = [];
  if (!list) return { types: undefined, variadic: false, named };
  let variadic = false;
  const types: CType[] = [];
  const params = children(list);
  if (params.length === 0) return { types: undefined, variadic: false, named };
  for (const p of params) {
    if (p.type === 'variadic_parameter') {
      variadic = true;
      continue;
    }
    if (p.type !== 'parameter_declaration') continue;
    const spec = specifiers(cx, p);
    const d = declarator(cx, p.childForFieldName('declarator'), spec.type);
    let t = d.type;
    if (t.k === 'void' && d.name === undefined && params.length === 1) return { types: [], variadic: false, named };
    if (t.k === 'array') t = ptr(t.of);
    else if (t.k === 'func') t = ptr(t);
    types.push(t);
    named.push({ name: d.name, type: t, node: p });
  }
  return { types, variadic, named };
}

/** Type of a `type_descriptor` (casts, sizeof, compound literals). */
export function typeDescriptor(cx: TypeContext, node: Node): CType {
  const spec = specifiers(cx, node);
  return declarator(cx, node.childForFieldName('declarator'), spec.type).type;
}
