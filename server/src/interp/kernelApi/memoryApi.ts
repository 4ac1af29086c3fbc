/**
 * kmalloc family, vmalloc, kfree. Allocations count against the machine's memory budget
 * (exceeding it is a 'memory-budget' fault); kmalloc(0) returns ZERO_SIZE_PTR; requests above
 * KMALLOC_MAX_SIZE (4 MiB) return NULL. kfree of NULL/ZERO_SIZE_PTR is a no-op; of memory that
 * is not a live kmalloc block it faults: 'double-free' or 'invalid-free'. Memory is zero-filled
 * whatever the flags (deterministic runs). A GFP flag that may sleep (__GFP_DIRECT_RECLAIM)
 * while a spinlock is held is reported as sleep-in-atomic.
 */
import { fault } from '../fault';
import type { HostFunction } from '../host';
import type { Machine } from '../machine';
import { hex, type BlockKind } from '../memory';
import type { SourceLoc } from '../program';
import type { Task } from '../task';
import type { Val } from '../values';
import { formatKernel } from './format';
import { checkMaySleep, formatContext, host, num } from './support';

const ZERO_SIZE_PTR = 16;
const KMALLOC_MAX_SIZE = 4 * 1024 * 1024;
const GFP_DIRECT_RECLAIM = 0x400;

export function kmalloc(m: Machine, t: Task, size: number, flags: number, site: SourceLoc, what = 'kmalloc', kind: BlockKind = 'heap'): number {
  if (flags & GFP_DIRECT_RECLAIM) checkMaySleep(m, t, site, what);
  if (size === 0) return ZERO_SIZE_PTR;
  if (size < 0 || size > (kind === 'heap' ? KMALLOC_MAX_SIZE : 16 * 1024 * 1024 - 4096)) return 0;
  const fn = m.currentFunction(t) ?? '?';
  const block = m.memory.alloc(size, kind, `${what}(${size}) block from ${fn}`, m.currentModule(t));
  return block.base;
}

export function kfree(m: Machine, address: number, what: string, allowed: BlockKind[]): void {
  if (address === 0 || address === ZERO_SIZE_PTR) return;
  const b = m.memory.blockAt(address);
  if (!b) fault('invalid-free', `${what} of ${hex(address)}, which was never allocated`);
  if (b.freed && allowed.includes(b.kind)) fault('double-free', `double free: ${what} of already freed ${b.label}`);
  if (!allowed.includes(b.kind)) fault('invalid-free', `${what} of ${b.freed ? 'freed ' : ''}${b.label}, which is not ${allowed.includes('vmalloc') && !allowed.includes('heap') ? 'vmalloc' : 'kmalloc'} memory`);
  if (address !== b.base) fault('invalid-free', `${what} of a pointer into the middle of ${b.label} (offset ${address - b.base})`);
  m.memory.free(b);
}

function overflow(n: number, size: number): boolean {
  return n * size > Number.MAX_SAFE_INTEGER || n * size > 2 ** 48;
}

function dup(m: Machine, t: Task, src: number, n: number, flags: number, site: SourceLoc, what: string, terminate: boolean): number {
  if (src === 0) return 0;
  const p = kmalloc(m, t, n + (terminate ? 1 : 0), flags, site, what);
  if (p === 0) return 0;
  m.memory.copy(p, src, n);
  if (terminate) m.memory.w8(p + n, 0);
  return p;
}

