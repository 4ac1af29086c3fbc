/**
 * Byte-addressable memory of a machine. Every allocation (global, string literal, stack frame,
 * heap block, task_struct, function code) owns one 16 MiB "slot" of a flat fake address space,
 * so the block behind an address is found by one division and an array index, addresses stay
 * far below 2^53, and running off the end of a block lands in its own unused slot space, where
 * it is caught. Slot 0 is never allocated: NULL and small offsets from it fault as NULL
 * dereferences. Freed blocks keep their slot forever, so a stale pointer faults as
 * use-after-free instead of reaching a new object.
 *
 * Freed stack and heap slots are quarantined: the most recent `quarantineSlots` freed blocks
 * keep faulting as use-after-free; older ones are recycled so long-running loops that allocate
 * do not grow the address space without bound (like KASAN's quarantine, detection of very old
 * stale pointers is best effort).
 *
 * Bounds are per allocation: an array inside a struct is not bounded separately, so overrunning
 * it into the next member of the same struct goes unnoticed (as it would in the kernel).
 */
import { fault } from './fault';
import { canon, type Val } from './values';

export const SLOT = 16 * 1024 * 1024;
/** Largest single allocation. */
export const MAX_BLOCK = SLOT - 4096;

export type BlockKind = 'global' | 'string' | 'stack' | 'heap' | 'vmalloc' | 'kernel' | 'code' | 'module' | 'unresolved';

export class Block {
  bytes: Uint8Array;
  view: DataView;
  freed = false;
  readonly = false;
  constructor(
    readonly base: number,
    readonly size: number,
    readonly kind: BlockKind,
    /** What the block holds, for messages ("global 'counter' of mod", "kmalloc(24) in f"). */
    public label: string,
    /** Module that owns it (undefined: kernel). */
    readonly owner: string | undefined,
  ) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
  }
}

export interface MemoryLimits {
  /** Most bytes of heap (kmalloc/vmalloc) live at once. */
  heapBytes: number;
}

export class Memory {
  private readonly blocks: (Block | undefined)[] = [undefined];
  private readonly quarantine: number[] = [];
  private quarantineHead = 0;
  private readonly recycled: number[] = [];
  quarantineSlots = 4096;
  /** Bytes in live heap blocks. */
  heapInUse = 0;
  heapLimit: number;

  constructor(limits: Partial<MemoryLimits> = {}) {
    this.heapLimit = limits.heapBytes ?? 64 * 1024 * 1024;
  }

  alloc(size: number, kind: BlockKind, label: string, owner?: string): Block {
    if (size > MAX_BLOCK) fault('memory-budget', `allocation of ${size} bytes is larger than the largest block (${MAX_BLOCK})`);
    if (kind === 'heap' || kind === 'vmalloc') {
      if (this.heapInUse + size > this.heapLimit) {
        fault('memory-budget', `memory budget exhausted: ${label} needs ${size} bytes, ${this.heapInUse} of ${this.heapLimit} in use`);
      }
      this.heapInUse += size;
    }
    const slot = this.recycled.length > 0 ? this.recycled.pop()! : this.blocks.length;
    const block = new Block(slot * SLOT, size, kind, label, owner);
    this.blocks[slot] = block;
    return block;
  }

  free(block: Block): void {
    if (block.freed) return;
    block.freed = true;
    if (block.kind === 'heap' || block.kind === 'vmalloc') this.heapInUse -= block.size;
    // Drop the bytes: the slot stays reserved so stale pointers fault, but costs nothing.
    block.bytes = new Uint8Array(0);
    block.view = new DataView(block.bytes.buffer);
    if (block.kind === 'stack' || block.kind === 'heap' || block.kind === 'vmalloc') {
      this.quarantine.push((block.base / SLOT) | 0);
      if (this.quarantine.length - this.quarantineHead > this.quarantineSlots) {
        this.recycled.push(this.quarantine[this.quarantineHead++]);
        if (this.quarantineHead > 65536) {
          this.quarantine.splice(0, this.quarantineHead);
          this.quarantineHead = 0;
        }
      }
    }
  }

  /** The block containing `addr`, if any (freed blocks included). */
  blockAt(addr: number): Block | undefined {
    if (typeof addr !== 'number' || addr < SLOT) return undefined;
    return this.blocks[(addr / SLOT) | 0];
  }

  /** Every live block (for leak reports and tests). */
  liveBlocks(): Block[] {
    return this.blocks.filter((b): b is Block => !!b && !b.freed);
  }

  /** Resolves an access of `n` bytes at `addr`, faulting with the reason when it is invalid. */
  check(addr: number, n: number, write: boolean): Block {
    const b = addr >= SLOT ? this.blocks[(addr / SLOT) | 0] : undefined;
    if (b !== undefined && !b.freed) {
      const off = addr - b.base;
      if (off + n <= b.size && (!write || !b.readonly)) return b;
    }
    return this.badAccess(addr, n, write);
  }

  badAccess(addr: number, n: number, write: boolean): never {
    const what = `${write ? 'write' : 'read'} of ${n} byte${n === 1 ? '' : 's'}`;
    if (typeof addr !== 'number' || !Number.isFinite(addr)) fault('bad-pointer', `${what} through an invalid pointer`);
    if (addr >= 0 && addr < SLOT) {
      fault('null-dereference', `NULL pointer dereference: ${what} at address ${hex(addr)}`);
    }
    const b = this.blockAt(addr);
    if (!b) fault('bad-pointer', `${what} at unmapped address ${hex(addr)}`);
    if (b.kind === 'unresolved') fault('not-modeled', `not modeled: ${b.label}`);
    if (b.freed) fault('use-after-free', `use after free: ${what} at offset ${addr - b.base} of freed ${b.label}`);
    const off = addr - b.base;
    if (off + n > b.size) fault('out-of-bounds', `out-of-bounds ${what} at offset ${off} of ${b.label} (${b.size} bytes)`);
    fault('read-only', `${what} to read-only ${b.label}`);
  }

