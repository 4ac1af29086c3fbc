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
  id: ResolvedValue<number> | undefined;
  /** The id argument as written when it is a macro name (for navigation). */
  idMacro?: string;
  size?: ResolvedValue<number>;
  gfp?: string;
  ctor?: string;
  dtor?: string;
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
  stateCalls: StateCall[];
  /** Calls of other API whose presence matters (klp_register_patch, kallsyms_lookup_name, ...). */
  otherApiCalls: ApiCall[];
  /** True when the module looks like a livepatch (has a klp_patch, klp_enable_patch or the modinfo tag). */
  isLivepatch: boolean;
}

/** A syntax problem found while parsing (ERROR / MISSING nodes, bad directives). */
export interface SyntaxProblem {
  message: string;
  location: Location;
}
