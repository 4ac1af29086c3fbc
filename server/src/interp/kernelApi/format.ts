/**
 * The kernel's vsnprintf (lib/vsprintf.c) for the conversions modules use: %d %i %u %x %X %o
 * %c %s %p (hashed) %px %pK %ps %pS %pB %pe %%, flags `-0+ #`, field width and precision
 * (numbers or `*`), length modifiers hh h l ll z t j. `%s` of NULL prints "(null)", of an error
 * pointer or an unreadable address "(efault)". `%p` prints the 32-bit hash of the address as
 * 16 hex digits ("00000000" + 8), NULL and error pointers raw, like the kernel without
 * no_hash_pointers. Output is bytes in a Latin-1 string (one char per byte).
 */
import { errnoTable } from '../kernelHeaders/basics';
import { FaultSignal } from '../fault';
import type { Memory } from '../memory';
import { asUnsigned64, big, convertInt, type Val } from '../values';

/** Symbol lookup for %ps/%pS: name, offset in the function, its size and module. */
export type SymbolLookup = (address: number) => { name: string; offset: number; size: number; module: string | undefined } | undefined;

const errnoNames = new Map<number, string>();
for (const [name, value] of Object.entries(errnoTable)) if (!errnoNames.has(value)) errnoNames.set(value, name);
errnoNames.set(11, 'EAGAIN');

