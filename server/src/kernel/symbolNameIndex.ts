/**
 * Symbols of one object by name, for models of hundreds of thousands of symbols. A `Map` from
 * name to symbol (or array) cost ~100 ms to build for 200,000 symbols, most of the model's load
 * budget; this open-addressing table over typed arrays costs a third of that and allocates two
 * arrays in all, not one entry per name. Same-named symbols are chained in kallsyms order, which
 * `old_sympos` counts in.
 */
import type { KernelSymbol } from './types';

/** FNV-1a over UTF-16 code units: cheap, and spreads the kernel's shared prefixes well enough. */
function hashName(name: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) hash = Math.imul(hash ^ name.charCodeAt(i), 0x01000193);
  return hash;
}

export class SymbolNameIndex {
  /** Symbol index + 1 of the first symbol of each name; 0 marks an empty slot. */
  private readonly slots: Int32Array;
  /** Symbol index + 1 of the next symbol with the same name; 0 ends the chain. */
  private readonly next: Int32Array;
  private readonly mask: number;

  constructor(private readonly symbols: readonly KernelSymbol[]) {
    const count = symbols.length;
    // At most half full, so probe sequences stay short.
    let size = 16;
    while (size < count * 2) size *= 2;
    this.mask = size - 1;
    this.slots = new Int32Array(size);
    this.next = new Int32Array(count);
    // Backwards, so each symbol becomes the head of its chain and the chains end up in order.
    for (let i = count - 1; i >= 0; i--) {
      const name = symbols[i].name;
      let slot = hashName(name) & this.mask;
      for (;;) {
        const head = this.slots[slot];
        if (head === 0) {
          this.slots[slot] = i + 1;
          break;
        }
        if (symbols[head - 1].name === name) {
          this.next[i] = head;
          this.slots[slot] = i + 1;
          break;
        }
        slot = (slot + 1) & this.mask;
      }
    }
  }

  /** Index + 1 of the first symbol named `name`, 0 when none. */
  private head(name: string): number {
    let slot = hashName(name) & this.mask;
    for (;;) {
      const head = this.slots[slot];
      if (head === 0 || this.symbols[head - 1].name === name) return head;
      slot = (slot + 1) & this.mask;
    }
  }

  has(name: string): boolean {
    return this.head(name) !== 0;
  }

  /** Same-named symbols in kallsyms order (a new array). */
  named(name: string): KernelSymbol[] {
    const found: KernelSymbol[] = [];
    for (let at = this.head(name); at !== 0; at = this.next[at - 1]) found.push(this.symbols[at - 1]);
    return found;
  }
}
