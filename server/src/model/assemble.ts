/**
 * Builds the livepatch source model of one module from the facts of its files (C files first,
 * then the local headers they include). This is where macros, the kernel config and cross-file
 * names meet: tables are resolved by variable name across files, values are macro-expanded and
 * evaluated, and every API call learns which role (patched function, callback, init, exit,
 * helper) the function it sits in plays.
 */
import { inactiveRanges, isInactive, type ConfigurationFacts, type DirectiveMacros } from '../preprocess/conditionals';
import { evaluateExpression, type EvaluationOptions } from '../preprocess/expression';
import { kernelConstantValue } from '../preprocess/kernelConstants';
import type { MacroBody, MacroEnvironment } from '../preprocess/macros';
import { descriptorFields, kpatchShadowApis } from '../layouts/generators';
import { LayoutAssembly, type GeneratorInputs, type LayoutSources, type TableBuilder } from '../layouts/assembleLayout';
import type { Definitions } from '../layouts/distribution';
import type { CallSite, FileFacts, InitEntry, InitList, InitValue, RawDefine, RawInclude, StructVariable } from './fileFacts';
import {
  callbackKinds,
  type ApiCall,
  type CallContext,
  type CallbackKind,
  type EnableCall,
  type FunctionDefinition,
  type KlpCallback,
  type KlpFunc,
  type KlpObject,
  type KlpPatch,
  type KlpState,
  type LivepatchModule,
  type MacroDefinition,
  type RecordType,
  type ResolvedValue,
  type ShadowApi,
  type ShadowCall,
  type StateApi,
  type StateCall,
} from './types';

export interface ModuleSources {
  name: string;
  nameSource: 'file' | 'kbuild';
  /** Facts of the module's C files, main file first. */
  files: FileFacts[];
  /** Facts of local headers reached through `#include "..."`. */
  headers: FileFacts[];
  /** What a generated layout adds: patched_funcs.csv, template markers, the target object. */
  layout?: LayoutSources;
}

const shadowApis = new Set<string>(['klp_shadow_get', 'klp_shadow_alloc', 'klp_shadow_get_or_alloc', 'klp_shadow_free', 'klp_shadow_free_all']);
const stateApis = new Set<string>(['klp_get_state', 'klp_get_prev_state']);
/** Calls whose mere presence checks care about (retired or restricted API). */
const notableApis = new Set<string>([
  'klp_register_patch', 'klp_unregister_patch', 'klp_disable_patch', 'kallsyms_lookup_name',
  'kallsyms_on_each_symbol', 'klp_enable_patch', 'printk_once', 'pr_warn_once', 'pr_info_once',
  'pr_err_once', 'pr_notice_once', 'WARN_ONCE', 'DO_ONCE',
]);

/** `[A-Za-z_]\w*` without a regular expression. */
function isPlainIdentifier(text: string): boolean {
  if (text.length === 0) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const letter = (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
    if (!letter && !(i > 0 && c >= 48 && c <= 57)) return false;
  }
  return true;
}

function identifiersIn(text: string): Set<string> {
  return new Set(text.match(/[A-Za-z_]\w*/g) ?? []);
}

/** Field order of positional initializers, as declared in include/linux/livepatch.h. */
const positionalFields: Record<string, string[]> = {
  klp_patch: ['mod', 'objs', 'states', 'replace'],
  klp_object: ['name', 'funcs', 'callbacks'],
  klp_func: ['old_name', 'new_func', 'old_sympos'],
  klp_state: ['id', 'version', 'data'],
  klp_callbacks: ['pre_patch', 'post_patch', 'pre_unpatch', 'post_unpatch', 'post_unpatch_enabled'],
  ...descriptorFields,
};

function fieldsOf(list: InitList, structType: string, inactive: [number, number][] = []): Map<string, InitEntry> {
  const order = positionalFields[structType] ?? [];
  const fields = new Map<string, InitEntry>();
  let index = -1;
  for (const entry of list.entries) {
    if (isInactive(inactive, entry.offset)) continue;
    // Positional entries take the declared field at their index among the active entries.
    index++;
    const name = entry.field ?? order[index];
    if (name && !fields.has(name)) fields.set(name, entry);
  }
  return fields;
}

/** An all-empty entry (`{ }`, `{ 0 }`, `{ NULL }`, `{ .name = NULL }`) ends a kernel table. */
function isEmptyEntry(value: InitValue, env: MacroEnvironment): boolean {
  if (value.kind !== 'list') return false;
  for (const entry of value.entries) {
    if (entry.value.kind === 'list' ? !isEmptyEntry(entry.value, env) : evaluateExpression(entry.value.text, env) !== 0) return false;
  }
  return true;
}

