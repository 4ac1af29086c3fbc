/**
 * The livepatch source model: plain data extracted from C sources, with no LSP or tree-sitter
 * types, so checks, the CLI and (later) the simulator all read the same thing.
 */
import type { Location } from './location';

/** A value that came from an initializer expression after macro expansion. */
export interface ResolvedValue<T> {
  /** The expanded value, or undefined when it could not be evaluated statically. */
  value: T | undefined;
  /** The expression as written. */
  text: string;
  location: Location;
}

export interface FunctionDefinition {
  name: string;
  file: string;
  /** Range of the whole definition. */
  location: Location;
  /** Range of the name in the declarator (navigation target). */
  nameLocation: Location;
  isStatic: boolean;
  returnType: string;
  /** Parameter types as written, e.g. ["struct klp_object *"]. "void" lists are empty. */
  parameterTypes: string[];
  /** Kernel annotations that were neutralised before parsing (e.g. "__init", "notrace"). */
  annotations: string[];
  /** Names of functions this one calls directly (unique, in source order). */
  calls: string[];
  /** Every `return` with its expression (value evaluated when it is a constant after macro expansion). */
  returns: { text: string; value?: number; location: Location }[];
  /** Function-scope `static` variables (LP-STATIC-LOCAL). */
  staticLocals: { name: string; location: Location }[];
}

export interface ModuleParameter {
  name: string;
  type: string;
  permissions: string;
  location: Location;
}

export interface KlpFunc {
  oldName: ResolvedValue<string> | undefined;
  /** The identifier given as new_func (after macro expansion), resolved to its definition if any. */
  newFunc: { name: string; location: Location; definition?: FunctionDefinition; isFunction: boolean } | undefined;
  oldSympos: ResolvedValue<number> | undefined;
  /** Fields the kernel no longer knows or that are retired, e.g. ".immediate", ".old_addr". */
  otherFields: { name: string; location: Location }[];
  location: Location;
  /** True for an all-empty `{ }` entry. */
  isTerminator: boolean;
}

export type CallbackKind = 'pre_patch' | 'post_patch' | 'pre_unpatch' | 'post_unpatch';
export const callbackKinds: readonly CallbackKind[] = ['pre_patch', 'post_patch', 'pre_unpatch', 'post_unpatch'];

export interface KlpCallback {
  kind: CallbackKind;
  name: string;
  location: Location;
  definition?: FunctionDefinition;
}

export interface KlpObject {
  /** Object name string; undefined (NULL) means vmlinux. */
  name: ResolvedValue<string> | undefined;
  /** Name of the funcs array variable, if `.funcs` is set. */
  funcsArrayName?: string;
  funcsLocation?: Location;
  /** The funcs array's own initializer `{ ... }` (where a terminator belongs), when resolved. */
  funcsArrayLocation?: Location;
  funcs: KlpFunc[];
  /** Whether the funcs array ends with an empty terminator entry. */
  funcsTerminated: boolean;
  callbacks: KlpCallback[];
  otherFields: { name: string; location: Location }[];
  location: Location;
  isTerminator: boolean;
  /**
   * `nr_funcs` of a klp-build `struct klp_object_ext`: how many funcs the generated init copies
   * (`funcs` holds that many), and how many entries the descriptor array really has.
   */
  declaredFuncCount?: ResolvedValue<number> & { arrayLength: number };
}

export interface KlpState {
  id: ResolvedValue<number> | undefined;
  version: ResolvedValue<number> | undefined;
  location: Location;
  isTerminator: boolean;
}

