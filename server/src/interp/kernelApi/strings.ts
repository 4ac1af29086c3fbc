/**
 * string.h, kstrto*, simple_strto*, and the printf family into buffers. Every read and write
 * goes through checked memory, so overruns fault like any other access.
 */
import type { HostFunction } from '../host';
import type { Machine } from '../machine';
import type { Memory } from '../memory';
import { convertInt, type Val } from '../values';
import { formatKernel } from './format';
import { E2BIG, EINVAL, ERANGE, formatContext, host, num } from './support';

function compare(mem: Memory, a: number, b: number, limit: number, fold: boolean): number {
  for (let i = 0; i < limit; i++) {
    let c1 = mem.u8(a + i);
    let c2 = mem.u8(b + i);
    if (fold) {
      if (c1 >= 65 && c1 <= 90) c1 += 32;
      if (c2 >= 65 && c2 <= 90) c2 += 32;
    }
    if (c1 !== c2) return c1 < c2 ? -1 : 1;
    if (c1 === 0) return 0;
  }
  return 0;
}

function writeString(mem: Memory, dst: number, text: string): void {
  mem.writeBytes(dst, Buffer.from(`${text}\0`, 'latin1'));
}

const isSpace = (c: number) => c === 32 || (c >= 9 && c <= 13);

/** Parses like the kernel's _parse_integer with base detection; undefined when invalid. */
export function parseInteger(text: string, base: number, allowSign: boolean): { value: bigint; negative: boolean; end: number } | undefined {
  let i = 0;
  let negative = false;
  if (text[i] === '+') i++;
  else if (text[i] === '-' && allowSign) {
    negative = true;
    i++;
  }
  let b = base;
  if (b === 0) {
    if (text[i] === '0' && (text[i + 1] === 'x' || text[i + 1] === 'X') && /[0-9a-fA-F]/.test(text[i + 2] ?? '')) {
      b = 16;
      i += 2;
    } else if (text[i] === '0') b = 8;
    else b = 10;
  } else if (b === 16 && text[i] === '0' && (text[i + 1] === 'x' || text[i + 1] === 'X')) i += 2;
  const start = i;
  let value = 0n;
  for (; i < text.length; i++) {
    const d = parseInt(text[i], 36);
    if (Number.isNaN(d) || d >= b) break;
    value = value * BigInt(b) + BigInt(d);
  }
  if (i === start) return undefined;
  return { value, negative, end: i };
}

/** kstrto*: whole string (one trailing newline allowed) into a `size`-byte integer. */
function kstrto(m: Machine, args: Val[], size: number, signed: boolean): number {
  const text = m.memory.cstring(num(args[0]), 64);
  const parsed = parseInteger(text, num(args[1]), signed);
  if (!parsed) return -EINVAL;
  const rest = text.slice(parsed.end);
  if (rest !== '' && rest !== '\n') return -EINVAL;
  const value = parsed.negative ? -parsed.value : parsed.value;
  const bits = BigInt(size * 8);
  const min = signed ? -(1n << (bits - 1n)) : 0n;
  const max = signed ? (1n << (bits - 1n)) - 1n : (1n << bits) - 1n;
  if (value < min || value > max) return -ERANGE;
  const v = convertInt(value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value, size, signed);
  const dst = num(args[2]);
  if (size === 1) m.memory.w8(dst, v as number);
  else if (size === 2) m.memory.w16(dst, v as number);
  else if (size === 4) m.memory.w32(dst, v as number);
  else m.memory.w64(dst, v);
  return 0;
}

export function parseBool(text: string): boolean | undefined {
  switch (text[0]) {
    case 'y':
    case 'Y':
    case 't':
    case 'T':
    case '1':
      return true;
    case 'n':
    case 'N':
    case 'f':
    case 'F':
    case '0':
      return false;
    case 'o':
    case 'O':
      if (text[1] === 'n' || text[1] === 'N') return true;
      if (text[1] === 'f' || text[1] === 'F') return false;
      return undefined;
    default:
      return undefined;
  }
}

function simpleStrto(m: Machine, args: Val[], signed: boolean): Val {
  const start = num(args[0]);
  const text = m.memory.cstring(start, 64);
  const parsed = parseInteger(text, num(args[2]), signed);
  const end = num(args[1]);
  if (end !== 0) m.memory.w64(end, start + (parsed?.end ?? 0));
  if (!parsed) return 0;
  const v = parsed.negative ? -parsed.value : parsed.value;
  return convertInt(v, 8, signed);
}

