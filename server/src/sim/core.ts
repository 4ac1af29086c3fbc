/**
 * kernel/livepatch/core.c: klp_enable_patch() in the kernel's order with its messages and errnos
 * (reference 2.2-2.5), symbol resolution against the kernel model (1.9, 2.3), atomic replace and
 * nops (2.7), freeing patches, and the module COMING/GOING hooks (9.4).
 */
import { KERN_ERR, KERN_NOTICE, KERN_WARNING } from './log';
import { functionKey } from './patch';
import { isPatchCompatible } from './state';
import { callCallback } from './callbacks';
import type { Simulator } from './simulator';
import { Transition } from './transition';
import { objectDisplayName, PATCHED, UNPATCHED, type KlpCallbacks, type KlpFunc, type KlpObject, type KlpPatch, type KlpRelocation, type KlpState, type SimModule } from './types';

const EINVAL = -22;
const EBUSY = -16;
const EEXIST = -17;
const ENOENT = -2;
const MODULE_NAME_LEN = 56;

class KlpError extends Error {
  constructor(readonly errno: number) {
    super(`errno ${errno}`);
  }
}

/** Reads the author's tables from module memory, as the kernel walks them (terminators, 1.7). */
function readPatch(sim: Simulator, address: number, module: SimModule): KlpPatch | number {
  const m = sim.machine;
  if (!address) return EINVAL;
  const raw = m.readStruct(address, 'klp_patch') as { mod: number; objs: number; states: number; replace: number };
  if (!raw.mod || !raw.objs) return EINVAL;
  const patch: KlpPatch = { name: module.name, module, address, objects: [], states: [], replace: !!raw.replace, enabled: false, forced: false };
  const objSize = m.structType('klp_object').size;
  const funcSize = m.structType('klp_func').size;
  for (let i = 0; ; i++) {
    const objAddress = raw.objs + i * objSize;
    const o = m.readStruct(objAddress, 'klp_object') as { name: number; funcs: number; callbacks: Record<string, number> };
    if (!o.name && !o.funcs) break;
    if (!o.funcs) return EINVAL; // step 2: every static object needs funcs
    const callbacks: KlpCallbacks = {
      pre_patch: o.callbacks.pre_patch ?? 0,
      post_patch: o.callbacks.post_patch ?? 0,
      pre_unpatch: o.callbacks.pre_unpatch ?? 0,
      post_unpatch: o.callbacks.post_unpatch ?? 0,
    };
    const object: KlpObject = { name: o.name ? m.readCString(o.name) : null, funcs: [], callbacks, postUnpatchEnabled: false, dynamic: false, patched: false, address: objAddress, patch };
    for (let j = 0; ; j++) {
      const funcAddress = o.funcs + j * funcSize;
      const f = m.readStruct(funcAddress, 'klp_func') as { old_name: number; new_func: number; old_sympos: number };
      if (!f.old_name && !f.new_func && !Number(f.old_sympos)) break;
      object.funcs.push({
        oldName: f.old_name ? m.readCString(f.old_name) : '',
        oldSympos: Number(f.old_sympos),
        newFunc: f.new_func,
        nop: false,
        patched: false,
        transition: false,
        object,
        address: funcAddress,
      });
    }
    patch.objects.push(object);
  }
  if (raw.states) {
    const stateSize = m.structType('klp_state').size;
    for (let i = 0; ; i++) {
      const stateAddress = raw.states + i * stateSize;
      const s = m.readStruct(stateAddress, 'klp_state') as { id: number; version: number };
      if (!Number(s.id)) break;
      patch.states.push({ id: Number(s.id), version: Number(s.version), address: stateAddress } as KlpState);
    }
  }
  return patch;
}

/**
 * klp_find_object_symbol(): the lookup in one object (null: vmlinux) with its three refusal
 * messages (2.3 step 5, 9.3); `matches` is how many symbols of that name the object has.
 */
