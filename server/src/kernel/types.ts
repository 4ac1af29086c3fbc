/**
 * In-memory view of a target kernel model (the JSON format is described by
 * `kernel/schema/kernel-model.schema.json` and docs/kernel-model.md).
 */

/** One kallsyms entry. `type` is the nm-style letter (T, t, W, D, ...). */
export interface KernelSymbol {
  name: string;
  type: string;
  /** Address as a hex string without 0x (addresses exceed 2^53). */
  address: string;
  /** Size in bytes when known (kallsyms derives it from the next symbol's address). */
  size?: number;
}

export interface KernelObjectModel {
  /** "vmlinux" or a module name. */
  name: string;
  /** Symbols in kallsyms order (so old_sympos counts exactly as the kernel does). */
  symbols: KernelSymbol[];
  /**
   * ftrace-patchable function names (available_filter_functions) when known; undefined when the
   * model does not know (checks then degrade to information).
   */
  patchable?: Set<string>;
  /** Functions known not to be patchable, with the reason (e.g. "noinstr section"). */
  notPatchable: Map<string, string>;
}

export interface KernelVersion {
  major: number;
  minor: number;
  patch: number;
}

export interface KernelModel {
  formatVersion: number;
  release: string;
  version: KernelVersion;
  architecture: string;
  /** CONFIG_* options: "y", "m", a number or string; absent means not set. */
  config: Map<string, string>;
  objects: Map<string, KernelObjectModel>;
  /** Modules loaded at the start of a simulation (object names). */
  loadedModules: string[];
  /** Where the model came from (file path or "embedded default"). */
  source: string;
  /** The raw JSON for extensions later issues add (tasks, procfs, globals). */
  raw: Record<string, unknown>;
  /** Kernel properties that are not config options (e.g. reliableStacktrace); absent in hand-made models. */
  features?: { reliableStacktrace?: boolean; [feature: string]: boolean | number | string | undefined };
  /** Where the model's data came from (package, importer, derivations); free-form. */
  provenance?: Record<string, unknown>;
  /** All symbols of one object with this exact name, in kallsyms order (empty when none). */
  lookup(objectName: string, symbolName: string): KernelSymbol[];
  /** Objects (vmlinux or modules) that have at least one symbol with this name. */
  objectsDefining(symbolName: string): string[];
  /** Whether a function is patchable: true, false, or undefined when unknown. */
  isPatchable(objectName: string, symbolName: string): { patchable: boolean | undefined; reason?: string };
}

/** A problem in a model file, with the JSON path (e.g. "/objects/vmlinux/symbols/3/name"). */
export interface KernelModelError {
  message: string;
  jsonPath: string;
  /** 0-based line/character in the file when it could be located. */
  line?: number;
  character?: number;
}

export function versionAtLeast(v: KernelVersion, major: number, minor: number, patch = 0): boolean {
  if (v.major !== major) return v.major > major;
  if (v.minor !== minor) return v.minor > minor;
  return v.patch >= patch;
}