/** Typedef names in active code, the first of each name (files before headers). */
function typedefNames(allFacts: readonly FileFacts[], inactiveByFile: InactiveByFile): Map<string, string> {
  const typedefs = new Map<string, string>();
  for (const facts of allFacts)
    for (const typedef of facts.typedefs ?? []) if (!typedefs.has(typedef.name) && isActive(inactiveByFile, facts, typedef.offset)) typedefs.set(typedef.name, typedef.type);
  return typedefs;
}

/** Struct and union definitions in active code, the first of each name (files before headers). */
function recordTypes(allFacts: readonly FileFacts[], inactiveByFile: InactiveByFile): Map<string, RecordType> {
  const records = new Map<string, RecordType>();
  for (const facts of allFacts)
    for (const record of facts.records ?? [])
      if (!records.has(record.name) && isActive(inactiveByFile, facts, record.offset)) records.set(record.name, { name: record.name, fields: record.fields, location: record.location });
  return records;
}

// The macro environments below are classes, not object literals with closures made per module,
// file or directive, for the reason given at ModuleValues.

/** A module's macros. */
class ModuleMacros implements MacroEnvironment {
  constructor(
    private readonly macros: Map<string, MacroDefinition>,
    readonly moduleName: string | undefined,
  ) {}
  lookup(name: string): MacroBody | undefined {
    return this.macros.get(name);
  }
}

/** A module's macros, with kernel constants (GFP_KERNEL, true) for the identifiers that are not. */
class WithKernelConstants implements EvaluationOptions {
  readonly moduleName: string | undefined;
  constructor(private readonly env: MacroEnvironment) {
    this.moduleName = env.moduleName;
  }
  lookup(name: string): MacroBody | undefined {
    return this.env.lookup(name);
  }
  identifierValue(name: string): number | undefined {
    return kernelConstantValue(name);
  }
}

/** The macros one file's directives see: its own #defines from where they are, the module's others. */
class FileDirectiveMacros implements DirectiveMacros {
  constructor(
    private readonly own: Map<string, RawDefine>,
    private readonly macros: Map<string, MacroDefinition>,
    private readonly moduleName: string | undefined,
  ) {}
  at(offset: number): MacroEnvironment {
    return new MacrosAtOffset(this.own, this.macros, this.moduleName, offset);
  }
  positionIndependent(condition: string): boolean {
    for (const id of identifiersIn(condition)) if (this.own.has(id)) return false;
    return true;
  }
}

/** What a directive at `offset` sees: the file's own #defines only once written above it. */
class MacrosAtOffset implements MacroEnvironment {
  constructor(
    private readonly own: Map<string, RawDefine>,
    private readonly macros: Map<string, MacroDefinition>,
    readonly moduleName: string | undefined,
    private readonly offset: number,
  ) {}
  lookup(name: string): MacroBody | undefined {
    const own = this.own.get(name);
    if (own) return own.offset < this.offset ? own : undefined;
    return this.macros.get(name);
  }
}

/** Keep these classes' hidden classes, and code optimised for them, alive between passes (see ModuleValues). */
const keptMacroEnvironments = [new ModuleMacros(new Map(), undefined), new WithKernelConstants({ lookup: () => undefined }), new FileDirectiveMacros(new Map(), new Map(), undefined), new MacrosAtOffset(new Map(), new Map(), undefined, 0)];
void keptMacroEnvironments;

/**
 * Values of one module's expressions: macro-expanded and evaluated once per text, identifiers
 * followed through object-like macros. A class rather than closures inside assembleModule: the
 * engine keeps its optimised code across modules instead of compiling it again for each
 * module's new closures (which, on a tree of a hundred fixes, cost more than running them).
 */
class ModuleValues {
  private readonly evaluated = new Map<string, ReturnType<typeof evaluateExpression>>();
  private readonly options: EvaluationOptions;
  constructor(
    /** Every active #define of the module (first definition wins). */
    readonly macros: Map<string, MacroDefinition>,
    readonly env: MacroEnvironment,
  ) {
    this.options = new WithKernelConstants(env);
  }

  evaluate(text: string): ReturnType<typeof evaluateExpression> {
    if (this.evaluated.has(text)) return this.evaluated.get(text);
    const value = evaluateExpression(text, this.options);
    this.evaluated.set(text, value);
    return value;
  }