function checkSymbolMatches(sim: Simulator, objectName: string | null, name: string, sympos: number, matches: number): void {
  if (matches === 0) {
    sim.log.klp(KERN_ERR, `symbol '${name}' not found in symbol table`);
    throw new KlpError(EINVAL);
  }
  if (sympos === 0 && matches > 1) {
    sim.log.klp(KERN_ERR, `unresolvable ambiguity for symbol '${name}' in object '${objectName ?? '(null)'}'`);
    throw new KlpError(EINVAL);
  }
  if (sympos > matches) {
    sim.log.klp(KERN_ERR, `symbol position ${sympos} for symbol '${name}' in object '${objectName ?? 'vmlinux'}' not found`);
    throw new KlpError(EINVAL);
  }
}

/** The kernel's symbol lookup in one object (2.3 step 5), with its three refusal messages. */
function resolveFunc(sim: Simulator, func: KlpFunc): void {
  const object = func.object;
  const objectName = objectDisplayName(object);
  checkSymbolMatches(sim, object.name, func.oldName, func.oldSympos, symbolsNamed(sim, objectName, func.oldName));
  const position = func.oldSympos || 1;
  func.oldKey = functionKey(objectName, func.oldName, position);
  func.oldFunc = sim.originalAddress(objectName, func.oldName);
  // The old function's size lookup cannot fail here: its address came from kallsyms itself.
  if (func.nop) func.newFunc = func.oldFunc ?? 0;
  else if (!kallsymsCovers(sim, func.newFunc)) {
    sim.log.klp(KERN_ERR, `kallsyms size lookup failed for '${func.oldName}' replacement`);
    throw new KlpError(ENOENT);
  }
}

/**
 * kallsyms_lookup_size_offset(): any address inside a function or inside a module's or the
 * kernel's image has a closest preceding symbol; heap, vmalloc and stack memory, or an
 * address nothing is mapped at, have none.
 */
function kallsymsCovers(sim: Simulator, address: number): boolean {
  if (sim.machine.functionAt(address)) return true;
  const block = sim.machine.memory.blockAt(address);
  return block !== undefined && block.kind !== 'heap' && block.kind !== 'vmalloc' && block.kind !== 'stack';
}

/** How many symbols of this name an object has: interpreted modules by their functions. */
export function symbolsNamed(sim: Simulator, objectName: string, name: string): number {
  const module = sim.modules.get(objectName);
  if (module?.program) return module.program.functions.filter((f) => f.name === name).length;
  return sim.kernel.lookup(objectName, name).length;
}

// ---- livepatch relocations (reference 9.2, 9.3) --------------------------------------------

const relocationStructPrefix = '__klp_module_reloc_';
/** Sections whose livepatch symbols have malformed names (reported when the module loads). */
export const MALFORMED_SECTION = '<malformed>';

/**
 * The livepatch module's relocation sections, keyed by the object they belong to: from
 * KLP_RELOC_SYMBOL(_POS) asm labels (.klp.sym.rela.<section>.<object>.<name>,<pos>) and from
 * KLP_MODULE_RELOC(obj) arrays (one .klp.sym.<obj>.<name>,<pos> per KLP_SYMPOS entry).
 */
