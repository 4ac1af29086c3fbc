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
import { objectDisplayName, PATCHED, type KlpCallbacks, type KlpFunc, type KlpObject, type KlpPatch, type KlpState, type SimModule } from './types';

const EINVAL = -22;
const EBUSY = -16;
const EEXIST = -17;
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

/** The kernel's symbol lookup in one object (2.3 step 5), with its three refusal messages. */
function resolveFunc(sim: Simulator, func: KlpFunc): void {
  const object = func.object;
  const objectName = objectDisplayName(object);
  const names = symbolsNamed(sim, objectName, func.oldName);
  if (names === 0) {
    sim.log.klp(KERN_ERR, `symbol '${func.oldName}' not found in symbol table`);
    throw new KlpError(EINVAL);
  }
  if (func.oldSympos === 0 && names > 1) {
    sim.log.klp(KERN_ERR, `unresolvable ambiguity for symbol '${func.oldName}' in object '${object.name ?? '(null)'}'`);
    throw new KlpError(EINVAL);
  }
  if (func.oldSympos > names) {
    sim.log.klp(KERN_ERR, `symbol position ${func.oldSympos} for symbol '${func.oldName}' in object '${objectName}' not found`);
    throw new KlpError(EINVAL);
  }
  const position = func.oldSympos || 1;
  func.oldKey = functionKey(objectName, func.oldName, position);
  func.oldFunc = sim.originalAddress(objectName, func.oldName);
  if (func.nop) func.newFunc = func.oldFunc ?? 0;
}

/** How many symbols of this name an object has: interpreted modules by their functions. */
export function symbolsNamed(sim: Simulator, objectName: string, name: string): number {
  const module = sim.modules.get(objectName);
  if (module?.program) return module.program.functions.filter((f) => f.name === name).length;
  return sim.kernel.lookup(objectName, name).length;
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
  if (isObjectLoaded(object)) for (const func of object.funcs) resolveFunc(sim, func);
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

/** klp_enable_patch(): returns 0 or a negative errno, printing what the kernel prints. */
export function klpEnablePatch(sim: Simulator, address: number, module: SimModule): number {
  const read = readPatch(sim, address, module);
  if (typeof read === 'number') return read;
  const patch = read;
  if (!module.isLivepatch) {
    sim.log.klp(KERN_ERR, `module ${module.name} is not marked as a livepatch module`);
    return EINVAL;
  }
  const features = (sim.kernel.raw as { features?: { reliableStacktrace?: boolean } }).features;
  if (features?.reliableStacktrace === false) {
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
  const index = sim.patches.indexOf(patch);
  if (index >= 0) sim.patches.splice(index, 1);
  patch.module.refcount = Math.max(0, patch.module.refcount - 1);
  return errno;
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
