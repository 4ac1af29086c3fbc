/**
 * The in-memory KernelModel built from a validated model JSON. Symbol objects are the parsed JSON
 * objects themselves (no copy); the per-object name indexes (symbolNameIndex.ts) are built on
 * first use so a model that is loaded but only partly queried costs little.
 */
import { isTextSymbolType, type KernelFeatures, type KernelModelJson } from './format';
import { SymbolNameIndex } from './symbolNameIndex';
import type { KernelModel, KernelObjectModel, KernelSymbol, KernelVersion } from './types';

export const NOT_IN_FILTER_FUNCTIONS =
  'not in available_filter_functions (notrace, inlined, or without an ftrace call site)';

class KernelObject implements KernelObjectModel {
  private byName: SymbolNameIndex | undefined;
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

  private index(): SymbolNameIndex {
    this.byName ??= new SymbolNameIndex(this.symbols);
    return this.byName;
  }

  /** Same-named symbols in kallsyms order (a new array). */
  named(symbolName: string): KernelSymbol[] {
    return this.index().named(symbolName);
  }

  defines(symbolName: string): boolean {
    return this.index().has(symbolName);
  }
}

class Model implements KernelModel {

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

  /** Asks each object's index: a model has a few hundred objects, and no second index over all symbols is built. */
  objectsDefining(symbolName: string): string[] {
    const found: string[] = [];
    for (const [objName, obj] of this.objects) {
      const defines = obj instanceof KernelObject ? obj.defines(symbolName) : obj.symbols.some((s) => s.name === symbolName);
      if (defines) found.push(objName);
    }
    return found;
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