export function readKlpRelocations(sim: Simulator, module: SimModule): Map<string, KlpRelocation[]> {
  const sections = new Map<string, KlpRelocation[]>();
  const handle = module.program;
  if (!handle) return sections;
  const add = (r: KlpRelocation) => sections.set(r.section, [...(sections.get(r.section) ?? []), r]);
  for (const slot of handle.program.slots) {
    if (slot.kind !== 'extern' || !slot.name.startsWith('.klp.sym.')) continue;
    // sscanf(".klp.sym.%55[^.].%511[^,],%lu") after the build's ".rela.<section>" step.
    const rela = /^\.klp\.sym\.rela\.([^.]{1,55})\.([^.]{1,55})\.([^,]+),(\d+)$/.exec(slot.name);
    // The final form names no section: taken as used from its own object's section.
    const final = rela ? null : /^\.klp\.sym\.([^.]{1,55})\.([^,]+),(\d+)$/.exec(slot.name);
    if (rela) add({ section: rela[1], object: rela[2], name: rela[3], sympos: Number(rela[4]), link: slot.name });
    else if (final) add({ section: final[1], object: final[1], name: final[2], sympos: Number(final[3]), link: slot.name });
    else add({ section: MALFORMED_SECTION, object: '', name: slot.name, sympos: 0, link: slot.name });
  }
  const m = sim.machine;
  for (const global of handle.program.globals) {
    const type = global.type;
    if (type.k !== 'array' || type.of.k !== 'struct' || !type.of.tag?.startsWith(relocationStructPrefix)) continue;
    const object = type.of.tag.slice(relocationStructPrefix.length);
    const base = handle.globalAddress(global.name);
    if (base === undefined) continue;
    const size = type.of.size;
    for (let i = 0; i < (type.length ?? 0); i++) {
      const entry = m.readStruct(base + i * size, type.of.tag) as { name: number; sympos: number };
      if (!entry.name) continue;
      const name = m.readCString(entry.name);
      add({ section: object, object, name, sympos: Number(entry.sympos), link: name });
    }
  }
  return sections;
}

/** Symbols of this name in an object, data included (interpreted modules: their definitions). */
function objectSymbolCount(sim: Simulator, objectName: string, name: string): number {
  const module = sim.modules.get(objectName);
  if (module?.program) {
    const program = module.program.program;
    return program.functions.filter((f) => f.name === name).length + program.globals.filter((g) => g.name === name).length;
  }
  return sim.kernel.lookup(objectName, name).length;
}

/** Where a resolved livepatch symbol lives in the simulated machine, when it is modelled there. */
function objectSymbolAddress(sim: Simulator, objectName: string, name: string): number | undefined {
  const module = sim.modules.get(objectName);
  if (module?.program) return module.program.globalAddress(name) ?? module.program.functionAddress(name);
  if (objectName !== 'vmlinux') return undefined;
  const data = sim.machine.kernel.address(name);
  if (data !== undefined) return data;
  const symbol = sim.kernel.lookup('vmlinux', name)[0];
  return symbol && /^[tTwW]$/.test(symbol.type) ? sim.originalAddress('vmlinux', name) : undefined;
}

/**
 * klp_apply_section_relocs() for every section of one object: each livepatch symbol is looked
 * up in that object only (vmlinux for vmlinux, the module's own symbols for a module).
 */
function applyRelocations(sim: Simulator, patchModule: SimModule, section: string): void {
  const relocations = patchModule.klpRelocations?.get(section) ?? [];
  const nameLimit = sim.version(6, 1) ? 511 : 127;
  const found: [KlpRelocation, number | undefined][] = [];
  for (const r of relocations) {
    if (r.name.length > nameLimit) {
      sim.log.klp(KERN_ERR, `symbol .klp.sym.${r.object}.${r.name},${r.sympos} has an incorrectly formatted name`);
      throw new KlpError(EINVAL);
    }
    // Since 5.8 a module's sections may not use vmlinux symbols (9.3).
    if (sim.version(5, 8) && section !== 'vmlinux' && r.object === 'vmlinux') {
      sim.log.klp(KERN_ERR, `invalid access to vmlinux symbol '${r.name}' from module-specific livepatch relocation section`);
      throw new KlpError(EINVAL);
    }
    checkSymbolMatches(sim, r.object === 'vmlinux' ? null : r.object, r.name, r.sympos, objectSymbolCount(sim, r.object, r.name));
    found.push([r, objectSymbolAddress(sim, r.object, r.name)]);
  }
  patchModule.klpRelocated ??= new Map();
  for (const [r, address] of found) {
    patchModule.program?.forgetSymbol(r.link);
    if (address !== undefined) patchModule.klpRelocated.set(r.link, address);
  }
}