  resolvedNumber(value: InitValue | undefined): ResolvedValue<number> | undefined {
    if (!value || value.kind !== 'expression') return undefined;
    const v = this.evaluate(value.text);
    return { value: typeof v === 'number' ? v : undefined, text: value.text, location: value.location };
  }

  resolvedString(value: InitValue | undefined): ResolvedValue<string> | undefined {
    if (!value || value.kind !== 'expression') return undefined;
    const v = this.evaluate(value.text);
    if (v === 0) return undefined; // NULL
    return { value: typeof v === 'string' ? v : undefined, text: value.text, location: value.location };
  }

  /** `foo`, `&foo`, `(foo)`, `foo + 0` or a macro naming an identifier → "foo". */
  identifierOf(text: string): string | undefined {
    // Most texts are a plain identifier already (argument identifiers, names): skip the clean-up.
    let t = text;
    if (!isPlainIdentifier(t)) {
      t = t.trim().replace(/^\(+|\)+$/g, '').replace(/^&\s*/, '').trim();
      if (!/^[A-Za-z_]\w*$/.test(t)) return undefined;
    }
    for (let guard = 0; guard < 16; guard++) {
      const macro = this.macros.get(t);
      if (!macro || macro.parameters) break;
      const next = macro.body.trim().replace(/^\(+|\)+$/g, '').replace(/^&\s*/, '').trim();
      if (!/^[A-Za-z_]\w*$/.test(next)) break;
      t = next;
    }
    return t;
  }

  /** The macro a text names, when it is exactly one. */
  macroName(text: string): string | undefined {
    const t = text.trim();
    return this.macros.has(t) ? t : undefined;
  }

  /** A call argument's value, with its text and place. */
  argumentValue(args: CallSite['arguments'], index: number): ResolvedValue<number> | undefined {
    const a = args[index];
    if (!a) return undefined;
    const v = this.evaluate(a.text);
    return { value: typeof v === 'number' ? v : undefined, text: a.text, location: a.location };
  }

  /** The function a call argument names (a ctor, a dtor), or undefined for NULL. */
  functionArgument(args: CallSite['arguments'], index: number): string | undefined {
    const a = args[index];
    if (!a || this.evaluate(a.text) === 0) return undefined;
    return this.identifierOf(a.text) ?? a.text;
  }
}

/**
 * One instance kept for the life of the thread. V8 collects a hidden class once no object has it,
 * and with it the optimised code of every function that checks for it: instances that all die
 * at the end of a workspace pass made the next pass compile those functions again (a fifth of
 * a warm pass's instructions went to the optimising compiler). A live instance keeps the class,
 * and the code, for every later instance.
 */
const keptModuleValues = new ModuleValues(new Map(), { lookup: () => undefined });
void keptModuleValues;

type InactiveByFile = Map<string, [number, number][]>;


function isActive(inactiveByFile: InactiveByFile, facts: FileFacts, offset: number): boolean {
  return !isInactive(inactiveByFile.get(facts.path) ?? [], offset);
}

/**
 * The module's macros (active code only) and the ranges of each file the target configuration
 * compiles out.
 */
function moduleMacros(allFacts: readonly FileFacts[], configuration: ConfigurationFacts, moduleName: string): { values: ModuleValues; inactiveByFile: InactiveByFile } {
  // Macros: every #define seen (first definition wins, as a header guard would make it).
  const macros = new Map<string, MacroDefinition>();
  for (const facts of allFacts) {
    for (const define of facts.defines) {
      if (!macros.has(define.name)) macros.set(define.name, { name: define.name, parameters: define.parameters, body: define.body, location: define.location });
    }
  }
  const env = new ModuleMacros(macros, moduleName);

  const inactiveByFile: InactiveByFile = new Map();
  const conditionResults = new Map<string, boolean | 'unknown'>();
  for (const facts of allFacts) {
    const ownDefines = new Map<string, RawDefine>();
    for (const d of facts.defines) if (!ownDefines.has(d.name)) ownDefines.set(d.name, d);
    inactiveByFile.set(facts.path, inactiveRanges(facts.conditionals, new FileDirectiveMacros(ownDefines, macros, moduleName), configuration, conditionResults));
  }

  // Active macros only from here on (a #define in a dead #if branch must not count).
  for (const facts of allFacts) {
    for (const define of facts.defines) {
      if (!isActive(inactiveByFile, facts, define.offset) && macros.get(define.name)?.location === define.location) macros.delete(define.name);
    }
  }
  for (const facts of allFacts) {
    for (const define of facts.defines) {
      if (isActive(inactiveByFile, facts, define.offset) && !macros.has(define.name)) {
        macros.set(define.name, { name: define.name, parameters: define.parameters, body: define.body, location: define.location });
      }
    }
  }
  return { values: new ModuleValues(macros, env), inactiveByFile };
}

