/**
 * Small questions several checks ask about a module or the kernel model, answered once here so
 * every check answers them the same way (what "vmlinux" means, what "reached from init" means).
 */
import { versionAtLeast, type KernelModel } from '../kernel/types';
import type { Location } from '../model/location';
import type { CallContext, FunctionDefinition, KlpFunc, KlpObject, KlpPatch, LivepatchModule } from '../model/types';

export const vmlinux = 'vmlinux';

/**
 * The object's name as the kernel compares it: "vmlinux" for a NULL name, undefined when the
 * name is an expression the extractor could not evaluate (checks then stay silent).
 */
export function objectName(object: KlpObject): string | undefined {
  if (object.name === undefined) return vmlinux;
  return object.name.value;
}

/** Where to point at an object: its name string, or the whole entry for vmlinux. */
export function objectAnchor(object: KlpObject): Location {
  return object.name?.location ?? object.location;
}

/** The position the kernel uses in sysfs: 0 and 1 both mean "the first match". */
export function effectiveSympos(func: KlpFunc): number | undefined {
  if (func.oldSympos === undefined) return 1;
  const value = func.oldSympos.value;
  if (value === undefined) return undefined;
  return value === 0 ? 1 : value;
}

/** The literal sympos (0 when the field is absent), for places where 0 and 1 differ. */
export function literalSympos(func: KlpFunc): number | undefined {
  return func.oldSympos === undefined ? 0 : func.oldSympos.value;
}

/**
 * The replacement named by an entry, if any: a half-typed `.new_func =` reaches the model as an
 * empty name, which is as good as no replacement.
 */
export function newFuncOf(func: KlpFunc): NonNullable<KlpFunc['newFunc']> | undefined {
  return func.newFunc && func.newFunc.name.trim() !== '' ? func.newFunc : undefined;
}

export function* entries<T extends { isTerminator: boolean }>(items: readonly T[]): Generator<T> {
  for (const item of items) if (!item.isTerminator) yield item;
}

export interface FuncSite {
  patch: KlpPatch;
  object: KlpObject;
  func: KlpFunc;
}

/** Every non-terminator function entry of every object of every patch. */
export function* funcSites(module: LivepatchModule): Generator<FuncSite> {
  for (const patch of module.patches)
    for (const object of entries(patch.objects)) for (const func of entries(object.funcs)) yield { patch, object, func };
}

export function isModuleLoaded(kernel: KernelModel, name: string): boolean {
  return name === vmlinux || kernel.loadedModules.includes(name);
}

/** "target kernel 6.1.0-50-amd64", for messages that depend on the version. */
export function targetKernel(kernel: KernelModel): string {
  return `target kernel ${kernel.release || `${kernel.version.major}.${kernel.version.minor}`}`;
}

export function atLeast(kernel: KernelModel, major: number, minor: number): boolean {
  return versionAtLeast(kernel.version, major, minor);
}

/**
 * The tail of a message about something the kernel rejects, quoting the line it prints. A
 * problem in a module object that is not loaded only surfaces when that module loads, and then
 * the kernel refuses the module rather than the patch: pass `notLoadedModule` for that case.
 */
export function kernelRefusal(line: string, errno: string, notLoadedModule?: string): string {
  const who =
    notLoadedModule === undefined
      ? 'the kernel refuses the patch'
      : `when '${notLoadedModule}' loads, the kernel refuses that module`;
  return `(${who}: "${line}", ${errno})`;
}

/** The same for refusals the kernel does not explain with a message. */
export function silentRefusal(errno: string): string {
  return `(the kernel refuses the patch with ${errno} and prints nothing)`;
}

/**
 * The closing brace of an initializer list: the extractor gives array locations that end right
 * after their `}`, and a missing terminator is best shown where it has to be added.
 */
export function closingBrace(location: Location): Location {
  const end = location.range.end;
  if (end.character === 0) return location;
  return { file: location.file, range: { start: { line: end.line, character: end.character - 1 }, end } };
}