/** klp_clear_object_relocs(): a target module went away; a reload starts clean (9.2). */
function clearRelocations(patchModule: SimModule, section: string): void {
  for (const r of patchModule.klpRelocations?.get(section) ?? []) {
    patchModule.klpRelocated?.delete(r.link);
    patchModule.program?.forgetSymbol(r.link);
  }
}

/**
 * The module loader hands the livepatch module's .klp.rela.vmlinux.* sections to the core
 * while applying its relocations (5.8+, reference 2.1 step 2): returns 0 or -EINVAL.
 */
export function applyVmlinuxRelocations(sim: Simulator, module: SimModule): number {
  const malformed = module.klpRelocations?.get(MALFORMED_SECTION)?.[0];
  if (malformed) {
    sim.log.klp(KERN_ERR, `symbol ${malformed.name} has an incorrectly formatted name`);
    return EINVAL;
  }
  if (!sim.version(5, 8)) return 0;
  try {
    applyRelocations(sim, module, 'vmlinux');
  } catch (error) {
    if (error instanceof KlpError) return error.errno;
    throw error;
  }
  return 0;
}

/** Whether ftrace can hook the function (4.5), from the model; interpreted modules always can. */
function patchable(sim: Simulator, func: KlpFunc): boolean {
  const objectName = objectDisplayName(func.object);
  if (sim.modules.get(objectName)?.program) return true;
  return sim.kernel.isPatchable(objectName, func.oldName).patchable !== false;
}

export function isObjectLoaded(object: KlpObject): boolean {
  return object.name === null || object.mod !== undefined;
}

const moduleStructs = new WeakMap<SimModule, number>();

/** Address of the module's `struct module` (its THIS_MODULE, or one made for model modules). */
export function moduleStructAddress(sim: Simulator, module: SimModule): number {
  if (module.program?.thisModule) return module.program.thisModule;
  let address = moduleStructs.get(module);
  if (!address) {
    const type = sim.machine.structType('module');
    address = sim.machine.allocKernel(type.size, `struct module ${module.name}`);
    const bytes = Buffer.from(`${module.name}\0`, 'utf8');
    sim.machine.memory.writeBytes(sim.machine.fieldAddress(address, 'module', 'name'), bytes);
    moduleStructs.set(module, address);
  }
  return address;
}

/** Sets klp_object.mod, in the model and in module memory (callbacks read obj->mod). */
function setObjectMod(sim: Simulator, object: KlpObject, module: SimModule | undefined): void {
  object.mod = module;
  if (module) object.everLoaded = true;
  if (object.address) sim.machine.writeField(object.address, 'klp_object', 'mod', module ? moduleStructAddress(sim, module) : 0);
}

function findLoadedModule(sim: Simulator, name: string): SimModule | undefined {
  const module = sim.modules.get(name);
  return module && module.klpAlive && module.state !== 'GOING' ? module : undefined;
}

/** Creates nops and dynamic objects for everything the replaced patches touch (2.7). */
function addNops(sim: Simulator, patch: KlpPatch): void {
  for (const old of sim.patches) {
    for (const oldObject of old.objects) {
      let object = patch.objects.find((o) => o.name === oldObject.name);
      if (!object) {
        object = { name: oldObject.name, funcs: [], callbacks: { pre_patch: 0, post_patch: 0, pre_unpatch: 0, post_unpatch: 0 }, postUnpatchEnabled: false, dynamic: true, patched: false, address: 0, patch };
        patch.objects.push(object);
      }
      for (const oldFunc of oldObject.funcs) {
        if (oldFunc.nop) continue;
        if (object.funcs.some((f) => f.oldName === oldFunc.oldName && f.oldSympos === oldFunc.oldSympos)) continue;
        object.funcs.push({ oldName: oldFunc.oldName, oldSympos: oldFunc.oldSympos, newFunc: 0, nop: true, patched: false, transition: false, object, address: 0 });
      }
    }
  }
}