/** Functions and struct variables of the module (active code only, first definition wins), and the calls the model reads. */
function moduleFunctions(
  allFacts: readonly FileFacts[],
  inactiveByFile: InactiveByFile,
  values: ModuleValues,
): { functions: Map<string, FunctionDefinition>; structVariables: Map<string, StructVariable>; allCalls: CallSite[] } {
  const functions = new Map<string, FunctionDefinition>();
  const structVariables = new Map<string, StructVariable>();
  const allCalls: CallSite[] = [];
  for (const facts of allFacts) {
    const inactive = inactiveByFile.get(facts.path) ?? [];
    for (const f of facts.functions) {
      if (isInactive(inactive, f.startOffset) || functions.has(f.name)) continue;
      functions.set(f.name, {
        name: f.name,
        file: facts.path,
        location: f.location,
        nameLocation: f.nameLocation,
        isStatic: f.isStatic,
        returnType: f.returnType,
        parameterTypes: f.parameterTypes,
        annotations: f.annotations,
        calls: [],
        returns: [],
        staticLocals: [],
      });
    }
    for (const v of facts.structVariables) if (!isInactive(inactive, v.offset) && !structVariables.has(v.name)) structVariables.set(v.name, v);
  }
  for (const facts of allFacts) {
    // Calls the model reads and plain call edges, merged back into text order (both are sorted
    // by offset): a function's callees keep the order they are written in.
    const { calls, callEdges } = facts;
    const inactive = inactiveByFile.get(facts.path) ?? [];
    for (let i = 0, j = 0; i < calls.length || j < callEdges.length; ) {
      const detailed = j >= callEdges.length || (i < calls.length && calls[i].offset <= callEdges[j].offset);
      const call = detailed ? calls[i++] : callEdges[j++];
      if (isInactive(inactive, call.offset)) continue;
      if (detailed) allCalls.push(call as CallSite);
      const fn = functions.get(call.enclosingFunction);
      if (fn && fn.location.file === facts.path && !fn.calls.includes(call.name)) fn.calls.push(call.name);
    }
    // Functions passed by address (ctor/dtor, work handlers) are reached through the call.
    for (const reference of facts.functionReferences) {
      const fn = functions.get(reference.enclosingFunction);
      if (!fn || fn.location.file !== facts.path) continue;
      const id = values.identifierOf(reference.name);
      if (!id || id === fn.name || !functions.has(id) || fn.calls.includes(id)) continue;
      if (!isInactive(inactive, reference.offset)) fn.calls.push(id);
    }
    for (const r of facts.returns) {
      const fn = functions.get(r.enclosingFunction);
      if (!fn || fn.location.file !== facts.path || isInactive(inactive, r.offset)) continue;
      const v = r.text ? values.evaluate(r.text) : undefined;
      fn.returns.push({ text: r.text, value: typeof v === 'number' ? v : undefined, location: r.location });
    }
    for (const st of facts.staticLocals) {
      const fn = functions.get(st.enclosingFunction);
      if (fn && fn.location.file === facts.path && !isInactive(inactive, st.offset)) fn.staticLocals.push({ name: st.name, location: st.location });
    }
  }
  return { functions, structVariables, allCalls };
}

type ModuleNote = Partial<Pick<LivepatchModule, 'init' | 'exit' | 'modinfoLivepatch' | 'license'>>;

