/** Lexical scopes of the compiler: ordinary identifiers and struct/union/enum tags. */
import type { CType, FuncType, StructType } from '../types';
import type { Val } from '../values';

export type Symbol =
  /** A local held in a register of the frame. */
  | { kind: 'reg'; type: CType; slot: number }
  /** A local in frame memory at an offset. */
  | { kind: 'frame'; type: CType; off: number }
  /** A global variable or static (local or file scope), reached through a link slot. */
  | { kind: 'global'; type: CType; slot: number; name: string; external: boolean }
  | { kind: 'function'; type: FuncType; slot: number; name: string; external: boolean }
  | { kind: 'const'; type: CType; value: Val }
  | { kind: 'typedef'; type: CType };

export type Tag = { kind: 'struct'; type: StructType } | { kind: 'enum'; type: CType };

export class Scope {
  private readonly names = new Map<string, Symbol>();
  private readonly tags = new Map<string, Tag>();
  constructor(readonly parent: Scope | undefined) {}

  lookup(name: string): Symbol | undefined {
    for (let s: Scope | undefined = this; s; s = s.parent) {
      const found = s.names.get(name);
      if (found) return found;
    }
    return undefined;
  }
  lookupHere(name: string): Symbol | undefined {
    return this.names.get(name);
  }
  define(name: string, symbol: Symbol): void {
    this.names.set(name, symbol);
  }
  lookupTag(name: string): Tag | undefined {
    for (let s: Scope | undefined = this; s; s = s.parent) {
      const found = s.tags.get(name);
      if (found) return found;
    }
    return undefined;
  }
  lookupTagHere(name: string): Tag | undefined {
    return this.tags.get(name);
  }
  defineTag(name: string, tag: Tag): void {
    this.tags.set(name, tag);
  }
  /** Tags and typedefs visible here (outermost scopes first overridden by inner ones). */
  allTags(): Map<string, Tag> {
    const out = this.parent ? this.parent.allTags() : new Map<string, Tag>();
    for (const [k, v] of this.tags) out.set(k, v);
    return out;
  }
  allTypedefs(): Map<string, CType> {
    const out = this.parent ? this.parent.allTypedefs() : new Map<string, CType>();
    for (const [k, v] of this.names) if (v.kind === 'typedef') out.set(k, v.type);
    return out;
  }
}