/** Per-object initialization (2.3): names, sysfs collisions, then symbols if loaded. */
function initObject(sim: Simulator, object: KlpObject, seenObjects: Set<string>): void {
  if (object.name !== null && object.name.length >= MODULE_NAME_LEN) throw new KlpError(EINVAL);
  if (object.name !== null) setObjectMod(sim, object, findLoadedModule(sim, object.name));
  const dir = objectDisplayName(object);
  if (seenObjects.has(dir)) sysfsDuplicate(sim, `/kernel/livepatch/${object.patch.name}/${dir}`);
  seenObjects.add(dir);
  const funcDirs = new Set<string>();
  for (const func of object.funcs) {
    if (!func.oldName) throw new KlpError(EINVAL);
    if (!func.nop && !func.newFunc) throw new KlpError(EINVAL);
    if (func.oldName.length >= (sim.version(6, 1) ? 512 : 128)) throw new KlpError(EINVAL);
    const name = `${func.oldName},${func.oldSympos || 1}`;
    if (funcDirs.has(name)) sysfsDuplicate(sim, `/kernel/livepatch/${object.patch.name}/${dir}/${name}`);
    funcDirs.add(name);
  }
  if (isObjectLoaded(object)) {
    // klp_init_object_loaded(): a module's relocation sections first (vmlinux ones were
    // applied at module load since 5.8), then the functions.
    if (object.name !== null || !sim.version(5, 8)) applyRelocations(sim, object.patch.module, dir);
    for (const func of object.funcs) resolveFunc(sim, func);
  }
}

function sysfsDuplicate(sim: Simulator, path: string): never {
  sim.log.print(KERN_WARNING, `sysfs: cannot create duplicate filename '${path}'`);
  // sysfs_warn_dup() dumps the stack of the loading process (abbreviated, see dumpStack).
  sim.dumpStack(sim.machine.current?.name ?? 'insmod', ['dump_stack_lvl', 'sysfs_warn_dup', 'sysfs_create_dir_ns', 'kobject_add_internal', 'kobject_add', 'klp_enable_patch', 'do_one_initcall', 'do_init_module', 'load_module', '__do_sys_finit_module', 'do_syscall_64', 'entry_SYSCALL_64_after_hwframe']);
  sim.log.print(KERN_ERR, `kobject: kobject_add_internal failed for ${path.split('/').pop()} with -EEXIST, don't try to register things with the same name in the same directory.`);
  throw new KlpError(EEXIST);
}

/** Pushes an object's funcs (2.4 step 2); on failure removes the ones already added. */
export function patchObject(sim: Simulator, object: KlpObject): number {
  const added: KlpFunc[] = [];
  for (const func of object.funcs) {
    if (!patchable(sim, func)) {
      sim.log.klp(KERN_ERR, `failed to find location for function '${func.oldName}'`);
      for (const f of added) unpatchFunc(sim, f);
      return EINVAL;
    }
    // The first entry of a function registers its ftrace handler, which fails with -EBUSY
    // while kernel.ftrace_enabled is 0 (reference 4.1, 2.4).
    if (sim.stacks.stack(func.oldKey!).length === 0 && !sim.ftraceEnabled) {
      sim.log.klp(KERN_ERR, `failed to register ftrace handler for function '${func.oldName}' (${EBUSY})`);
      for (const f of added) unpatchFunc(sim, f);
      return EBUSY;
    }
    if (sim.stacks.push(func) && func.oldFunc !== undefined) sim.machine.hook(func.oldFunc);
    added.push(func);
  }
  object.patched = true;
  return 0;
}

function unpatchFunc(sim: Simulator, func: KlpFunc): void {
  if (sim.stacks.remove(func) && func.oldFunc !== undefined) sim.machine.unhook(func.oldFunc);
}