/** Module skeleton: module_init/exit, modinfo, license, parameters (file-scope "calls"). */
function moduleSkeleton(allCalls: readonly CallSite[], values: ModuleValues, functions: Map<string, FunctionDefinition>): { note: ModuleNote; parameters: LivepatchModule['parameters'] } {
  const note: ModuleNote = {};
  const parameters: LivepatchModule['parameters'] = [];
  for (const call of allCalls) {
    if (call.enclosingFunction !== '') continue;
    const first = call.arguments[0];
    if ((call.name === 'module_init' || call.name === 'module_exit') && first) {
      const name = values.identifierOf(first.text) ?? first.text;
      const entry = { name, location: first.location, definition: functions.get(name) };
      if (call.name === 'module_init') note.init ??= entry;
      else note.exit ??= entry;
    } else if (call.name === 'MODULE_INFO' && first?.text.trim() === 'livepatch') {
      note.modinfoLivepatch ??= call.location;
    } else if (call.name === 'MODULE_LICENSE' && first) {
      const v = values.evaluate(first.text);
      note.license ??= { value: typeof v === 'string' ? v : first.text, location: call.location };
    } else if ((call.name === 'module_param' || call.name === 'module_param_named') && first) {
      const typeArg = call.arguments[call.name === 'module_param' ? 1 : 2];
      const permArg = call.arguments[call.name === 'module_param' ? 2 : 3];
      parameters.push({ name: first.text, type: typeArg?.text ?? '', permissions: permArg?.text ?? '', location: call.location });
    }
  }
  return { note, parameters };
}

/**
 * Roles of functions: the roots the livepatch core calls into, and helpers reached from them.
 * Gives each function's contexts, computed once per function.
 */
class CallContexts {
  private readonly roles = new Map<string, CallContext[]>();
  private readonly reachedFrom = new Map<string, Set<string>>();
  private readonly byFunction = new Map<string, CallContext[]>();

  constructor(patches: readonly KlpPatch[], note: ModuleNote, functions: Map<string, FunctionDefinition>) {
    for (const patch of patches) {
      for (const object of patch.objects) {
        for (const func of object.funcs) if (func.newFunc?.definition && func.oldName?.value) this.addRole(func.newFunc.name, { kind: 'patched-function', oldName: func.oldName.value });
        for (const cb of object.callbacks) if (cb.definition) this.addRole(cb.name, { kind: 'callback', callback: cb.kind });
      }
    }
    if (note.init?.definition) this.addRole(note.init.name, { kind: 'init' });
    if (note.exit?.definition) this.addRole(note.exit.name, { kind: 'exit' });
    for (const root of this.roles.keys()) {
      const seen = new Set<string>([root]);
      const queue = [root];
      while (queue.length) {
        const current = functions.get(queue.shift()!);
        for (const callee of current?.calls ?? []) {
          if (seen.has(callee) || !functions.has(callee)) continue;
          seen.add(callee);
          queue.push(callee);
          if (!this.roles.has(callee)) {
            const set = this.reachedFrom.get(callee) ?? new Set<string>();
            set.add(root);
            this.reachedFrom.set(callee, set);
          }
        }
      }
    }
  }

  private addRole(name: string, role: CallContext): void {
    const list = this.roles.get(name) ?? [];
    list.push(role);
    this.roles.set(name, list);
  }

  of(fn: string): CallContext[] {
    let contexts = this.byFunction.get(fn);
    if (!contexts) {
      const direct = this.roles.get(fn) ?? [];
      const helpers = this.reachedFrom.get(fn);
      contexts = helpers ? [...direct, { kind: 'helper', reachedFrom: [...helpers] }] : direct;
      this.byFunction.set(fn, contexts);
    }
    return contexts;
  }
}

/** Keeps this class's hidden class, and code optimised for it, alive between passes (see ModuleValues in model/assemble.ts). */
const keptCallContexts = new CallContexts([], {}, new Map());
void keptCallContexts;

interface ApiCalls {
  shadowCalls: ShadowCall[];
  stateCalls: StateCall[];
  enableCalls: EnableCall[];
  otherApiCalls: ApiCall[];
}

