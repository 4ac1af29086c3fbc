/**
 * Concise builders for hand-made LivepatchModule values. Every built node gets its own fake
 * location (one line each, in build order), so a test can assert that a finding sits exactly on
 * the node it expects by comparing with the node's own location.
 *
 * The defaults make a correct module: `livepatchModule()` with one patch on cmdline_proc_show
 * yields no findings against `fakeKernel()`, and each test breaks one thing.
 */
import type { Location } from '../../../server/src/model/location';
import type {
  ApiCall,
  CallbackKind,
  CallContext,
  EnableCall,
  FunctionDefinition,
  KlpCallback,
  KlpFunc,
  KlpObject,
  KlpPatch,
  KlpState,
  LivepatchModule,
  ResolvedValue,
  ShadowCall,
  StateApi,
  StateCall,
  ShadowApi,
} from '../../../server/src/model/types';

export const testFile = '/workspace/livepatch-sample.c';

let nextLine = 0;

/** A location on a fresh line, so no two built nodes share one. */
export function freshLocation(length = 10, character = 4): Location {
  const line = nextLine++;
  return { file: testFile, range: { start: { line, character }, end: { line, character: character + length } } };
}

/** A location that spans several lines, like an array initializer `{ ... }`. */
function blockLocation(lines = 3): Location {
  const start = nextLine;
  nextLine += lines;
  return { file: testFile, range: { start: { line: start, character: 0 }, end: { line: start + lines - 1, character: 1 } } };
}

export function resolved<T>(value: T | undefined, text?: string): ResolvedValue<T> {
  const written = text ?? (typeof value === 'string' ? `"${value}"` : String(value));
  return { value, text: written, location: freshLocation(written.length) };
}

export interface FuncOptions {
  sympos?: number;
  /** Retired or unknown fields such as "immediate" or "old_addr". */
  otherFields?: string[];
}

/** A klp_func entry; pass undefined to leave .old_name or .new_func out. */
export function func(oldName: string | undefined, newFunc: string | undefined, options: FuncOptions = {}): KlpFunc {
  return {
    oldName: oldName === undefined ? undefined : resolved(oldName),
    newFunc: newFunc === undefined ? undefined : { name: newFunc, location: freshLocation(newFunc.length), isFunction: true },
    oldSympos: options.sympos === undefined ? undefined : resolved(options.sympos),
    otherFields: (options.otherFields ?? []).map((name) => ({ name, location: freshLocation(name.length + 1) })),
    location: freshLocation(40),
    isTerminator: false,
  };
}

export function funcTerminator(): KlpFunc {
  return { oldName: undefined, newFunc: undefined, oldSympos: undefined, otherFields: [], location: freshLocation(3), isTerminator: true };
}

export interface ObjectOptions {
  callbacks?: Partial<Record<CallbackKind, string>>;
  otherFields?: string[];
  /** Default true: append a `{ }` entry and mark the array terminated. */
  terminated?: boolean;
  /** The object has no .funcs at all. */
  noFuncs?: boolean;
  funcsArrayName?: string;
}

/** A klp_object; `name` undefined means vmlinux. */
export function object(name: string | undefined, funcs: KlpFunc[], options: ObjectOptions = {}): KlpObject {
  const terminated = options.terminated ?? true;
  const noFuncs = options.noFuncs ?? false;
  const callbacks: KlpCallback[] = Object.entries(options.callbacks ?? {}).map(([kind, callbackName]) => ({
    kind: kind as CallbackKind,
    name: callbackName!,
    location: freshLocation(callbackName!.length + 10),
  }));
  return {
    name: name === undefined ? undefined : resolved(name),
    funcsArrayName: noFuncs ? undefined : (options.funcsArrayName ?? 'funcs'),
    funcsLocation: noFuncs ? undefined : freshLocation(5),
    funcsArrayLocation: noFuncs ? undefined : blockLocation(),
    funcs: noFuncs ? [] : terminated ? [...funcs, funcTerminator()] : funcs,
    funcsTerminated: noFuncs ? false : terminated,
    callbacks,
    otherFields: (options.otherFields ?? []).map((field) => ({ name: field, location: freshLocation(field.length + 1) })),
    location: freshLocation(30),
    isTerminator: false,
  };
}

export function objectTerminator(): KlpObject {
  return { name: undefined, funcs: [], funcsTerminated: false, callbacks: [], otherFields: [], location: freshLocation(3), isTerminator: true };
}

export function state(id: number | undefined, version = 1): KlpState {
  return { id: id === undefined ? undefined : resolved(id), version: resolved(version), location: freshLocation(30), isTerminator: false };
}

export function stateTerminator(): KlpState {
  return { id: undefined, version: undefined, location: freshLocation(3), isTerminator: true };
}

