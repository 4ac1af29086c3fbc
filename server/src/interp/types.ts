/**
 * C types of the interpreter, laid out for x86_64 (LP64): char 1, short 2, int 4, long and
 * long long 8, pointers 8, plain char signed. Floating point is not modelled (kernel code does
 * not use it).
 */

export interface VoidType {
  readonly k: 'void';
}
export interface IntType {
  readonly k: 'int';
  readonly size: 1 | 2 | 4 | 8;
  readonly signed: boolean;
  readonly name: string;
  /** `bool`/`_Bool`: conversion yields 0 or 1. */
  readonly isBool?: boolean;
  /** Integer rank for the usual arithmetic conversions (long long above long). */
  readonly rank: number;
}
export interface PtrType {
  readonly k: 'ptr';
  readonly to: CType;
}
export interface ArrayType {
  readonly k: 'array';
  readonly of: CType;
  /** undefined for `int a[]` before its initializer fixes the length. */
  readonly length: number | undefined;
}
export interface FuncType {
  readonly k: 'func';
  readonly ret: CType;
  /** undefined for an unprototyped `int f()` declaration. */
  readonly params: CType[] | undefined;
  readonly variadic: boolean;
}

export interface Field {
  /** undefined for an anonymous struct/union member (its fields are reachable directly). */
  name: string | undefined;
  type: CType;
  offset: number;
  /** Bit-field placement inside the storage unit of `type` at `offset`. */
  bits?: { shift: number; width: number };
}

export class StructType {
  readonly k = 'struct' as const;
  fields: Field[] = [];
  size = 0;
  align = 1;
  complete = false;
  constructor(readonly tag: string | undefined, readonly isUnion: boolean) {}

  /** Finds a member, looking through anonymous members; offset is relative to this struct. */
  field(name: string): Field | undefined {
    for (const f of this.fields) {
      if (f.name === name) return f;
      if (f.name === undefined && f.type.k === 'struct') {
        const inner = f.type.field(name);
        if (inner) return { ...inner, offset: inner.offset + f.offset };
      }
    }
    return undefined;
  }
}

export type CType = VoidType | IntType | PtrType | ArrayType | FuncType | StructType;

function int(name: string, size: 1 | 2 | 4 | 8, signed: boolean, rank: number, isBool = false): IntType {
  return isBool ? { k: 'int', name, size, signed, rank, isBool } : { k: 'int', name, size, signed, rank };
}

export const Void: VoidType = { k: 'void' };
export const Bool = int('bool', 1, false, 0, true);
export const Char = int('char', 1, true, 1);
export const SChar = int('signed char', 1, true, 1);
export const UChar = int('unsigned char', 1, false, 1);
export const Short = int('short', 2, true, 2);
export const UShort = int('unsigned short', 2, false, 2);
export const Int = int('int', 4, true, 3);
export const UInt = int('unsigned int', 4, false, 3);
export const Long = int('long', 8, true, 4);
export const ULong = int('unsigned long', 8, false, 4);
export const LLong = int('long long', 8, true, 5);
export const ULLong = int('unsigned long long', 8, false, 5);
export const VoidPtr: PtrType = { k: 'ptr', to: Void };
export const CharPtr: PtrType = { k: 'ptr', to: Char };

export function ptr(to: CType): PtrType {
  return { k: 'ptr', to };
}
export function array(of: CType, length: number | undefined): ArrayType {
  return { k: 'array', of, length };
}

export function sizeOf(t: CType): number {
  switch (t.k) {
    case 'void':
      return 1; // GNU: sizeof(void) == 1, so void * arithmetic works
    case 'int':
      return t.size;
    case 'ptr':
      return 8;
    case 'array':
      return (t.length ?? 0) * sizeOf(t.of);
    case 'func':
      return 1;
    case 'struct':
      return t.size;
  }
}

export function alignOf(t: CType): number {
  switch (t.k) {
    case 'int':
      return t.size;
    case 'ptr':
      return 8;
    case 'array':
      return alignOf(t.of);
    case 'struct':
      return t.align;
    default:
      return 1;
  }
}