  // Loads and stores, little endian. Each resolves the block, then reads through its DataView.
  u8(a: number): number {
    const b = this.check(a, 1, false);
    return b.bytes[a - b.base];
  }
  s8(a: number): number {
    const b = this.check(a, 1, false);
    return (b.bytes[a - b.base] << 24) >> 24;
  }
  u16(a: number): number {
    const b = this.check(a, 2, false);
    return b.view.getUint16(a - b.base, true);
  }
  s16(a: number): number {
    const b = this.check(a, 2, false);
    return b.view.getInt16(a - b.base, true);
  }
  u32(a: number): number {
    const b = this.check(a, 4, false);
    return b.view.getUint32(a - b.base, true);
  }
  s32(a: number): number {
    const b = this.check(a, 4, false);
    return b.view.getInt32(a - b.base, true);
  }
  s64(a: number): Val {
    const b = this.check(a, 8, false);
    return readS64(b.view, a - b.base);
  }
  u64(a: number): Val {
    const b = this.check(a, 8, false);
    return readU64(b.view, a - b.base);
  }
  /** Pointers are stored as 8 bytes; read back as numbers. */
  ptr(a: number): number {
    const b = this.check(a, 8, false);
    return readPtr(b.view, a - b.base);
  }
  w8(a: number, v: number): void {
    const b = this.check(a, 1, true);
    b.bytes[a - b.base] = v;
  }
  w16(a: number, v: number): void {
    const b = this.check(a, 2, true);
    b.view.setUint16(a - b.base, v & 0xffff, true);
  }
  w32(a: number, v: number): void {
    const b = this.check(a, 4, true);
    b.view.setUint32(a - b.base, v >>> 0, true);
  }
  w64(a: number, v: Val): void {
    const b = this.check(a, 8, true);
    write64(b.view, a - b.base, v);
  }

  copy(dst: number, src: number, n: number): void {
    if (n <= 0) return;
    const s = this.check(src, n, false);
    const d = this.check(dst, n, true);
    const from = s.bytes.subarray(src - s.base, src - s.base + n);
    if (s === d) d.bytes.copyWithin(dst - d.base, src - s.base, src - s.base + n);
    else d.bytes.set(from, dst - d.base);
  }
  fill(dst: number, value: number, n: number): void {
    if (n <= 0) return;
    const d = this.check(dst, n, true);
    d.bytes.fill(value & 0xff, dst - d.base, dst - d.base + n);
  }
  readBytes(addr: number, n: number): Uint8Array {
    if (n <= 0) return new Uint8Array(0);
    const b = this.check(addr, n, false);
    return b.bytes.slice(addr - b.base, addr - b.base + n);
  }
  writeBytes(addr: number, data: Uint8Array): void {
    if (data.length === 0) return;
    const b = this.check(addr, data.length, true);
    b.bytes.set(data, addr - b.base);
  }
  /** Length of the NUL-terminated string at addr; faults if it runs off its block. */
  strlen(addr: number, max = Infinity): number {
    const b = this.check(addr, 1, false);
    const start = addr - b.base;
    const limit = Math.min(b.size, start + max);
    const end = b.bytes.indexOf(0, start);
    if (end >= 0 && end < limit) return end - start;
    if (limit - start >= max) return max;
    return this.badAccess(addr, b.size - start + 1, false);
  }
  /** The NUL-terminated string at addr, decoded as Latin-1 (bytes map 1:1 to chars). */
  cstring(addr: number, max = Infinity): string {
    const n = this.strlen(addr, max);
    return latin1(this.readBytes(addr, n));
  }
}

export function readS64(view: DataView, off: number): Val {
  const lo = view.getUint32(off, true);
  const hi = view.getInt32(off + 4, true);
  if (hi >= -0x200000 && hi < 0x200000) return hi * 4294967296 + lo;
  return canon(view.getBigInt64(off, true));
}
export function readU64(view: DataView, off: number): Val {
  const lo = view.getUint32(off, true);
  const hi = view.getUint32(off + 4, true);
  if (hi < 0x200000) return hi * 4294967296 + lo;
  return canon(view.getBigUint64(off, true));
}
export function readPtr(view: DataView, off: number): number {
  const lo = view.getUint32(off, true);
  const hi = view.getInt32(off + 4, true);
  return hi * 4294967296 + lo;
}
export function write64(view: DataView, off: number, v: Val): void {
  if (typeof v === 'number') {
    view.setUint32(off, v >>> 0, true);
    view.setUint32(off + 4, Math.floor(v / 4294967296) >>> 0, true);
  } else view.setBigUint64(off, BigInt.asUintN(64, v), true);
}

export function latin1(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 8192) s += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return s;
}
/** Bytes of a JS string (chars above 255 are encoded as UTF-8). */
export function encode(text: string): Uint8Array {
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\xff]*$/.test(text)) return Uint8Array.from(text, (c) => c.charCodeAt(0));
  return new TextEncoder().encode(text);
}

export function hex(n: number): string {
  return n < 0 ? `-0x${(-n).toString(16)}` : `0x${n.toString(16)}`;
}