export function unpatchObject(sim: Simulator, object: KlpObject): void {
  for (const func of object.funcs) if (func.patched) unpatchFunc(sim, func);
  object.patched = false;
}

/** Removes a patch from the active list and releases its module reference (unless forced). */
export function freePatch(sim: Simulator, patch: KlpPatch): void {
  const index = sim.patches.indexOf(patch);
  if (index >= 0) sim.patches.splice(index, 1);
  for (const object of patch.objects) if (object.patched) unpatchObject(sim, object);
  if (!patch.forced) patch.module.refcount = Math.max(0, patch.module.refcount - 1);
  else patch.module.forced = true;
  sim.events.push({ kind: 'patch', time: sim.seconds(), action: 'freed', patch: patch.name });
}

/** The patch at `address`, refused (-EINVAL) when its module lacks MODULE_INFO(livepatch, "Y"). */
function readLivepatch(sim: Simulator, address: number, module: SimModule): KlpPatch | number {
  const patch = readPatch(sim, address, module);
  if (typeof patch === 'number') return patch;
  if (!module.isLivepatch) {
    sim.log.klp(KERN_ERR, `module ${module.name} is not marked as a livepatch module`);
    return EINVAL;
  }
  return patch;
}

/** klp_enable_patch(): returns 0 or a negative errno, printing what the kernel prints. */
export function klpEnablePatch(sim: Simulator, address: number, module: SimModule): number {
  const patch = readLivepatch(sim, address, module);
  if (typeof patch === 'number') return patch;
  if (sim.kernel.features?.reliableStacktrace === false) {
    sim.log.klp(KERN_WARNING, "This architecture doesn't have support for the livepatch consistency model.");
    sim.log.klp(KERN_WARNING, 'The livepatch transition may never complete.');
  }
  if (!isPatchCompatible(sim, patch)) {
    sim.log.klp(KERN_ERR, `Livepatch patch (${patch.name}) is not compatible with the already installed livepatches.`);
    return EINVAL;
  }
  module.refcount++;
  try {
    if (patch.replace) addNops(sim, patch);
    const seen = new Set<string>();
    for (const object of patch.objects) initObject(sim, object, seen);
  } catch (error) {
    module.refcount--;
    if (error instanceof KlpError) return error.errno;
    throw error;
  }
  sim.patches.push(patch);
  if (sim.transition) {
    sim.patches.pop();
    module.refcount--;
    return EBUSY;
  }
  return startEnabling(sim, patch);
}

/** Steps 15-19 of 2.2: announce, initialize the transition, pre_patch and hook per object, start. */
function startEnabling(sim: Simulator, patch: KlpPatch): number {
  sim.log.klp(KERN_NOTICE, `enabling patch '${patch.name}'`);
  const transition = new Transition(sim, patch, PATCHED);
  sim.transition = transition;
  transition.init();
  for (const object of patch.objects) {
    if (!isObjectLoaded(object)) continue;
    const ret = callCallback(sim, object, 'pre_patch');
    object.postUnpatchEnabled = ret === 0;
    if (ret !== 0) {
      sim.log.klp(KERN_WARNING, `pre-patch callback failed for object '${objectDisplayName(object)}'`);
      return enableFailed(sim, patch, transition, ret);
    }
    const patched = patchObject(sim, object);
    if (patched !== 0) {
      sim.log.klp(KERN_WARNING, `failed to patch object '${objectDisplayName(object)}'`);
      return enableFailed(sim, patch, transition, patched);
    }
  }
  transition.start();
  patch.enabled = true;
  sim.events.push({ kind: 'patch', time: sim.seconds(), action: 'enabled', patch: patch.name });
  transition.tryComplete();
  return 0;
}