/** The livepatch API calls of the module (shadow variables, states, enable, retired API), with their contexts. */
function apiCalls(allCalls: readonly CallSite[], values: ModuleValues, functions: Map<string, FunctionDefinition>, contexts: CallContexts): ApiCalls {
  const found: ApiCalls = { shadowCalls: [], stateCalls: [], enableCalls: [], otherApiCalls: [] };
  for (const call of allCalls) {
    // Most calls are of no API the model records: skip them before building anything.
    const shadowApi = shadowApis.has(call.name) ? (call.name as ShadowApi) : kpatchShadowApis.get(call.name);
    const isShadow = shadowApi !== undefined;
    const isState = !isShadow && stateApis.has(call.name);
    const isNotable = notableApis.has(call.name);
    if (!isShadow && !isState && !isNotable && call.name !== 'klp_enable_patch') continue;
    const base: ApiCall = {
      api: call.name,
      enclosingFunction: call.enclosingFunction,
      contexts: contexts.of(call.enclosingFunction),
      location: call.location,
      argumentTexts: call.arguments.map((a) => a.text),
    };
    const args = call.arguments;
    if (isShadow) {
      const api = shadowApi;
      const idIndex = api === 'klp_shadow_free_all' ? 0 : 1;
      const shadow: ShadowCall = { ...base, api, id: values.argumentValue(args, idIndex), idMacro: args[idIndex] ? values.macroName(args[idIndex].text) : undefined };
      if (api !== call.name) shadow.writtenAs = call.name;
      if (call.resultType !== undefined) shadow.resultType = call.resultType;
      if (api === 'klp_shadow_alloc' || api === 'klp_shadow_get_or_alloc') {
        shadow.size = values.argumentValue(args, 2);
        if (args[2]?.sizeofType !== undefined) shadow.sizeType = args[2].sizeofType;
        shadow.gfp = args[3]?.text;
        shadow.ctor = values.functionArgument(args, 4);
      } else if (api === 'klp_shadow_free') shadow.dtor = values.functionArgument(args, 2);
      else if (api === 'klp_shadow_free_all') shadow.dtor = values.functionArgument(args, 1);
      found.shadowCalls.push(shadow);
    } else if (isState) {
      const api = call.name as StateApi;
      const idIndex = api === 'klp_get_state' ? 1 : 0;
      found.stateCalls.push({
        ...base,
        api,
        patchArgument: api === 'klp_get_state' && args[0] ? values.identifierOf(args[0].text) : undefined,
        id: values.argumentValue(args, idIndex),
        idMacro: args[idIndex] ? values.macroName(args[idIndex].text) : undefined,
      });
    }
    if (call.name === 'klp_enable_patch') {
      const returns = functions.get(call.enclosingFunction)?.returns ?? [];
      found.enableCalls.push({
        enclosingFunction: call.enclosingFunction,
        patchName: args[0] ? values.identifierOf(args[0].text) : undefined,
        resultReturned: call.returned || (!!call.assignedTo && returns.some((r) => r.text.trim() === call.assignedTo)),
        location: call.location,
      });
    }
    if (isNotable) found.otherApiCalls.push(base);
  }
  return found;
}

/**
 * Builds one module's klp tables from its struct variables, with the layout's markers filled in
 * (layouts/assembleLayout.ts calls back into it). A class rather than closures inside
 * assembleModule, for the reason given at ModuleValues.
 */
class TableAssembly implements TableBuilder, GeneratorInputs, Definitions {
  readonly layout: LayoutAssembly;
  readonly structVariables: StructVariable[];
  readonly includes: RawInclude[] = [];

  constructor(
    private readonly values: ModuleValues,
    private readonly inactiveByFile: InactiveByFile,
    readonly functions: Map<string, FunctionDefinition>,
    private readonly variables: Map<string, StructVariable>,
    readonly calls: CallSite[],
    allFacts: readonly FileFacts[],
    layoutSources: LayoutSources | undefined,
  ) {
    this.structVariables = [...variables.values()];
    for (const facts of allFacts) for (const include of facts.includes) if (isActive(inactiveByFile, facts, include.offset)) this.includes.push(include);
    this.layout = new LayoutAssembly(layoutSources, this);
  }

  isVariable(name: string): boolean {
    return this.variables.has(name);
  }

  isActiveAt(file: string, offset: number): boolean {
    return !isInactive(this.inactiveByFile.get(file) ?? [], offset);
  }

  fieldsOf(list: InitList, structType: string): Map<string, InitEntry> {
    return fieldsOf(list, structType);
  }

  resolvedString(value: InitValue | undefined): ResolvedValue<string> | undefined {
    return this.values.resolvedString(value);
  }

  resolvedNumber(value: InitValue | undefined): ResolvedValue<number> | undefined {
    return this.values.resolvedNumber(value);
  }

  identifierOf(text: string): string | undefined {
    return this.values.identifierOf(text);
  }

  isEmptyEntry(value: InitValue): boolean {
    return isEmptyEntry(value, this.values.env);
  }

  /** The struct array a field names (`objs`, `funcs[0]`), when it is one of `structType`. */
  private arrayOf(value: InitValue | undefined, structType: string): StructVariable | undefined {
    if (!value || value.kind !== 'expression') return undefined;
    const id = this.values.identifierOf(value.text.replace(/\[\s*0\s*\]$/, ''));
    const variable = id ? this.variables.get(id) : undefined;
    return variable && variable.structType === structType ? variable : undefined;
  }

