/** C literals: integer constants with their C type, character constants, string bytes. */
import { Int, Long, LLong, UInt, ULong, ULLong, type IntType } from '../types';
import { canon, type Val } from '../values';

const fits = (v: bigint, t: IntType): boolean => {
  const bits = BigInt(t.size * 8);
  return t.signed ? v < 1n << (bits - 1n) : v < 1n << bits;
};

/** Value and type of an integer literal; undefined for floating constants. */
export function integerLiteral(text: string): { value: Val; type: IntType } | undefined {
  const m = /^(0[xX][0-9a-fA-F]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)([uUlL]*)$/.exec(text.replace(/'/g, ''));
  if (!m) return undefined;
  const [, digits, suffixRaw] = m;
  const suffix = suffixRaw.toLowerCase();
  let value: bigint;
  if (/^0[xX]/.test(digits)) value = BigInt(digits);
  else if (/^0[bB]/.test(digits)) value = BigInt(digits);
  else if (digits.length > 1 && digits.startsWith('0')) value = BigInt(`0o${digits.slice(1)}`);
  else value = BigInt(digits);
  const decimal = /^[1-9]/.test(digits) || digits === '0';
  const unsigned = suffix.includes('u');
  const longs = (suffix.match(/l/g) ?? []).length;
  let candidates: IntType[];
  if (longs >= 2) candidates = unsigned ? [ULLong] : decimal ? [LLong] : [LLong, ULLong];
  else if (longs === 1) candidates = unsigned ? [ULong] : decimal ? [Long] : [Long, ULong];
  else if (unsigned) candidates = [UInt, ULong];
  else candidates = decimal ? [Int, Long] : [Int, UInt, Long, ULong];
  const type = candidates.find((t) => fits(value, t)) ?? ULLong;
  return { value: canon(BigInt.asUintN(64, value)), type };
}

const simpleEscapes: Record<string, number> = {
  n: 10, t: 9, r: 13, '0': 0, a: 7, b: 8, f: 12, v: 11, e: 27, '\\': 92, "'": 39, '"': 34, '?': 63,
};

/** Bytes of the body of a string or character literal (escapes decoded, UTF-8 for others). */
export function literalBytes(body: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c !== '\\') {
      const code = body.codePointAt(i)!;
      if (code < 0x80) out.push(code);
      else {
        out.push(...new TextEncoder().encode(String.fromCodePoint(code)));
        if (code > 0xffff) i++;
      }
      continue;
    }
    const e = body[++i];
    if (e === 'x') {
      let j = i + 1;
      while (j < body.length && /[0-9a-fA-F]/.test(body[j])) j++;
      out.push(parseInt(body.slice(i + 1, j), 16) & 0xff);
      i = j - 1;
    } else if (e !== undefined && /[0-7]/.test(e)) {
      let j = i;
      while (j < body.length && j < i + 3 && /[0-7]/.test(body[j])) j++;
      out.push(parseInt(body.slice(i, j), 8) & 0xff);
      i = j - 1;
    } else if (e !== undefined) out.push(simpleEscapes[e] ?? e.charCodeAt(0));
  }
  return out;
}

/** Bytes of a string literal token such as `"a\n"` or `u8"x"`. */
export function stringLiteralBytes(token: string): number[] {
  const open = token.indexOf('"');
  const close = token.lastIndexOf('"');
  return literalBytes(token.slice(open + 1, close > open ? close : undefined));
}

/** Value of a character constant (type int; plain char is signed). */
export function charLiteralValue(token: string): number {
  const open = token.indexOf("'");
  const close = token.lastIndexOf("'");
  const bytes = literalBytes(token.slice(open + 1, close > open ? close : undefined));
  if (bytes.length === 0) return 0;
  if (bytes.length === 1) return bytes[0] > 127 ? bytes[0] - 256 : bytes[0];
  // Multi-character constant: gcc packs the bytes big-endian into an int.
  let v = 0;
  for (const b of bytes.slice(-4)) v = ((v << 8) | b) | 0;
  return v;
}