/** Deterministic stand-in for the kernel's siphash of a pointer (32 bits kept). */
export function hashPointer(address: number): number {
  let h = 0x811c9dc5;
  let x = address;
  for (let i = 0; i < 8; i++) {
    h ^= x & 0xff;
    h = Math.imul(h, 0x01000193) >>> 0;
    x = Math.floor(x / 256);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  return h >>> 0;
}

interface Spec {
  left: boolean;
  zero: boolean;
  plus: boolean;
  space: boolean;
  alt: boolean;
  width: number;
  precision: number;
  length: string;
}

function pad(body: string, spec: Spec, zeroAllowed: boolean, signLength = 0): string {
  if (spec.width <= body.length) return body;
  const fill = spec.width - body.length;
  if (spec.left) return body + ' '.repeat(fill);
  if (spec.zero && zeroAllowed) return body.slice(0, signLength) + '0'.repeat(fill) + body.slice(signLength);
  return ' '.repeat(fill) + body;
}

function integerBits(length: string, conv: string): { size: number } {
  switch (length) {
    case 'hh':
      return { size: 1 };
    case 'h':
      return { size: 2 };
    case 'l':
    case 'll':
    case 'z':
    case 't':
    case 'j':
    case 'L':
    case 'q':
      return { size: 8 };
    default:
      return { size: conv === 'p' ? 8 : 4 };
  }
}

function formatInteger(v: Val, conv: string, spec: Spec): string {
  const { size } = integerBits(spec.length, conv);
  const signed = conv === 'd' || conv === 'i';
  const value = big(convertInt(v, size, signed));
  const negative = value < 0n;
  const magnitude = negative ? -value : value;
  const base = conv === 'x' || conv === 'X' ? 16 : conv === 'o' ? 8 : 10;
  let digits = magnitude.toString(base);
  if (conv === 'X') digits = digits.toUpperCase();
  if (spec.precision >= 0) {
    if (spec.precision === 0 && magnitude === 0n) digits = '';
    digits = digits.padStart(spec.precision, '0');
  }
  let prefix = '';
  if (signed) prefix = negative ? '-' : spec.plus ? '+' : spec.space ? ' ' : '';
  if (spec.alt && magnitude !== 0n) {
    if (base === 16) prefix += conv === 'X' ? '0X' : '0x';
    else if (base === 8 && !digits.startsWith('0')) prefix += '0';
  }
  return pad(prefix + digits, spec, spec.precision < 0, prefix.length);
}

function hex16(n: Val): string {
  return asUnsigned64(n).toString(16).padStart(16, '0');
}

export interface FormatContext {
  memory: Memory;
  symbol: SymbolLookup;
}

/** Formats `fmt` with `args` (taken from index `first`). */
export function formatKernel(ctx: FormatContext, fmt: string, args: Val[], first = 0): string {
  let out = '';
  let arg = first;
  const next = (): Val => (arg < args.length ? args[arg++] : 0);
  for (let i = 0; i < fmt.length; i++) {
    const c = fmt[i];
    if (c !== '%') {
      out += c;
      continue;
    }
    const start = i;
    const spec: Spec = { left: false, zero: false, plus: false, space: false, alt: false, width: -1, precision: -1, length: '' };
    let j = i + 1;
    for (; j < fmt.length; j++) {
      const f = fmt[j];
      if (f === '-') spec.left = true;
      else if (f === '0') spec.zero = true;
      else if (f === '+') spec.plus = true;
      else if (f === ' ') spec.space = true;
      else if (f === '#') spec.alt = true;
      else break;
    }
    if (fmt[j] === '*') {
      const w = Number(convertInt(next(), 4, true));
      if (w < 0) {
        spec.left = true;
        spec.width = -w;
      } else spec.width = w;
      j++;
    } else {
      let w = '';
      while (j < fmt.length && /[0-9]/.test(fmt[j])) w += fmt[j++];
      if (w) spec.width = Number(w);
    }
    if (fmt[j] === '.') {
      j++;
      if (fmt[j] === '*') {
        spec.precision = Math.max(0, Number(convertInt(next(), 4, true)));
        j++;
      } else {
        let p = '';
        while (j < fmt.length && /[0-9]/.test(fmt[j])) p += fmt[j++];
        spec.precision = p ? Number(p) : 0;
      }
    }
    const lengthMatch = /^(hh|h|ll|l|z|t|j|L|q)/.exec(fmt.slice(j, j + 2));
    if (lengthMatch) {
      spec.length = lengthMatch[1];
      j += spec.length.length;
    }
    const conv = fmt[j];
    i = j;
    switch (conv) {
      case '%':
        out += '%';
        break;
      case 'd':
      case 'i':
      case 'u':
      case 'x':
      case 'X':
      case 'o':
        out += formatInteger(next(), conv, spec);
        break;
      case 'c':
        out += pad(String.fromCharCode(Number(convertInt(next(), 1, false))), spec, false);
        break;
      case 's':
        out += pad(readString(ctx.memory, Number(next()), spec.precision), spec, false);
        break;
      case 'p': {
        const { text, consumed } = formatPointer(ctx, Number(next()), fmt.slice(j + 1), spec);
        out += text;
        i += consumed;
        break;
      }
      case 'n':
        next();
        break;
      case undefined:
        out += '%';
        break;
      default:
        // Unknown conversion: printed as is, as vsnprintf does.
        out += fmt.slice(start, j + 1);
    }
  }
  return out;
}

function readString(memory: Memory, address: number, precision: number): string {
  if (address >= 0 && address < 4096) return '(null)';
  if (address < 0 || address >= 2 ** 53) return '(efault)';
  try {
    return memory.cstring(address, precision >= 0 ? precision : Infinity);
  } catch (e) {
    if (e instanceof FaultSignal) return '(efault)';
    throw e;
  }
}

function formatPointer(ctx: FormatContext, address: number, rest: string, spec: Spec): { text: string; consumed: number } {
  const kind = rest[0];
  const isErr = address < 0 && address >= -4095;
  const raw = (): string => {
    const body = hex16(address);
    return spec.width > 0 ? pad(body.replace(/^0+(?=.)/, ''), spec, true) : body;
  };
  switch (kind) {
    case 'S':
    case 's':
    case 'F':
    case 'f':
    case 'B': {
      const withOffset = kind === 'S' || kind === 'F' || kind === 'B';
      const consumed = rest[1] === 'R' || rest[1] === 'b' ? 2 : 1;
      const sym = ctx.symbol(address);
      if (!sym) return { text: pad(`0x${asUnsigned64(address).toString(16)}`, spec, false), consumed };
      let text = sym.name;
      if (withOffset) text += `+0x${sym.offset.toString(16)}/0x${sym.size.toString(16)}`;
      if (sym.module) text += ` [${sym.module}]`;
      return { text: pad(text, spec, false), consumed };
    }
    case 'x':
      return { text: raw(), consumed: 1 };
    case 'e': {
      if (!isErr) return { text: hashed(address, spec), consumed: 1 };
      const name = errnoNames.get(-address);
      return { text: pad(name ? `-${name}` : String(address), spec, false), consumed: 1 };
    }
    case 'K':
      return { text: hashed(address, spec), consumed: 1 };
    default:
      return { text: hashed(address, spec), consumed: 0 };
  }
}

function hashed(address: number, spec: Spec): string {
  if (address === 0 || (address < 0 && address >= -4095)) return pad(hex16(address), spec, false);
  return pad(hashPointer(address).toString(16).padStart(16, '0'), spec, false);
}