  /** Table entries the target build compiles (an `#ifdef` can remove entries of an array). */
  activeEntries(variable: StructVariable): InitEntry[] {
    const inactive = this.inactiveByFile.get(variable.location.file) ?? [];
    const entries: InitEntry[] = [];
    for (const entry of variable.value.entries) if (!isInactive(inactive, entry.offset)) entries.push(entry);
    return entries;
  }

  private fieldsOfEntry(entry: InitEntry, structType: string): Map<string, InitEntry> {
    return entry.value.kind === 'list' ? fieldsOf(entry.value, structType, this.inactiveByFile.get(entry.location.file)) : new Map<string, InitEntry>();
  }

  buildFunc(entry: InitEntry): KlpFunc {
    const { values } = this;
    const fields = this.fieldsOfEntry(entry, 'klp_func');
    const newFuncEntry = fields.get('new_func');
    let newFunc: KlpFunc['newFunc'];
    if (newFuncEntry && newFuncEntry.value.kind === 'expression') {
      const name = values.identifierOf(newFuncEntry.value.text) ?? newFuncEntry.value.text;
      const definition = this.functions.get(name);
      const isNull = values.evaluate(newFuncEntry.value.text) === 0 || name.trim() === '';
      newFunc = isNull ? undefined : { name, location: newFuncEntry.value.location, definition, isFunction: !!definition || !this.variables.has(name) };
    }
    return {
      oldName: values.resolvedString(fields.get('old_name')?.value),
      newFunc,
      oldSympos: values.resolvedNumber(fields.get('old_sympos')?.value),
      otherFields: otherFields(fields, ['old_name', 'new_func', 'old_sympos']),
      location: entry.location,
      isTerminator: isEmptyEntry(entry.value, values.env),
    };
  }

  buildObject(entry: InitEntry): KlpObject {
    const { values } = this;
    const fields = this.fieldsOfEntry(entry, 'klp_object');
    const funcsEntry = fields.get('funcs');
    const funcsArray = this.arrayOf(funcsEntry?.value, 'klp_func');
    const funcs = funcsArray ? this.layout.funcsOf(funcsArray, this.activeEntries(funcsArray), values.resolvedString(fields.get('name')?.value), this) : [];
    const callbacks: KlpCallback[] = [];
    const callbacksEntry = fields.get('callbacks');
    if (callbacksEntry?.value.kind === 'list') {
      for (const [kind, cb] of fieldsOf(callbacksEntry.value, 'klp_callbacks')) {
        if (!callbackKinds.includes(kind as CallbackKind) || cb.value.kind !== 'expression') continue;
        const name = values.identifierOf(cb.value.text) ?? cb.value.text;
        if (values.evaluate(cb.value.text) === 0) continue;
        callbacks.push({ kind: kind as CallbackKind, name, location: cb.value.location, definition: this.functions.get(name) });
      }
    }
    return {
      name: values.resolvedString(fields.get('name')?.value),
      funcsArrayName: funcsArray?.name ?? (funcsEntry?.value.kind === 'expression' ? funcsEntry.value.text : undefined),
      funcsLocation: funcsEntry?.value.location,
      funcsArrayLocation: funcsArray?.value.location,
      funcs,
      funcsTerminated: funcs.length > 0 && funcs[funcs.length - 1].isTerminator,
      callbacks,
      otherFields: otherFields(fields, ['name', 'funcs', 'callbacks']),
      location: entry.location,
      isTerminator: isEmptyEntry(entry.value, values.env),
    };
  }

  private buildState(entry: InitEntry): KlpState {
    const { values } = this;
    const fields = this.fieldsOfEntry(entry, 'klp_state');
    return {
      id: values.resolvedNumber(fields.get('id')?.value),
      version: values.resolvedNumber(fields.get('version')?.value),
      location: entry.location,
      isTerminator: isEmptyEntry(entry.value, values.env),
    };
  }