export function isInteger(t: CType): t is IntType {
  return t.k === 'int';
}
export function isScalar(t: CType): boolean {
  return t.k === 'int' || t.k === 'ptr';
}
/** 64-bit integers may hold bigints; everything else is always a JS number. */
export function isWide(t: CType): boolean {
  return t.k === 'int' && t.size === 8;
}

/** Integer promotion: everything narrower than int becomes int. */
export function promote(t: IntType): IntType {
  return t.size < 4 ? Int : t;
}

/** The usual arithmetic conversions for LP64. */
export function commonType(a: IntType, b: IntType): IntType {
  const x = promote(a);
  const y = promote(b);
  if (x === y) return x;
  if (x.signed === y.signed) return x.rank >= y.rank ? x : y;
  const [u, s] = x.signed ? [y, x] : [x, y];
  if (u.rank >= s.rank) return u;
  if (s.size > u.size) return s;
  return s.rank === LLong.rank ? ULLong : ULong;
}

export function sameType(a: CType, b: CType): boolean {
  if (a === b) return true;
  if (a.k !== b.k) return false;
  switch (a.k) {
    case 'int':
      return a.size === (b as IntType).size && a.signed === (b as IntType).signed && !!a.isBool === !!(b as IntType).isBool;
    case 'ptr':
      return sameType(a.to, (b as PtrType).to);
    case 'array':
      return a.length === (b as ArrayType).length && sameType(a.of, (b as ArrayType).of);
    default:
      return a === b;
  }
}

export function typeName(t: CType): string {
  switch (t.k) {
    case 'void':
      return 'void';
    case 'int':
      return t.name;
    case 'ptr':
      return t.to.k === 'func' ? `${typeName(t.to.ret)} (*)(...)` : `${typeName(t.to)} *`;
    case 'array':
      return `${typeName(t.of)} [${t.length ?? ''}]`;
    case 'func':
      return `${typeName(t.ret)} (${(t.params ?? []).map(typeName).join(', ')})`;
    case 'struct':
      return `${t.isUnion ? 'union' : 'struct'} ${t.tag ?? '<anonymous>'}`;
  }
}

/** Lays out a struct or union from its members (fields may include bit-fields). */
export function layoutStruct(
  s: StructType,
  members: { name: string | undefined; type: CType; bitWidth?: number }[],
  packed: boolean,
): void {
  let offset = 0;
  let align = 1;
  let size = 0;
  // Bit-field allocation state: current storage unit start and bits used in it.
  let unitStart = -1;
  let unitSize = 0;
  let bitsUsed = 0;
  s.fields = [];
  for (const m of members) {
    const a = packed ? 1 : alignOf(m.type);
    const msize = sizeOf(m.type);
    if (m.bitWidth !== undefined && m.type.k === 'int') {
      if (s.isUnion) {
        s.fields.push({ name: m.name, type: m.type, offset: 0, bits: { shift: 0, width: m.bitWidth } });
        size = Math.max(size, msize);
        align = Math.max(align, a);
        continue;
      }
      if (m.bitWidth === 0) {
        unitStart = -1;
        continue;
      }
      if (unitStart < 0 || unitSize !== msize || bitsUsed + m.bitWidth > msize * 8) {
        offset = align2(offset, a);
        unitStart = offset;
        unitSize = msize;
        bitsUsed = 0;
        offset += msize;
      }
      if (m.name !== undefined) s.fields.push({ name: m.name, type: m.type, offset: unitStart, bits: { shift: bitsUsed, width: m.bitWidth } });
      bitsUsed += m.bitWidth;
      align = Math.max(align, a);
      continue;
    }
    unitStart = -1;
    if (s.isUnion) {
      s.fields.push({ name: m.name, type: m.type, offset: 0 });
      size = Math.max(size, msize);
    } else {
      offset = align2(offset, a);
      s.fields.push({ name: m.name, type: m.type, offset });
      offset += msize;
    }
    align = Math.max(align, a);
  }
  if (!s.isUnion) size = offset;
  s.align = align;
  s.size = align2(size, align);
  s.complete = true;
}

export function align2(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}
