/**
 * Closure factories: loads, stores, conversions and arithmetic specialised per C type, so the
 * closures the compiler builds do no type dispatch at run time.
 */
import { fault } from '../fault';
import type { Frame } from '../frame';
import { readPtr, readS64, readU64, write64 } from '../memory';
import type { Cond, Ev } from '../program';
import { Int, isWide, type CType, type IntType } from '../types';
import {
  add64, and64, convertInt, div64, mul64, neg64, not64, or64, rem64, shl64, shr64, sub64, toPointer, xor64, type Val,
} from '../values';

type N = (f: Frame) => number;

/** Scalar kind used to pick specialised closures. */
export type Kind = 'i8' | 'u8' | 'i16' | 'u16' | 'i32' | 'u32' | 'i64' | 'u64' | 'ptr' | 'bool';

export function kindOf(t: CType): Kind {
  if (t.k === 'ptr') return 'ptr';
  if (t.k !== 'int') return 'ptr'; // arrays/functions/structs are handled by address
  if (t.isBool) return 'bool';
  switch (t.size) {
    case 1:
      return t.signed ? 'i8' : 'u8';
    case 2:
      return t.signed ? 'i16' : 'u16';
    case 4:
      return t.signed ? 'i32' : 'u32';
    default:
      return t.signed ? 'i64' : 'u64';
  }
}

/** Load of a scalar at a computed address (checked). */
export function loadAt(t: CType, addr: Ev): Ev {
  const a = addr as N;
  switch (kindOf(t)) {
    case 'i8':
      return (f) => f.m.s8(a(f));
    case 'u8':
    case 'bool':
      return (f) => f.m.u8(a(f));
    case 'i16':
      return (f) => f.m.s16(a(f));
    case 'u16':
      return (f) => f.m.u16(a(f));
    case 'i32':
      return (f) => f.m.s32(a(f));
    case 'u32':
      return (f) => f.m.u32(a(f));
    case 'i64':
      return (f) => f.m.s64(a(f));
    case 'u64':
      return (f) => f.m.u64(a(f));
    case 'ptr':
      return (f) => f.m.ptr(a(f));
  }
}

/** Load of a scalar in the frame's own memory (unchecked: the offset is the compiler's). */
export function loadFrame(t: CType, off: number): Ev {
  switch (kindOf(t)) {
    case 'i8':
      return (f) => f.view.getInt8(off);
    case 'u8':
    case 'bool':
      return (f) => f.view.getUint8(off);
    case 'i16':
      return (f) => f.view.getInt16(off, true);
    case 'u16':
      return (f) => f.view.getUint16(off, true);
    case 'i32':
      return (f) => f.view.getInt32(off, true);
    case 'u32':
      return (f) => f.view.getUint32(off, true);
    case 'i64':
      return (f) => readS64(f.view, off);
    case 'u64':
      return (f) => readU64(f.view, off);
    case 'ptr':
      return (f) => readPtr(f.view, off);
  }
}

/** Raw store of an already-converted value. */
export type Storer = (f: Frame, a: number, v: Val) => void;
export function storer(t: CType): Storer {
  switch (kindOf(t)) {
    case 'i8':
    case 'u8':
    case 'bool':
      return (f, a, v) => f.m.w8(a, v as number);
    case 'i16':
    case 'u16':
      return (f, a, v) => f.m.w16(a, v as number);
    case 'i32':
    case 'u32':
      return (f, a, v) => f.m.w32(a, v as number);
    default:
      return (f, a, v) => f.m.w64(a, v);
  }
}
export type FrameStorer = (f: Frame, v: Val) => void;
export function frameStorer(t: CType, off: number): FrameStorer {
  switch (kindOf(t)) {
    case 'i8':
    case 'u8':
    case 'bool':
      return (f, v) => f.view.setUint8(off, (v as number) & 0xff);
    case 'i16':
    case 'u16':
      return (f, v) => f.view.setUint16(off, (v as number) & 0xffff, true);
    case 'i32':
    case 'u32':
      return (f, v) => f.view.setUint32(off, (v as number) >>> 0, true);
    default:
      return (f, v) => write64(f.view, off, v);
  }
}