export interface PatchOptions {
  /** Text of .mod; null leaves it out. Default THIS_MODULE. */
  mod?: string | null;
  /** Default true. */
  objectsTerminated?: boolean;
  /** The patch has no .objs at all. */
  noObjects?: boolean;
  states?: KlpState[];
  statesTerminated?: boolean;
  replace?: boolean;
  otherFields?: string[];
}

export function patch(variableName: string, objects: KlpObject[], options: PatchOptions = {}): KlpPatch {
  const objectsTerminated = options.objectsTerminated ?? true;
  const noObjects = options.noObjects ?? false;
  const states = options.states;
  const statesTerminated = options.statesTerminated ?? true;
  const mod = options.mod === undefined ? 'THIS_MODULE' : options.mod;
  return {
    variableName,
    location: freshLocation(40),
    nameLocation: freshLocation(variableName.length),
    mod: mod === null ? undefined : { text: mod, location: freshLocation(mod.length) },
    objsArrayName: noObjects ? undefined : 'objs',
    objsLocation: noObjects ? undefined : freshLocation(4),
    objsArrayLocation: noObjects ? undefined : blockLocation(),
    objects: noObjects ? [] : objectsTerminated ? [...objects, objectTerminator()] : objects,
    objectsTerminated: noObjects ? false : objectsTerminated,
    statesArrayName: states ? 'states' : undefined,
    statesLocation: states ? freshLocation(6) : undefined,
    statesArrayLocation: states ? blockLocation() : undefined,
    states: states ? (statesTerminated ? [...states, stateTerminator()] : states) : [],
    statesTerminated: states ? statesTerminated : false,
    replace: options.replace === undefined ? undefined : resolved(options.replace),
    otherFields: (options.otherFields ?? []).map((field) => ({ name: field, location: freshLocation(field.length + 1) })),
  };
}

export interface FunctionOptions {
  isStatic?: boolean;
  returnType?: string;
  parameterTypes?: string[];
  annotations?: string[];
  calls?: string[];
  /** Constant return values, or text/value pairs for `return EINVAL;`. */
  returns?: (number | { text: string; value?: number })[];
  staticLocals?: string[];
}

export function fn(name: string, options: FunctionOptions = {}): FunctionDefinition {
  return {
    name,
    file: testFile,
    location: blockLocation(4),
    nameLocation: freshLocation(name.length),
    isStatic: options.isStatic ?? true,
    returnType: options.returnType ?? 'int',
    parameterTypes: options.parameterTypes ?? [],
    annotations: options.annotations ?? [],
    calls: options.calls ?? [],
    returns: (options.returns ?? []).map((returned) =>
      typeof returned === 'number'
        ? { text: String(returned), value: returned, location: freshLocation(10) }
        : { text: returned.text, value: returned.value, location: freshLocation(10) },
    ),
    staticLocals: (options.staticLocals ?? []).map((local) => ({ name: local, location: freshLocation(local.length) })),
  };
}

/** A replacement with the usual seq_file prototype. */
export function replacement(name: string, options: FunctionOptions = {}): FunctionDefinition {
  return fn(name, { parameterTypes: ['struct seq_file *', 'void *'], ...options });
}

export function callbackFn(name: string, kind: CallbackKind, options: FunctionOptions = {}): FunctionDefinition {
  return fn(name, { returnType: kind === 'pre_patch' ? 'int' : 'void', parameterTypes: ['struct klp_object *'], ...options });
}

export function enableCall(patchName: string | undefined, options: Partial<Omit<EnableCall, 'location'>> = {}): EnableCall {
  return { enclosingFunction: 'livepatch_init', patchName, resultReturned: true, location: freshLocation(30), ...options };
}

export function apiCall(api: string, enclosingFunction: string, contexts: CallContext[] = [], argumentTexts: string[] = []): ApiCall {
  return { api, enclosingFunction, contexts, argumentTexts, location: freshLocation(api.length + 10) };
}

export interface ShadowCallOptions {
  id?: number;
  idMacro?: string;
  enclosingFunction?: string;
  contexts?: CallContext[];
  argumentTexts?: string[];
  size?: string;
  ctor?: string;
  dtor?: string;
}

