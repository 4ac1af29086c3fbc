/**
 * The in-memory KernelModel built from a validated model JSON. Symbol objects are the parsed JSON
 * objects themselves (no copy); the per-object name indexes are built on first use so a model
 * that is loaded but only partly queried costs little.
 */
import { isTextSymbolType, type KernelFeatures, type KernelModelJson } from './format';
import type { KernelModel, KernelObjectModel, KernelSymbol, KernelVersion } from './types';

export const NOT_IN_FILTER_FUNCTIONS =
  'not in available_filter_functions (notrace, inlined, or without an ftrace call site)';

class KernelObject implements KernelObjectModel {
  /** Unique names map to the symbol itself: most names are unique, and that saves an array each. */
  private byName: Map<string, KernelSymbol | KernelSymbol[]> | undefined;
  private patchableSet: Set<string> | undefined;
  private notPatchableMap: Map<string, string> | undefined;

  constructor(
    readonly name: string,
    readonly symbols: KernelSymbol[],
    private readonly patchableList: string[] | undefined,
    private readonly notPatchableRecord: Record<string, string> | undefined,
  ) {}

  // The sets are built on first use: a large patchable list costs a few ms that loading need not pay.
  get patchable(): Set<string> | undefined {
    if (!this.patchableSet && this.patchableList) this.patchableSet = new Set(this.patchableList);
    return this.patchableSet;
  }

  get notPatchable(): Map<string, string> {
    if (!this.notPatchableMap) this.notPatchableMap = new Map(Object.entries(this.notPatchableRecord ?? {}));
    return this.notPatchableMap;
  }

  /** Same-named symbols in kallsyms order (a new array). */
  named(symbolName: string): KernelSymbol[] {
    if (!this.byName) {
      const index = new Map<string, KernelSymbol | KernelSymbol[]>();
      for (const s of this.symbols) {
        const prev = index.get(s.name);
        if (prev === undefined) index.set(s.name, s);
        else if (Array.isArray(prev)) prev.push(s);
        else index.set(s.name, [prev, s]);
      }
      this.byName = index;
    }
    const found = this.byName.get(symbolName);
    return found === undefined ? [] : Array.isArray(found) ? found.slice() : [found];
  }
}

class Model implements KernelModel {
  private definedIn: Map<string, string | string[]> | undefined;

  constructor(
    readonly formatVersion: number,
    readonly release: string,
    readonly version: KernelVersion,
    readonly architecture: string,
    readonly config: Map<string, string>,
    readonly objects: Map<string, KernelObjectModel>,
    readonly loadedModules: string[],
    readonly source: string,
    readonly raw: Record<string, unknown>,
    readonly features: KernelFeatures,
    readonly provenance: Record<string, unknown>,
  ) {}

  lookup(objectName: string, symbolName: string): KernelSymbol[] {
    const obj = this.objects.get(objectName);
    if (!obj) return [];
    if (obj instanceof KernelObject) return obj.named(symbolName);
    return obj.symbols.filter((s) => s.name === symbolName);
  }

  objectsDefining(symbolName: string): string[] {
    if (!this.definedIn) {
      const index = new Map<string, string | string[]>();
      for (const [objName, obj] of this.objects) {
        for (const s of obj.symbols) {
          const prev = index.get(s.name);
          if (prev === undefined) index.set(s.name, objName);
          else if (Array.isArray(prev)) {
            if (prev[prev.length - 1] !== objName) prev.push(objName);
          } else if (prev !== objName) index.set(s.name, [prev, objName]);
        }
      }
      this.definedIn = index;
    }
    const found = this.definedIn.get(symbolName);
    return found === undefined ? [] : Array.isArray(found) ? found.slice() : [found];
  }

  isPatchable(objectName: string, symbolName: string): { patchable: boolean | undefined; reason?: string } {
    const obj = this.objects.get(objectName);
    if (!obj) return { patchable: undefined, reason: `object '${objectName}' is not in the kernel model` };
    const reason = obj.notPatchable.get(symbolName);
    if (reason !== undefined) return { patchable: false, reason };
    if (obj.patchable) {
      if (obj.patchable.has(symbolName)) return { patchable: true };
      return { patchable: false, reason: NOT_IN_FILTER_FUNCTIONS };
    }
    const symbols = this.lookup(objectName, symbolName);
    if (symbols.length > 0 && !symbols.some((s) => isTextSymbolType(s.type))) {
      return { patchable: false, reason: `not a function (symbol type '${symbols[0].type}')` };
    }
    return { patchable: undefined };
  }
}

/** Builds the model from JSON that passed validateKernelModelJson. */
export function buildKernelModel(json: KernelModelJson, source: string): KernelModel {
  const objects = new Map<string, KernelObjectModel>();
  for (const [name, o] of Object.entries(json.objects)) {
    objects.set(
      name,
      new KernelObject(name, o.symbols, o.patchable, o.notPatchable),
    );
  }
  return new Model(
    json.formatVersion,
    json.release,
    { major: json.version.major, minor: json.version.minor, patch: json.version.patch },
    json.architecture,
    new Map(Object.entries(json.config ?? {})),
    objects,
    [...(json.loadedModules ?? [])],
    source,
    json as unknown as Record<string, unknown>,
    { ...(json.features ?? {}) },
    { ...(json.provenance ?? {}) },
  );
}