/** Converts a value of type `from` to type `to` (both scalar). */
export function convert(from: CType, to: CType, e: Ev): Ev {
  if (to.k === 'void') return e;
  if (to.k === 'ptr') {
    if (from.k === 'ptr' || (from.k === 'int' && !isWide(from))) return e;
    return (f) => toPointer(e(f));
  }
  if (to.k !== 'int') return e;
  if (to.isBool) {
    if (from.k === 'int' && from.isBool) return e;
    return (f) => (e(f) != 0 ? 1 : 0); // eslint-disable-line eqeqeq
  }
  const n = e as N;
  const fromWide = from.k === 'int' ? from.size === 8 : false;
  if (from.k === 'int' && from.size === to.size && from.signed === to.signed) return e;
  // Widening within the same signedness, or to a wider signed type, keeps the value.
  if (from.k === 'int' && from.size < to.size && (from.signed === to.signed || (!from.signed && to.signed))) return e;
  if (fromWide || from.k === 'ptr') {
    if (from.k === 'ptr' && to.size === 8 && to.signed) return e;
    return (f) => convertInt(e(f), to.size, to.signed);
  }
  switch (to.size) {
    case 1:
      return to.signed ? (f) => (n(f) << 24) >> 24 : (f) => n(f) & 0xff;
    case 2:
      return to.signed ? (f) => (n(f) << 16) >> 16 : (f) => n(f) & 0xffff;
    case 4:
      return to.signed ? (f) => n(f) | 0 : (f) => n(f) >>> 0;
    default:
      // Negative narrow value into an unsigned 64-bit type.
      return (f) => convertInt(n(f), 8, false);
  }
}

/** Converts a compile-time constant. */
export function convertConst(from: CType, to: CType, v: Val): Val {
  if (to.k === 'ptr') return toPointer(v);
  if (to.k !== 'int') return v;
  if (to.isBool) return v != 0 ? 1 : 0; // eslint-disable-line eqeqeq
  if (from.k === 'ptr' && to.size === 8 && to.signed) return v;
  return convertInt(v, to.size, to.signed);
}

export type ArithOp = '+' | '-' | '*' | '/' | '%' | '&' | '|' | '^' | '<<' | '>>';

function divZero(): never {
  fault('division-by-zero', 'division by zero');
}

/** Arithmetic on operands already converted to `t` (for shifts: `a` is of type t, `b` any int). */
export function arith(op: ArithOp, t: IntType, a: Ev, b: Ev): Ev {
  const x = a as N;
  const y = b as N;
  if (t.size === 8) {
    const s = t.signed;
    switch (op) {
      case '+':
        return (f) => add64(a(f), b(f), s);
      case '-':
        return (f) => sub64(a(f), b(f), s);
      case '*':
        return (f) => mul64(a(f), b(f), s);
      case '/':
        return (f) => {
          const l = a(f);
          const r = b(f);
          if (r == 0) divZero(); // eslint-disable-line eqeqeq
          return div64(l, r, s);
        };
      case '%':
        return (f) => {
          const l = a(f);
          const r = b(f);
          if (r == 0) divZero(); // eslint-disable-line eqeqeq
          return rem64(l, r, s);
        };
      case '&':
        return (f) => and64(a(f), b(f), s);
      case '|':
        return (f) => or64(a(f), b(f), s);
      case '^':
        return (f) => xor64(a(f), b(f), s);
      case '<<':
        return (f) => shl64(a(f), Number(b(f)), s);
      case '>>':
        return (f) => shr64(a(f), Number(b(f)), s);
    }
  }
  if (t.signed) {
    switch (op) {
      case '+':
        return (f) => (x(f) + y(f)) | 0;
      case '-':
        return (f) => (x(f) - y(f)) | 0;
      case '*':
        return (f) => Math.imul(x(f), y(f));
      case '/':
        return (f) => {
          const r = y(f);
          if (r === 0) divZero();
          return (x(f) / r) | 0;
        };
      case '%':
        return (f) => {
          const l = x(f);
          const r = y(f);
          if (r === 0) divZero();
          return (l % r) | 0;
        };
      case '&':
        return (f) => x(f) & y(f);
      case '|':
        return (f) => x(f) | y(f);
      case '^':
        return (f) => x(f) ^ y(f);
      case '<<':
        return (f) => x(f) << (Number(b(f)) & 31);
      case '>>':
        return (f) => x(f) >> (Number(b(f)) & 31);
    }
  }
  switch (op) {
    case '+':
      return (f) => (x(f) + y(f)) >>> 0;
    case '-':
      return (f) => (x(f) - y(f)) >>> 0;
    case '*':
      return (f) => Math.imul(x(f), y(f)) >>> 0;
    case '/':
      return (f) => {
        const r = y(f);
        if (r === 0) divZero();
        return Math.floor(x(f) / r);
      };
    case '%':
      return (f) => {
        const l = x(f);
        const r = y(f);
        if (r === 0) divZero();
        return l % r;
      };
    case '&':
      return (f) => (x(f) & y(f)) >>> 0;
    case '|':
      return (f) => (x(f) | y(f)) >>> 0;
    case '^':
      return (f) => (x(f) ^ y(f)) >>> 0;
    case '<<':
      return (f) => (x(f) << (Number(b(f)) & 31)) >>> 0;
    case '>>':
      return (f) => x(f) >>> (Number(b(f)) & 31);
  }
}

