/**
 * Integer values of the interpreted C program.
 *
 * Representation (chosen for speed): every value is a JS `number` while it is a safe integer
 * (|v| <= 2^53 - 1) and a `bigint` only when it is not. Types of 32 bits or less, pointers and
 * addresses are therefore always numbers; 64-bit types are numbers in the common case and fall
 * back to BigInt for large magnitudes (`~0UL`, `-1ULL`, hashes). The form is canonical: a value
 * is a bigint iff it is not a safe integer, so equal values always have the same representation
 * and the fast paths below can test `typeof` once.
 */
export type Val = number | bigint;

const MAX = Number.MAX_SAFE_INTEGER;
const MAXN = BigInt(MAX);
const MINN = -MAXN;

/** Canonical form of a bigint that is already within the type's range. */
export function canon(v: bigint): Val {
  return v <= MAXN && v >= MINN ? Number(v) : v;
}

export function big(v: Val): bigint {
  return typeof v === 'bigint' ? v : BigInt(v);
}

export function wrapS64(v: bigint): Val {
  return canon(BigInt.asIntN(64, v));
}
export function wrapU64(v: bigint): Val {
  return canon(BigInt.asUintN(64, v));
}

/** Integer conversion to a C integer type of `size` bytes. */
export function convertInt(v: Val, size: number, signed: boolean): Val {
  if (typeof v === 'number') {
    switch (size) {
      case 4:
        return signed ? v | 0 : v >>> 0;
      case 1:
        return signed ? (v << 24) >> 24 : v & 0xff;
      case 2:
        return signed ? (v << 16) >> 16 : v & 0xffff;
      default:
        if (signed || v >= 0) return v;
        return wrapU64(BigInt(v));
    }
  }
  if (size === 8) return signed ? wrapS64(v) : wrapU64(v);
  return convertInt(Number(BigInt.asIntN(32, v)), size, signed);
}

export function toBool(v: Val): number {
  return v != 0 ? 1 : 0; // eslint-disable-line eqeqeq -- number/bigint comparison
}

/** A pointer value from any integer (large values lose precision but stay invalid addresses). */
export function toPointer(v: Val): number {
  if (typeof v === 'number') return v;
  return Number(BigInt.asIntN(64, v));
}

/** 64-bit arithmetic with wraparound. `signed` picks the result type. */
export function add64(a: Val, b: Val, signed: boolean): Val {
  if (typeof a === 'number' && typeof b === 'number') {
    const r = a + b;
    if (r <= MAX && r >= (signed ? -MAX : 0)) return r;
  }
  return signed ? wrapS64(big(a) + big(b)) : wrapU64(big(a) + big(b));
}
export function sub64(a: Val, b: Val, signed: boolean): Val {
  if (typeof a === 'number' && typeof b === 'number') {
    const r = a - b;
    if (r <= MAX && r >= (signed ? -MAX : 0)) return r;
  }
  return signed ? wrapS64(big(a) - big(b)) : wrapU64(big(a) - big(b));
}
export function mul64(a: Val, b: Val, signed: boolean): Val {
  if (typeof a === 'number' && typeof b === 'number') {
    const r = a * b;
    if (r <= MAX && r >= (signed ? -MAX : 0)) return r;
  }
  return signed ? wrapS64(big(a) * big(b)) : wrapU64(big(a) * big(b));
}
/** Caller checks for a zero divisor. */
export function div64(a: Val, b: Val, signed: boolean): Val {
  if (typeof a === 'number' && typeof b === 'number') return Math.trunc(a / b) + 0;
  return signed ? wrapS64(big(a) / big(b)) : wrapU64(big(a) / big(b));
}
export function rem64(a: Val, b: Val, signed: boolean): Val {
  if (typeof a === 'number' && typeof b === 'number') return (a % b) + 0;
  return signed ? wrapS64(big(a) % big(b)) : wrapU64(big(a) % big(b));
}

function small(v: Val): v is number {
  return typeof v === 'number' && v >= -0x80000000 && v <= 0x7fffffff;
}
export function and64(a: Val, b: Val, signed: boolean): Val {
  if (small(a) && small(b)) return a & b;
  return signed ? wrapS64(big(a) & big(b)) : wrapU64(big(a) & big(b));
}
export function or64(a: Val, b: Val, signed: boolean): Val {
  if (small(a) && small(b)) return a | b;
  return signed ? wrapS64(big(a) | big(b)) : wrapU64(big(a) | big(b));
}
export function xor64(a: Val, b: Val, signed: boolean): Val {
  if (small(a) && small(b)) return a ^ b;
  return signed ? wrapS64(big(a) ^ big(b)) : wrapU64(big(a) ^ big(b));
}
export function not64(a: Val, signed: boolean): Val {
  if (small(a)) return signed ? ~a : wrapU64(BigInt(~a));
  return signed ? wrapS64(~big(a)) : wrapU64(~big(a));
}
export function neg64(a: Val, signed: boolean): Val {
  if (typeof a === 'number' && signed) return -a + 0;
  return signed ? wrapS64(-big(a)) : wrapU64(-big(a));
}
/** Shift counts are masked to 0..63 (x86 behaviour for out-of-range counts). */
export function shl64(a: Val, n: number, signed: boolean): Val {
  n &= 63;
  if (typeof a === 'number' && n < 31) {
    const r = a * (1 << n);
    if (r <= MAX && r >= (signed ? -MAX : 0)) return r;
  }
  return signed ? wrapS64(big(a) << BigInt(n)) : wrapU64(big(a) << BigInt(n));
}
export function shr64(a: Val, n: number, signed: boolean): Val {
  n &= 63;
  if (typeof a === 'number') return n < 31 ? Math.floor(a / (1 << n)) : signed || a >= 0 ? Math.floor(a / 2 ** n) : 0;
  return canon(big(a) >> BigInt(n));
}

/** Unsigned 64-bit view of a value (for printing with %llu / %llx). */
export function asUnsigned64(v: Val): bigint {
  return BigInt.asUintN(64, big(v));
}