/** 2.5: warn, cancel the transition (complete to UNPATCHED at once), tear down. */
function enableFailed(sim: Simulator, patch: KlpPatch, transition: Transition, errno: number): number {
  sim.log.klp(KERN_WARNING, `failed to enable patch '${patch.name}'`);
  transition.cancel();
  // A registered patch (4.x-5.0) stays registered; the cancelled transition dropped its reference.
  if (patch.registered) return errno;
  const index = sim.patches.indexOf(patch);
  if (index >= 0) sim.patches.splice(index, 1);
  patch.module.refcount = Math.max(0, patch.module.refcount - 1);
  return errno;
}

// ---- the registration API of 4.12-5.0 (reference 1.12) -------------------------------------

const ENOSYS = -38;

/** Kernels before 5.1: a patch is registered first (sysfs, symbols), then enabled separately. */
export function hasRegistrationApi(sim: Simulator): boolean {
  return !sim.version(5, 1);
}

function registeredPatch(sim: Simulator, address: number): KlpPatch | undefined {
  return sim.patches.find((p) => p.address === address && p.registered);
}

/** klp_register_patch(): the checks and object initialization of 2.2/2.3, no transition. */
export function klpRegisterPatch(sim: Simulator, address: number, module: SimModule): number {
  if (address && registeredPatch(sim, address)) return EINVAL;
  const patch = readLivepatch(sim, address, module);
  if (typeof patch === 'number') return patch;
  // Before 5.2 a kernel without reliable stack traces refused patches (errno unverified, 16.3).
  if (sim.kernel.features?.reliableStacktrace === false) {
    sim.log.klp(KERN_ERR, "This architecture doesn't have support for the livepatch consistency model.");
    return ENOSYS;
  }
  try {
    const seen = new Set<string>();
    for (const object of patch.objects) initObject(sim, object, seen);
  } catch (error) {
    if (error instanceof KlpError) return error.errno;
    throw error;
  }
  patch.registered = true;
  sim.patches.push(patch);
  return 0;
}

/**
 * The enable of 4.12-5.0 (klp_enable_patch(), or writing 1 to `enabled` of a registered,
 * disabled patch): only registered patches, in stacking order; the module reference is taken
 * here and dropped when the patch is unpatched again.
 */
export function enableRegisteredPatch(sim: Simulator, patch: KlpPatch): number {
  if (patch.enabled) {
    sim.warnSplat(undefined, 'kernel/livepatch/core.c:451', 'klp_enable_patch+0x6b/0x90');
    return EINVAL;
  }
  if (sim.transition) return EBUSY;
  // Stacking: only the first disabled patch (the one after the newest enabled) can be enabled.
  const index = sim.patches.indexOf(patch);
  if (index > 0 && !sim.patches[index - 1].enabled) return EBUSY;
  patch.module.refcount++;
  return startEnabling(sim, patch);
}

export function klpEnableRegistered(sim: Simulator, address: number): number {
  const patch = registeredPatch(sim, address);
  return patch ? enableRegisteredPatch(sim, patch) : EINVAL;
}

/** Disabling in 4.12-5.0 (klp_disable_patch(), sysfs): the newest enabled patch only. */
export function disableRegisteredPatch(sim: Simulator, patch: KlpPatch): number {
  if (!patch.enabled) return EINVAL;
  if (sim.transition) return EBUSY;
  const index = sim.patches.indexOf(patch);
  if (index < sim.patches.length - 1 && sim.patches[index + 1].enabled) return EBUSY;
  return startDisabling(sim, patch);
}

export function klpDisableRegistered(sim: Simulator, address: number): number {
  const patch = registeredPatch(sim, address);
  return patch ? disableRegisteredPatch(sim, patch) : EINVAL;
}

/** klp_unregister_patch(): refused while enabled; removes the sysfs tree. */
export function klpUnregisterPatch(sim: Simulator, address: number): number {
  const patch = registeredPatch(sim, address);
  if (!patch) return EINVAL;
  if (patch.enabled || sim.transition?.patch === patch) return EBUSY;
  sim.patches.splice(sim.patches.indexOf(patch), 1);
  sim.events.push({ kind: 'patch', time: sim.seconds(), action: 'freed', patch: patch.name });
  return 0;
}