export function shadowCall(api: ShadowApi, options: ShadowCallOptions = {}): ShadowCall {
  const idText = options.idMacro ?? String(options.id);
  const defaultArguments: Record<ShadowApi, string[]> = {
    klp_shadow_get: ['obj', idText],
    klp_shadow_alloc: ['obj', idText, options.size ?? 'sizeof(int)', 'GFP_KERNEL', options.ctor ?? 'NULL', 'NULL'],
    klp_shadow_get_or_alloc: ['obj', idText, options.size ?? 'sizeof(int)', 'GFP_KERNEL', options.ctor ?? 'NULL', 'NULL'],
    klp_shadow_free: ['obj', idText, options.dtor ?? 'NULL'],
    klp_shadow_free_all: [idText, options.dtor ?? 'NULL'],
  };
  return {
    api,
    enclosingFunction: options.enclosingFunction ?? 'livepatch_cmdline_proc_show',
    contexts: options.contexts ?? [{ kind: 'patched-function', oldName: 'cmdline_proc_show' }],
    location: freshLocation(api.length + 20),
    argumentTexts: options.argumentTexts ?? defaultArguments[api],
    id: options.id === undefined ? undefined : resolved(options.id, idText),
    idMacro: options.idMacro,
    size: options.size === undefined ? undefined : resolved<number>(undefined, options.size),
    ctor: options.ctor,
    dtor: options.dtor,
  };
}

export interface StateCallOptions {
  patchArgument?: string;
  idMacro?: string;
  enclosingFunction?: string;
  contexts?: CallContext[];
}

export function stateCall(api: StateApi, id: number, options: StateCallOptions = {}): StateCall {
  const idText = options.idMacro ?? String(id);
  return {
    api,
    enclosingFunction: options.enclosingFunction ?? 'livepatch_pre_patch',
    contexts: options.contexts ?? [{ kind: 'callback', callback: 'pre_patch' }],
    location: freshLocation(api.length + 10),
    argumentTexts: options.patchArgument ? [options.patchArgument, idText] : [idText],
    patchArgument: options.patchArgument,
    id: resolved(id, idText),
    idMacro: options.idMacro,
  };
}

export interface ModuleOptions {
  name?: string;
  patches?: KlpPatch[];
  /** Function definitions; missing replacements named livepatch_* are created automatically. */
  functions?: FunctionDefinition[];
  /** Name of the module_init function (created when missing); null for none. */
  init?: string | null;
  exit?: string | null;
  /** Default: one correct call per patch from init. */
  enableCalls?: EnableCall[];
  /** null for no MODULE_LICENSE. */
  license?: string | null;
  modinfo?: boolean;
  shadowCalls?: ShadowCall[];
  stateCalls?: StateCall[];
  otherApiCalls?: ApiCall[];
}

/** The patch used by default: cmdline_proc_show in vmlinux. */
export function samplePatch(variableName = 'patch'): KlpPatch {
  return patch(variableName, [object(undefined, [func('cmdline_proc_show', 'livepatch_cmdline_proc_show')])]);
}

export function livepatchModule(options: ModuleOptions = {}): LivepatchModule {
  const patches = options.patches ?? [samplePatch()];
  const functions = new Map<string, FunctionDefinition>();
  for (const definition of options.functions ?? []) functions.set(definition.name, definition);
  // Replacements named livepatch_* are created when a test does not supply them, so only
  // tests about replacements need to spell them out; other names stay undefined on purpose.
  for (const p of patches)
    for (const o of p.objects)
      for (const f of o.funcs)
        if (f.newFunc?.name.startsWith('livepatch_') && !functions.has(f.newFunc.name))
          functions.set(f.newFunc.name, replacement(f.newFunc.name));
  const initName = options.init === undefined ? 'livepatch_init' : options.init;
  const exitName = options.exit === undefined ? 'livepatch_exit' : options.exit;
  if (initName !== null && !functions.has(initName)) functions.set(initName, fn(initName, { annotations: ['__init'] }));
  if (exitName !== null && !functions.has(exitName)) functions.set(exitName, fn(exitName, { returnType: 'void', annotations: ['__exit'] }));
  for (const p of patches)
    for (const o of p.objects) {
      for (const f of o.funcs) {
        if (!f.newFunc) continue;
        const definition = functions.get(f.newFunc.name);
        f.newFunc.definition = definition;
      }
      for (const callback of o.callbacks) callback.definition = functions.get(callback.name);
    }
  const license = options.license === undefined ? 'GPL' : options.license;
  return {
    name: options.name ?? 'livepatch_sample',
    nameSource: 'file',
    files: [testFile],
    parameters: [],
    init: initName === null ? undefined : { name: initName, location: freshLocation(25), definition: functions.get(initName) },
    exit: exitName === null ? undefined : { name: exitName, location: freshLocation(25), definition: functions.get(exitName) },
    enableCalls: options.enableCalls ?? patches.map((p) => enableCall(p.variableName)),
    modinfoLivepatch: options.modinfo === false ? undefined : freshLocation(28),
    license: license === null ? undefined : { value: license, location: freshLocation(license.length + 2) },
    patches,
    functions,
    macros: new Map(),
    shadowCalls: options.shadowCalls ?? [],
    stateCalls: options.stateCalls ?? [],
    otherApiCalls: options.otherApiCalls ?? [],
    isLivepatch: true,
  };
}