/** Constant folding with the same semantics as arith(). */
export function arithConst(op: ArithOp, t: IntType, a: Val, b: Val): Val | undefined {
  const ev = arith(op, t, () => a, () => b);
  try {
    return ev(undefined as unknown as Frame);
  } catch {
    return undefined; // division by zero: left to run time
  }
}

export type CmpOp = '==' | '!=' | '<' | '>' | '<=' | '>=';

export function compare(op: CmpOp, wide: boolean, a: Ev, b: Ev): Cond {
  if (!wide) {
    const x = a as N;
    const y = b as N;
    switch (op) {
      case '==':
        return (f) => x(f) === y(f);
      case '!=':
        return (f) => x(f) !== y(f);
      case '<':
        return (f) => x(f) < y(f);
      case '>':
        return (f) => x(f) > y(f);
      case '<=':
        return (f) => x(f) <= y(f);
      case '>=':
        return (f) => x(f) >= y(f);
    }
  }
  /* eslint-disable eqeqeq -- number/bigint mixes compare by value */
  switch (op) {
    case '==':
      return (f) => a(f) == b(f);
    case '!=':
      return (f) => a(f) != b(f);
    case '<':
      return (f) => a(f) < b(f);
    case '>':
      return (f) => a(f) > b(f);
    case '<=':
      return (f) => a(f) <= b(f);
    case '>=':
      return (f) => a(f) >= b(f);
  }
  /* eslint-enable eqeqeq */
}

export function negate(t: IntType, a: Ev): Ev {
  const x = a as N;
  if (t.size === 8) return (f) => neg64(a(f), t.signed);
  return t.signed ? (f) => -x(f) | 0 : (f) => (-x(f)) >>> 0;
}
export function complement(t: IntType, a: Ev): Ev {
  const x = a as N;
  if (t.size === 8) return (f) => not64(a(f), t.signed);
  return t.signed ? (f) => ~x(f) : (f) => ~x(f) >>> 0;
}

export function truthy(t: CType, e: Ev): Cond {
  if (isWide(t)) return (f) => e(f) != 0; // eslint-disable-line eqeqeq
  const n = e as N;
  return (f) => n(f) !== 0;
}

export function condValue(c: Cond): Ev {
  return (f) => (c(f) ? 1 : 0);
}

export const intType: IntType = Int;

/** Load of a scalar at an address computed by the caller (for read-modify-write). */
export type RawLoader = (f: Frame, a: number) => Val;
export function rawLoader(t: CType): RawLoader {
  switch (kindOf(t)) {
    case 'i8':
      return (f, a) => f.m.s8(a);
    case 'u8':
    case 'bool':
      return (f, a) => f.m.u8(a);
    case 'i16':
      return (f, a) => f.m.s16(a);
    case 'u16':
      return (f, a) => f.m.u16(a);
    case 'i32':
      return (f, a) => f.m.s32(a);
    case 'u32':
      return (f, a) => f.m.u32(a);
    case 'i64':
      return (f, a) => f.m.s64(a);
    case 'u64':
      return (f, a) => f.m.u64(a);
    case 'ptr':
      return (f, a) => f.m.ptr(a);
  }
}
