/**
 * Module parameters as the kernel's param_ops format and parse them (kernel/params.c):
 * int/uint/long/ulong/short/ushort/byte/ullong/hexint print in decimal (hexint as 0x%x),
 * bool/invbool as Y/N, charp as the string ("(null)" for NULL), string as the buffer.
 * Setting parses with kstrto* rules (base 0, one trailing newline) and returns 0 or -errno.
 */
import type { Machine } from '../machine';
import type { ModuleParam } from '../loader';
import { convertInt } from '../values';
import { parseBool, parseInteger } from './strings';
import { EINVAL, ENOSPC, ERANGE } from './support';

export interface ParamCodec {
  get(m: Machine, p: ModuleParam): string;
  set(m: Machine, p: ModuleParam, value: string, module: string): number;
}

const integerTypes: Record<string, { size: number; signed: boolean }> = {
  byte: { size: 1, signed: false },
  short: { size: 2, signed: true },
  ushort: { size: 2, signed: false },
  int: { size: 4, signed: true },
  uint: { size: 4, signed: false },
  hexint: { size: 4, signed: false },
  long: { size: 8, signed: true },
  ulong: { size: 8, signed: false },
  ullong: { size: 8, signed: false },
};

function readInt(m: Machine, a: number, size: number, signed: boolean): bigint {
  switch (size) {
    case 1:
      return BigInt(signed ? m.memory.s8(a) : m.memory.u8(a));
    case 2:
      return BigInt(signed ? m.memory.s16(a) : m.memory.u16(a));
    case 4:
      return BigInt(signed ? m.memory.s32(a) : m.memory.u32(a));
    default:
      return BigInt(signed ? m.memory.s64(a) : m.memory.u64(a));
  }
}

export const paramCodec: ParamCodec = {
  get(m, p) {
    const int = integerTypes[p.type];
    if (int) {
      const v = readInt(m, p.address, int.size, int.signed);
      return p.type === 'hexint' ? `0x${v.toString(16)}` : v.toString();
    }
    switch (p.type) {
      case 'bool':
        return m.memory.u8(p.address) ? 'Y' : 'N';
      case 'invbool':
        return m.memory.u8(p.address) ? 'N' : 'Y';
      case 'charp': {
        const s = m.memory.ptr(p.address);
        return s === 0 ? '(null)' : m.memory.cstring(s);
      }
      case 'string':
        return m.memory.cstring(p.address, p.maxlen);
      default:
        throw new Error(`unsupported parameter type '${p.type}'`);
    }
  },
  set(m, p, value, module) {
    const text = value.replace(/\n$/, '');
    const int = integerTypes[p.type];
    if (int) {
      const parsed = parseInteger(text, 0, int.signed);
      if (!parsed || parsed.end !== text.length) return -EINVAL;
      const v = parsed.negative ? -parsed.value : parsed.value;
      const bits = BigInt(int.size * 8);
      const min = int.signed ? -(1n << (bits - 1n)) : 0n;
      const max = int.signed ? (1n << (bits - 1n)) - 1n : (1n << bits) - 1n;
      if (v < min || v > max) return -ERANGE;
      const c = convertInt(v, int.size, int.signed);
      if (int.size === 1) m.memory.w8(p.address, c as number);
      else if (int.size === 2) m.memory.w16(p.address, c as number);
      else if (int.size === 4) m.memory.w32(p.address, c as number);
      else m.memory.w64(p.address, c);
      return 0;
    }
    switch (p.type) {
      case 'bool':
      case 'invbool': {
        const b = parseBool(text);
        if (b === undefined) return -EINVAL;
        m.memory.w8(p.address, (p.type === 'bool') === b ? 1 : 0);
        return 0;
      }
      case 'charp': {
        if (text.length > 1024) return -ENOSPC;
        const old = m.memory.ptr(p.address);
        const fromParam = m.kernel.paramStrings.has(old);
        const block = m.memory.alloc(text.length + 1, 'kernel', `charp parameter ${p.name} of ${module}`, undefined);
        m.memory.writeBytes(block.base, Buffer.from(`${text}\0`, 'latin1'));
        m.kernel.paramStrings.add(block.base);
        m.memory.w64(p.address, block.base);
        if (fromParam) {
          m.kernel.paramStrings.delete(old);
          const b = m.memory.blockAt(old);
          if (b) m.memory.free(b);
        }
        return 0;
      }
      case 'string':
        if (text.length + 1 > p.maxlen) return -ENOSPC;
        m.memory.writeBytes(p.address, Buffer.from(`${text}\0`, 'latin1'));
        return 0;
      default:
        return -EINVAL;
    }
  },
};
