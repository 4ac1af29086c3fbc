/** Turns initializer steps into one closure that fills an object at a given address. */
import type { Frame } from '../frame';
import type { InitStep } from '../program';
import { convertInt } from '../values';
import { rawLoader, storer } from './ops';

export type InitApplier = (f: Frame, base: number) => void;

export function initApplier(steps: InitStep[], size: number, zeroFirst: boolean): InitApplier {
  const ops: InitApplier[] = steps.map((step): InitApplier => {
    const off = step.off;
    if ('bytes' in step) {
      const bytes = step.bytes;
      return (f, base) => f.m.writeBytes(base + off, bytes);
    }
    if ('copyFrom' in step) {
      const { copyFrom, size: n } = step;
      return (f, base) => f.m.copy(base + off, copyFrom(f) as number, n);
    }
    if ('bits' in step) {
      const { shift, width } = step.bits;
      const unit = step.type.k === 'int' ? step.type : undefined;
      const usize = unit?.size ?? 4;
      const u = { k: 'int' as const, size: usize, signed: false, name: 'unit', rank: 3 };
      const ld = rawLoader(u);
      const st = storer(u);
      const mask = width >= 32 ? 0xffffffff : (1 << width) - 1;
      const ev = step.ev;
      return (f, base) => {
        const raw = ld(f, base + off) as number;
        const v = Number(ev(f));
        const next = ((raw & ~((mask << shift) >>> 0)) | ((v & mask) << shift)) >>> 0;
        st(f, base + off, convertInt(next, usize, false));
      };
    }
    const st = storer(step.type);
    const ev = step.ev;
    return (f, base) => st(f, base + off, ev(f));
  });
  return (f, base) => {
    if (zeroFirst) f.m.fill(base, 0, size);
    for (let i = 0; i < ops.length; i++) ops[i](f, base);
  };
}