  /** Every `struct klp_patch` of the module, its tables followed and resolved. */
  patches(): KlpPatch[] {
    const { values } = this;
    const patches: KlpPatch[] = [];
    for (const variable of this.variables.values()) {
      if (variable.structType !== 'klp_patch' || variable.isArray) continue;
      const fields = fieldsOf(variable.value, 'klp_patch', this.inactiveByFile.get(variable.location.file));
      const objsEntry = fields.get('objs');
      const objsArray = this.arrayOf(objsEntry?.value, 'klp_object');
      const objects = objsArray ? this.layout.objectsOf(objsArray, this.activeEntries(objsArray), this) : [];
      const statesEntry = fields.get('states');
      const statesArray = this.arrayOf(statesEntry?.value, 'klp_state');
      const states: KlpState[] = [];
      if (statesArray) for (const entry of this.activeEntries(statesArray)) states.push(this.buildState(entry));
      const modEntry = fields.get('mod');
      const replaceEntry = fields.get('replace');
      let replace: ResolvedValue<boolean> | undefined;
      if (replaceEntry && replaceEntry.value.kind === 'expression') {
        const v = values.evaluate(replaceEntry.value.text);
        replace = { value: typeof v === 'number' ? v !== 0 : undefined, text: replaceEntry.value.text, location: replaceEntry.value.location };
      }
      patches.push({
        variableName: variable.name,
        location: variable.location,
        nameLocation: variable.nameLocation,
        mod: modEntry && modEntry.value.kind === 'expression' ? { text: modEntry.value.text, location: modEntry.value.location } : undefined,
        objsArrayName: objsArray?.name ?? (objsEntry?.value.kind === 'expression' ? objsEntry.value.text : undefined),
        objsLocation: objsEntry?.value.location,
        objsArrayLocation: objsArray?.value.location,
        objects,
        objectsTerminated: objects.length > 0 && objects[objects.length - 1].isTerminator,
        statesArrayName: statesArray?.name ?? (statesEntry?.value.kind === 'expression' ? statesEntry.value.text : undefined),
        statesLocation: statesEntry?.value.location,
        statesArrayLocation: statesArray?.value.location,
        states,
        statesTerminated: states.length > 0 && states[states.length - 1].isTerminator,
        replace,
        otherFields: otherFields(fields, ['mod', 'objs', 'states', 'replace']),
      });
    }
    return patches;
  }
}

/** Keeps this class's hidden class, and code optimised for it, alive between passes (see ModuleValues). */
const keptTableAssembly = new TableAssembly(keptModuleValues, new Map(), new Map(), new Map(), [], [], undefined);
void keptTableAssembly;

export function assembleModule(sources: ModuleSources, configuration: ConfigurationFacts): LivepatchModule {
  const allFacts = sources.headers.length === 0 ? sources.files : sources.files.concat(sources.headers);
  const { values, inactiveByFile } = moduleMacros(allFacts, configuration, sources.name);
  const { functions, structVariables, allCalls } = moduleFunctions(allFacts, inactiveByFile, values);
  // Generated layouts: template markers filled from patched_funcs.csv, generator-built patches.
  const tables = new TableAssembly(values, inactiveByFile, functions, structVariables, allCalls, allFacts, sources.layout);
  const patches = tables.patches();
  const generated = tables.layout.generatedPatches(tables);

  const { note: moduleNote, parameters } = moduleSkeleton(allCalls, values, functions);
  const contexts = new CallContexts([...patches, ...generated.patches], moduleNote, functions);
  const { shadowCalls, stateCalls, enableCalls, otherApiCalls } = apiCalls(allCalls, values, functions, contexts);
  for (const facts of allFacts) {
    for (const use of facts.structUses) {
      if (use.name === 'klp_reloc' && isActive(inactiveByFile, facts, use.offset)) otherApiCalls.push({ api: 'struct klp_reloc', enclosingFunction: '', contexts: [], location: use.location, argumentTexts: [] });
    }
  }

  const layoutPart = tables.layout.finish(generated, tables);
  const files: string[] = [];
  for (const facts of sources.files) files.push(facts.path);
  return {
    name: sources.name,
    nameSource: sources.nameSource,
    files,
    parameters,
    ...moduleNote,
    enableCalls,
    patches,
    functions,
    macros: values.macros,
    shadowCalls,
    records: recordTypes(allFacts, inactiveByFile),
    typedefs: typedefNames(allFacts, inactiveByFile),
    stateCalls,
    otherApiCalls,
    // A generator's patch makes a livepatch too: kpatch-build and klp-build write the rest.
    isLivepatch:
      patches.length > 0 || enableCalls.length > 0 || moduleNote.modinfoLivepatch !== undefined || (layoutPart.generatedPatches?.length ?? 0) > 0,
    ...layoutPart,
  };
}

function otherFields(fields: Map<string, InitEntry>, known: string[]): { name: string; location: InitEntry['location'] }[] {
  const other: { name: string; location: InitEntry['location'] }[] = [];
  for (const [name, entry] of fields) if (!known.includes(name)) other.push({ name, location: entry.fieldLocation ?? entry.location });
  return other;
}
