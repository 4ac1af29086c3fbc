/**
 * Compiler-suffixed symbol lookup (`foo.isra.0`, `foo.constprop.0`, `foo.part.0`, `foo.cold`,
 * `foo.llvm.123`). KernelModel only answers exact names, so this index groups each object's
 * symbols by the part before the first dot. It is built on first use and cached per object model
 * in a WeakMap: models are immutable, and a replaced model takes its index with it.
 */
import type { KernelModel, KernelObjectModel } from '../kernel/types';

const suffixedByBase = new WeakMap<KernelObjectModel, Map<string, string[]>>();

function indexFor(object: KernelObjectModel): Map<string, string[]> {
  let index = suffixedByBase.get(object);
  if (index) return index;
  index = new Map();
  for (const symbol of object.symbols) {
    const dot = symbol.name.indexOf('.');
    if (dot <= 0) continue;
    const base = symbol.name.slice(0, dot);
    const names = index.get(base);
    if (!names) index.set(base, [symbol.name]);
    else if (!names.includes(symbol.name)) names.push(symbol.name);
  }
  suffixedByBase.set(object, index);
  return index;
}

/**
 * Other spellings of `name` in one object: its suffixed variants, and, for a suffixed name, the
 * plain name and the other variants. Empty when the object is unknown.
 */
export function suffixVariants(kernel: KernelModel, objectName: string, name: string): string[] {
  const object = kernel.objects.get(objectName);
  if (!object) return [];
  const dot = name.indexOf('.');
  const base = dot > 0 ? name.slice(0, dot) : name;
  const variants = [...(indexFor(object).get(base) ?? [])];
  if (base !== name && kernel.lookup(objectName, base).length > 0) variants.unshift(base);
  return variants.filter((variant) => variant !== name);
}