export const memoryApi: HostFunction[] = [
  host('kmalloc', (m, t, a, site) => kmalloc(m, t, num(a[0]), num(a[1]), site)),
  host('kzalloc', (m, t, a, site) => kmalloc(m, t, num(a[0]), num(a[1]), site, 'kzalloc')),
  host('kmalloc_array', (m, t, a, site) => (overflow(num(a[0]), num(a[1])) ? 0 : kmalloc(m, t, num(a[0]) * num(a[1]), num(a[2]), site, 'kmalloc_array'))),
  host('kcalloc', (m, t, a, site) => (overflow(num(a[0]), num(a[1])) ? 0 : kmalloc(m, t, num(a[0]) * num(a[1]), num(a[2]), site, 'kcalloc'))),
  host('krealloc', (m, t, a, site) => {
    const old = num(a[0]);
    const size = num(a[1]);
    if (size === 0) {
      kfree(m, old, 'krealloc', ['heap']);
      return ZERO_SIZE_PTR;
    }
    const p = kmalloc(m, t, size, num(a[2]), site, 'krealloc');
    if (p === 0 || old === 0 || old === ZERO_SIZE_PTR) return p;
    const b = m.memory.blockAt(old);
    if (b && !b.freed) m.memory.copy(p, old, Math.min(b.size, size));
    kfree(m, old, 'krealloc', ['heap']);
    return p;
  }),
  host('kfree', (m, _t, a) => kfree(m, num(a[0]), 'kfree', ['heap'])),
  host('kfree_sensitive', (m, _t, a) => kfree(m, num(a[0]), 'kfree_sensitive', ['heap'])),
  host('kfree_const', (m, _t, a) => {
    const b = m.memory.blockAt(num(a[0]));
    if (b && b.kind === 'string') return 0;
    kfree(m, num(a[0]), 'kfree_const', ['heap']);
    return 0;
  }),
  host('ksize', (m, _t, a) => m.memory.blockAt(num(a[0]))?.size ?? 0),
  host('kstrdup', (m, t, a, site) => (num(a[0]) === 0 ? 0 : dup(m, t, num(a[0]), m.memory.strlen(num(a[0])), num(a[1]), site, 'kstrdup', true))),
  host('kstrdup_const', (m, t, a, site) => (num(a[0]) === 0 ? 0 : dup(m, t, num(a[0]), m.memory.strlen(num(a[0])), num(a[1]), site, 'kstrdup', true))),
  host('kstrndup', (m, t, a, site) => (num(a[0]) === 0 ? 0 : dup(m, t, num(a[0]), m.memory.strlen(num(a[0]), num(a[1])), num(a[2]), site, 'kstrndup', true))),
  host('kmemdup', (m, t, a, site) => dup(m, t, num(a[0]), num(a[1]), num(a[2]), site, 'kmemdup', false)),
  host('kasprintf', (m, t, a, site) => {
    const text = formatKernel(formatContext(m), m.memory.cstring(num(a[1])), a as Val[], 2);
    const p = kmalloc(m, t, text.length + 1, num(a[0]), site, 'kasprintf');
    if (p) m.memory.writeBytes(p, Buffer.from(`${text}\0`, 'latin1'));
    return p;
  }),
  host('vmalloc', (m, t, a, site) => kmalloc(m, t, num(a[0]), GFP_DIRECT_RECLAIM, site, 'vmalloc', 'vmalloc')),
  host('vzalloc', (m, t, a, site) => kmalloc(m, t, num(a[0]), GFP_DIRECT_RECLAIM, site, 'vzalloc', 'vmalloc')),
  host('vfree', (m, _t, a) => kfree(m, num(a[0]), 'vfree', ['vmalloc'])),
  host('kvmalloc', (m, t, a, site) => kmalloc(m, t, num(a[0]), num(a[1]), site, 'kvmalloc')),
  host('kvzalloc', (m, t, a, site) => kmalloc(m, t, num(a[0]), num(a[1]), site, 'kvzalloc')),
  host('kvcalloc', (m, t, a, site) => (overflow(num(a[0]), num(a[1])) ? 0 : kmalloc(m, t, num(a[0]) * num(a[1]), num(a[2]), site, 'kvcalloc'))),
  host('kvfree', (m, _t, a) => kfree(m, num(a[0]), 'kvfree', ['heap', 'vmalloc'])),
];