export interface KlpPatch {
  /** Variable name of the `struct klp_patch`. */
  variableName: string;
  location: Location;
  nameLocation: Location;
  mod?: { text: string; location: Location };
  objsArrayName?: string;
  objsLocation?: Location;
  /** The objects array's own initializer `{ ... }`, when resolved. */
  objsArrayLocation?: Location;
  objects: KlpObject[];
  objectsTerminated: boolean;
  statesArrayName?: string;
  statesLocation?: Location;
  /** The states array's own initializer `{ ... }`, when resolved. */
  statesArrayLocation?: Location;
  states: KlpState[];
  statesTerminated: boolean;
  replace?: ResolvedValue<boolean>;
  otherFields: { name: string; location: Location }[];
  /**
   * Set on a patch no one wrote as a `struct klp_patch`: the generator of a kpatch or klp-build
   * tree builds it from the callback macros and descriptors in the sources (layouts/).
   */
  generatedBy?: 'kpatch' | 'klp-build';
}

export type ShadowApi =
  | 'klp_shadow_get'
  | 'klp_shadow_alloc'
  | 'klp_shadow_get_or_alloc'
  | 'klp_shadow_free'
  | 'klp_shadow_free_all';

export type StateApi = 'klp_get_state' | 'klp_get_prev_state';

/** Where a call sits, from the livepatch core's point of view. */
export type CallContext =
  | { kind: 'patched-function'; oldName: string }
  | { kind: 'callback'; callback: CallbackKind }
  | { kind: 'init' }
  | { kind: 'exit' }
  | { kind: 'helper'; reachedFrom: string[] };

export interface ApiCall {
  api: string;
  /** The function definition the call sits in ("" at file scope). */
  enclosingFunction: string;
  /** Every role of the enclosing function (a helper reached from two callbacks has two). */
  contexts: CallContext[];
  location: Location;
  /** Arguments as written. */
  argumentTexts: string[];
}

export interface ShadowCall extends ApiCall {
  api: ShadowApi;
  /**
   * The function called when it is another API read as `api`: kpatch's `kpatch_shadow_alloc`,
   * `_get`, `_free` (layouts/generators.ts), whose id is a name string (`id.text` is the
   * literal or macro as written, `id.value` undefined), compared by spelling.
   */
  writtenAs?: string;
  id: ResolvedValue<number> | undefined;
  /** The id argument as written when it is a macro name (for navigation). */
  idMacro?: string;
  size?: ResolvedValue<number>;
  /** The type the size argument measures (`sizeof(struct x)`, `sizeof(*p)`), from the tree. */
  sizeType?: string;
  /** The type the result is used as (cast, declared or assigned pointer, returned pointer), from the tree. */
  resultType?: string;
  gfp?: string;
  ctor?: string;
  dtor?: string;
}

/** A struct or union the module defines (in its files or local headers): what a shadow variable's data looks like. */
export interface RecordType {
  /** "struct sv_counter". */
  name: string;
  /** Members as written, comments left out: "char *comm". */
  fields: string[];
  location: Location;
}

export interface StateCall extends ApiCall {
  api: StateApi;
  patchArgument?: string;
  id: ResolvedValue<number> | undefined;
  idMacro?: string;
}

export interface EnableCall {
  /** Function the call sits in. */
  enclosingFunction: string;
  /** Identifier of the patch whose address is passed (`&patch` → "patch"). */
  patchName?: string;
  /** Whether the call's value is returned (`return klp_enable_patch(&p);` or via a variable). */
  resultReturned: boolean;
  location: Location;
}

export interface MacroDefinition {
  name: string;
  parameters?: string[];
  body: string;
  location: Location;
}

/** A use of a retired or version-gated API or field. */
export interface ApiUse {
  name: string;
  location: Location;
}

/**
 * How the module's tables come to be (layouts/): written by hand (`upstream`), generated by
 * kpatch-build from KPATCH_* macros, filled into a template from a patched_funcs.csv
 * (`distribution`), or generated by klp-build from klp_object_ext descriptors and KLP_* macros.
 */
export type ModuleLayout = 'upstream' | 'kpatch' | 'distribution' | 'klp-build';

/** A column of a patched_funcs.csv line. */
export interface PatchedFuncsField<T> {
  value: T;
  location: Location;
}