function format(m: Machine, args: Val[], fmtIndex: number): string {
  return formatKernel(formatContext(m), m.memory.cstring(num(args[fmtIndex])), args, fmtIndex + 1);
}

export const stringApi: HostFunction[] = [
  host('strlen', (m, _t, a) => m.memory.strlen(num(a[0]))),
  host('strnlen', (m, _t, a) => m.memory.strlen(num(a[0]), num(a[1]))),
  host('strcmp', (m, _t, a) => compare(m.memory, num(a[0]), num(a[1]), Infinity, false)),
  host('strncmp', (m, _t, a) => compare(m.memory, num(a[0]), num(a[1]), num(a[2]), false)),
  host('strcasecmp', (m, _t, a) => compare(m.memory, num(a[0]), num(a[1]), Infinity, true)),
  host('strncasecmp', (m, _t, a) => compare(m.memory, num(a[0]), num(a[1]), num(a[2]), true)),
  host('strcpy', (m, _t, a) => {
    const n = m.memory.strlen(num(a[1]));
    m.memory.copy(num(a[0]), num(a[1]), n + 1);
    return a[0];
  }),
  host('strncpy', (m, _t, a) => {
    const [dst, src, count] = [num(a[0]), num(a[1]), num(a[2])];
    const n = m.memory.strlen(src, count);
    m.memory.copy(dst, src, n);
    if (count > n) m.memory.fill(dst + n, 0, count - n);
    return dst;
  }),
  host('strscpy', (m, _t, a) => {
    const [dst, src, count] = [num(a[0]), num(a[1]), num(a[2])];
    if (count <= 0) return -E2BIG;
    const n = m.memory.strlen(src, count);
    if (n >= count) {
      m.memory.copy(dst, src, count - 1);
      m.memory.w8(dst + count - 1, 0);
      return -E2BIG;
    }
    m.memory.copy(dst, src, n + 1);
    return n;
  }),
  host('strlcpy', (m, _t, a) => {
    const [dst, src, size] = [num(a[0]), num(a[1]), num(a[2])];
    const n = m.memory.strlen(src);
    if (size > 0) {
      const k = Math.min(n, size - 1);
      m.memory.copy(dst, src, k);
      m.memory.w8(dst + k, 0);
    }
    return n;
  }),
  host('strcat', (m, _t, a) => {
    const dst = num(a[0]);
    const n = m.memory.strlen(num(a[1]));
    m.memory.copy(dst + m.memory.strlen(dst), num(a[1]), n + 1);
    return dst;
  }),
  host('strncat', (m, _t, a) => {
    const dst = num(a[0]);
    const n = m.memory.strlen(num(a[1]), num(a[2]));
    const end = dst + m.memory.strlen(dst);
    m.memory.copy(end, num(a[1]), n);
    m.memory.w8(end + n, 0);
    return dst;
  }),
  host('strlcat', (m, _t, a) => {
    const [dst, src, count] = [num(a[0]), num(a[1]), num(a[2])];
    const dlen = m.memory.strlen(dst, count);
    const slen = m.memory.strlen(src);
    if (dlen >= count) return dlen + slen;
    const k = Math.min(slen, count - dlen - 1);
    m.memory.copy(dst + dlen, src, k);
    m.memory.w8(dst + dlen + k, 0);
    return dlen + slen;
  }),
  host('strchr', (m, _t, a) => {
    const s = num(a[0]);
    const c = num(a[1]) & 0xff;
    const n = m.memory.strlen(s);
    for (let i = 0; i <= n; i++) if (m.memory.u8(s + i) === c) return s + i;
    return 0;
  }),
  host('strnchr', (m, _t, a) => {
    const s = num(a[0]);
    const c = num(a[2]) & 0xff;
    const n = m.memory.strlen(s, num(a[1]));
    for (let i = 0; i < n; i++) if (m.memory.u8(s + i) === c) return s + i;
    return 0;
  }),
  host('strrchr', (m, _t, a) => {
    const s = num(a[0]);
    const c = num(a[1]) & 0xff;
    const n = m.memory.strlen(s);
    for (let i = n; i >= 0; i--) if (m.memory.u8(s + i) === c) return s + i;
    return 0;
  }),
  host('strstr', (m, _t, a) => {
    const s = num(a[0]);
    const hay = m.memory.cstring(s);
    const needle = m.memory.cstring(num(a[1]));
    const i = hay.indexOf(needle);
    return i < 0 ? 0 : s + i;
  }),
  host('skip_spaces', (m, _t, a) => {
    let s = num(a[0]);
    while (isSpace(m.memory.u8(s))) s++;
    return s;
  }),
  host('strim', (m, _t, a) => {
    let s = num(a[0]);
    let n = m.memory.strlen(s);
    while (n > 0 && isSpace(m.memory.u8(s + n - 1))) n--;
    if (n < m.memory.strlen(s)) m.memory.w8(s + n, 0);
    while (isSpace(m.memory.u8(s))) s++;
    return s;
  }),
  host('sysfs_streq', (m, _t, a) => {
    const x = m.memory.cstring(num(a[0])).replace(/\n$/, '');
    const y = m.memory.cstring(num(a[1])).replace(/\n$/, '');
    return x === y ? 1 : 0;
  }),
  host('match_string', (m, _t, a) => {
    const [array, n, s] = [num(a[0]), num(a[1]), num(a[2])];
    const want = m.memory.cstring(s);
    for (let i = 0; i < n; i++) {
      const p = m.memory.ptr(array + 8 * i);
      if (p === 0) break;
      if (m.memory.cstring(p) === want) return i;
    }
    return -EINVAL;
  }),
  host('memcpy', (m, _t, a) => {
    m.memory.copy(num(a[0]), num(a[1]), num(a[2]));
    return a[0];
  }),
  host('memmove', (m, _t, a) => {
    m.memory.copy(num(a[0]), num(a[1]), num(a[2]));
    return a[0];
  }),
  host('memset', (m, _t, a) => {
    m.memory.fill(num(a[0]), num(a[1]), num(a[2]));
    return a[0];
  }),
  host('memcmp', (m, _t, a) => {
    const [x, y, n] = [num(a[0]), num(a[1]), num(a[2])];
    for (let i = 0; i < n; i++) {
      const d = m.memory.u8(x + i) - m.memory.u8(y + i);
      if (d !== 0) return d;
    }
    return 0;
  }),
  host('memchr', (m, _t, a) => {
    const [s, c, n] = [num(a[0]), num(a[1]) & 0xff, num(a[2])];
    for (let i = 0; i < n; i++) if (m.memory.u8(s + i) === c) return s + i;
    return 0;
  }),
  host('sprintf', (m, _t, a) => {
    const text = format(m, a, 1);
    writeString(m.memory, num(a[0]), text);
    return text.length;
  }),
  host('snprintf', (m, _t, a) => {
    const text = format(m, a, 2);
    const size = num(a[1]);
    if (size > 0) writeString(m.memory, num(a[0]), text.slice(0, size - 1));
    return text.length;
  }),
  host('scnprintf', (m, _t, a) => {
    const text = format(m, a, 2);
    const size = num(a[1]);
    if (size <= 0) return 0;
    const written = text.slice(0, size - 1);
    writeString(m.memory, num(a[0]), written);
    return written.length;
  }),
  host('kstrtoint', (m, _t, a) => kstrto(m, a, 4, true)),
  host('kstrtouint', (m, _t, a) => kstrto(m, a, 4, false)),
  host('kstrtol', (m, _t, a) => kstrto(m, a, 8, true)),
  host('kstrtoul', (m, _t, a) => kstrto(m, a, 8, false)),
  host('kstrtoll', (m, _t, a) => kstrto(m, a, 8, true)),
  host('kstrtoull', (m, _t, a) => kstrto(m, a, 8, false)),
  host('kstrtou8', (m, _t, a) => kstrto(m, a, 1, false)),
  host('kstrtou16', (m, _t, a) => kstrto(m, a, 2, false)),
  host('kstrtos32', (m, _t, a) => kstrto(m, a, 4, true)),
  host('kstrtou32', (m, _t, a) => kstrto(m, a, 4, false)),
  host('kstrtobool', (m, _t, a) => {
    const v = parseBool(m.memory.cstring(num(a[0]), 8));
    if (v === undefined) return -EINVAL;
    m.memory.w8(num(a[1]), v ? 1 : 0);
    return 0;
  }),
  host('simple_strtoul', (m, _t, a) => simpleStrto(m, a, false)),
  host('simple_strtoull', (m, _t, a) => simpleStrto(m, a, false)),
  host('simple_strtol', (m, _t, a) => simpleStrto(m, a, true)),
];