/** The disable sequence of 2.9 (sysfs, and klp_disable_patch() before 5.1). */
export function startDisabling(sim: Simulator, patch: KlpPatch): number {
  const transition = new Transition(sim, patch, UNPATCHED);
  sim.transition = transition;
  transition.init();
  for (const object of patch.objects) if (object.patched && isObjectLoaded(object)) callCallback(sim, object, 'pre_unpatch');
  transition.start();
  patch.enabled = false;
  transition.tryComplete();
  return 0;
}

/** klp_module_coming (9.4): apply every active patch to a loading module, oldest first. */
export function klpModuleComing(sim: Simulator, module: SimModule): number {
  if (module.name === 'vmlinux') {
    sim.log.klp(KERN_ERR, 'vmlinux.ko: invalid module name');
    return EINVAL;
  }
  module.klpAlive = true;
  const applied: KlpObject[] = [];
  for (const patch of sim.patches) {
    const object = patch.objects.find((o) => o.name === module.name);
    if (!object) continue;
    setObjectMod(sim, object, module);
    try {
      applyRelocations(sim, patch.module, module.name);
      for (const func of object.funcs) resolveFunc(sim, func);
    } catch (error) {
      if (!(error instanceof KlpError)) throw error;
      sim.log.klp(KERN_WARNING, `failed to initialize patch '${patch.name}' for module '${module.name}' (${error.errno})`);
      return comingFailed(sim, module, patch, object, applied, error.errno);
    }
    sim.log.klp(KERN_NOTICE, `applying patch '${patch.name}' to loading module '${module.name}'`);
    const ret = callCallback(sim, object, 'pre_patch');
    object.postUnpatchEnabled = ret === 0;
    if (ret !== 0) {
      sim.log.klp(KERN_WARNING, `pre-patch callback failed for object '${module.name}'`);
      return comingFailed(sim, module, patch, object, applied, ret);
    }
    const patched = patchObject(sim, object);
    if (patched !== 0) {
      sim.log.klp(KERN_WARNING, `failed to apply patch '${patch.name}' to module '${module.name}' (${patched})`);
      if (object.postUnpatchEnabled) callCallback(sim, object, 'post_unpatch');
      object.postUnpatchEnabled = false;
      return comingFailed(sim, module, patch, object, applied, patched);
    }
    if (sim.transition?.patch !== patch) callCallback(sim, object, 'post_patch');
    applied.push(object);
  }
  return 0;
}

function comingFailed(sim: Simulator, module: SimModule, patch: KlpPatch, object: KlpObject, applied: KlpObject[], errno: number): number {
  sim.log.klp(KERN_WARNING, `patch '${patch.name}' failed for module '${module.name}', refusing to load module '${module.name}'`);
  clearRelocations(patch.module, module.name);
  setObjectMod(sim, object, undefined);
  module.klpAlive = false;
  for (const earlier of applied) revertObject(sim, earlier, module);
  return errno;
}

function revertObject(sim: Simulator, object: KlpObject, module: SimModule): void {
  const patch = object.patch;
  if (sim.transition?.patch !== patch && object.patched) callCallback(sim, object, 'pre_unpatch');
  sim.log.klp(KERN_NOTICE, `reverting patch '${patch.name}' on unloading module '${module.name}'`);
  unpatchObject(sim, object);
  if (object.postUnpatchEnabled) callCallback(sim, object, 'post_unpatch');
  object.postUnpatchEnabled = false;
  clearRelocations(patch.module, module.name);
  setObjectMod(sim, object, undefined);
}

/** klp_module_going (9.4): revert every active patch's object for an unloading module. */
export function klpModuleGoing(sim: Simulator, module: SimModule): void {
  module.klpAlive = false;
  for (const patch of sim.patches) {
    const object = patch.objects.find((o) => o.name === module.name);
    if (object && object.mod) revertObject(sim, object, module);
  }
}