/** One line of a distribution tree's patched_funcs.csv: object, old function, new function[, sympos]. */
export interface PatchedFuncsLine {
  /** "vmlinux" or a module name, as written. */
  object: PatchedFuncsField<string>;
  oldName: PatchedFuncsField<string>;
  newFunc: PatchedFuncsField<string>;
  sympos?: PatchedFuncsField<number>;
  location: Location;
}

/** A fix folder's patched_funcs.csv, parsed (malformed lines are problems, not lines). */
export interface PatchedFuncsList {
  path: string;
  lines: PatchedFuncsLine[];
  problems: { message: string; location: Location }[];
}

/**
 * A relocation macro of extracted kernel code: `KLP_RELOC_SYMBOL(section object, symbol object,
 * symbol)` or `KLP_RELOC_SYMBOL_POS(..., position)`; the build turns it into a `.klp.sym.<symbol
 * object>.<symbol>,<position>` symbol used from `.klp.rela.<section object>.*` (reference 9.2, 9.3).
 */
export interface KlpRelocation {
  /** The object whose relocation section uses the symbol: vmlinux or the patched module. */
  sectionObject: string;
  /** The object the symbol is looked up in. */
  symbolObject: string;
  symbol: string;
  /** 0 (or absent): the name must be unique in the object. */
  position?: number;
  location: Location;
}

/** A `@@NAME@@` marker of a template file and what the model made of it. */
export interface TemplateMarker {
  name: string;
  location: Location;
  /** The table variable whose entries it stands for, when it sits in one the model knows. */
  table?: string;
  /** Whether the model filled in entries for it (KLP_FUNCS / KLP_OBJECTS from the list). */
  expanded: boolean;
}

export interface LivepatchModule {
  /** Kernel module name (dashes already converted to underscores, as the build does). */
  name: string;
  nameSource: 'file' | 'kbuild';
  /** Absolute paths of the C files that make up the module, main file first. */
  files: string[];
  parameters: ModuleParameter[];
  init?: { name: string; location: Location; definition?: FunctionDefinition };
  exit?: { name: string; location: Location; definition?: FunctionDefinition };
  enableCalls: EnableCall[];
  modinfoLivepatch?: Location;
  license?: { value: string; location: Location };
  patches: KlpPatch[];
  /** Every function defined in the module's files, by name. */
  functions: Map<string, FunctionDefinition>;
  macros: Map<string, MacroDefinition>;
  shadowCalls: ShadowCall[];
  /** Struct and union definitions by name ("struct x"), the first one of each name; absent in hand-built models. */
  records?: Map<string, RecordType>;
  /** Typedef names to the types they name ("sv_t" → "struct sv"), the first one of each name; absent in hand-built models. */
  typedefs?: Map<string, string>;
  stateCalls: StateCall[];
  /** Calls of other API whose presence matters (klp_register_patch, kallsyms_lookup_name, ...). */
  otherApiCalls: ApiCall[];
  /** True when the module looks like a livepatch (has a klp_patch, klp_enable_patch or the modinfo tag). */
  isLivepatch: boolean;
  /** Absent: upstream (hand-written tables). */
  layout?: ModuleLayout;
  /**
   * Patches a kpatch or klp-build generator builds from the sources: they are not in `patches`,
   * whose checks (skeleton, terminators) are about tables written by hand.
   */
  generatedPatches?: KlpPatch[];
  /** The fix folder's patched_funcs.csv (distribution layout). */
  patchedFuncs?: PatchedFuncsList & {
    /** Lines that no table of the template receives (no object for them, or no marker). */
    unplaced: PatchedFuncsLine[];
  };
  templateMarkers?: TemplateMarker[];
  /** Relocation macros of the module's files (active code only). */
  relocations?: KlpRelocation[];
}

/** A syntax problem found while parsing (ERROR / MISSING nodes, bad directives). */
export interface SyntaxProblem {
  message: string;
  location: Location;
}