export function locationKey(location: Location): string {
  const { start, end } = location.range;
  return `${location.file}:${start.line}:${start.character}:${end.line}:${end.character}`;
}

/** Names of functions reachable from the roots through direct calls to the module's own functions. */
export function reachableFunctions(module: LivepatchModule, roots: Iterable<string>): Set<string> {
  const seen = new Set<string>();
  const pending = [...roots];
  while (pending.length > 0) {
    const name = pending.pop()!;
    if (seen.has(name)) continue;
    seen.add(name);
    const definition = module.functions.get(name);
    if (definition) for (const callee of definition.calls) if (module.functions.has(callee) && !seen.has(callee)) pending.push(callee);
  }
  return seen;
}

/** A chain of calls from `from` to `to` inside the module (both included), or undefined. */
export function callPath(module: LivepatchModule, from: string, to: string): string[] | undefined {
  const parent = new Map<string, string | undefined>([[from, undefined]]);
  const queue = [from];
  while (queue.length > 0) {
    const name = queue.shift()!;
    if (name === to) {
      const path: string[] = [];
      for (let at: string | undefined = name; at !== undefined; at = parent.get(at)) path.unshift(at);
      return path;
    }
    for (const callee of module.functions.get(name)?.calls ?? []) {
      if (!module.functions.has(callee) || parent.has(callee)) continue;
      parent.set(callee, name);
      queue.push(callee);
    }
  }
  return undefined;
}

/** Names of the functions registered as callbacks anywhere in the module. */
export function callbackFunctionNames(module: LivepatchModule): Set<string> {
  const names = new Set<string>();
  for (const patch of module.patches) for (const object of entries(patch.objects)) for (const callback of object.callbacks) names.add(callback.name);
  return names;
}

export function hasAnnotation(definition: FunctionDefinition, ...names: string[]): boolean {
  return definition.annotations.some((annotation) => names.includes(annotation));
}

/** "a, b and c" for messages. */
export function listText(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

export function quoteList(items: readonly string[]): string {
  return listText(items.map((item) => `'${item}'`));
}

/**
 * Where to report a problem of the module as a whole: the klp_patch variable is what a reader
 * thinks of as "the livepatch", then the enable call, then module_init.
 */
export function moduleAnchor(module: LivepatchModule): Location | undefined {
  return (
    module.patches[0]?.nameLocation ??
    module.enableCalls[0]?.location ??
    module.init?.location ??
    module.modinfoLivepatch ??
    module.license?.location
  );
}

/** The patch whose address is passed, from an argument written like `&patch` or `patch`. */
export function patchNamed(module: LivepatchModule, argument: string | undefined): KlpPatch | undefined {
  if (argument === undefined) return undefined;
  const name = argument.replace(/^\s*&\s*/, '').replace(/[()\s]/g, '');
  return module.patches.find((patch) => patch.variableName === name);
}

/** Whether code in `enclosingFunction` runs from module_exit (directly or through helpers). */
export function isInExit(module: LivepatchModule, enclosingFunction: string, contexts: readonly CallContext[]): boolean {
  if (contexts.some((context) => context.kind === 'exit')) return true;
  return module.exit !== undefined && reachableFunctions(module, [module.exit.name]).has(enclosingFunction);
}

/**
 * An id as written plus its value when the text is a macro, e.g. "MEMINFO_STATE (0x4c500010)";
 * large ids read better in hex, which is also how the kernel prints shadow ids.
 */
export function idDisplay(text: string | undefined, value: number | undefined): string {
  const written = text?.trim();
  if (value === undefined) return written ?? '?';
  const shown = value >= 16 ? `0x${value.toString(16)}` : String(value);
  if (written === undefined || written === String(value) || written.toLowerCase() === shown) return written ?? shown;
  return `${written} (${shown})`;
}
