/**
 * scripts/livepatch/init.c (klp-build, 6.19+, reference 1.11): the module init klp-build links
 * into every module it generates. It turns the module's `struct klp_object_ext` descriptors
 * (its `__klp_objects` section) into ordinary klp_object/klp_func arrays, makes a replace patch
 * of them and enables it; a module without descriptors is refused with "nothing to patch!".
 */
import { klpEnablePatch, moduleStructAddress } from './core';
import { KERN_ERR } from './log';
import type { ProcessIdentity, Simulator } from './simulator';
import type { SimModule } from './types';
import { FaultSignal } from '../interp/fault';

const EINVAL = -22;
const EFAULT = -14;

/**
 * Whether a module's sources are klp-build output: they include the descriptors' header and
 * have no module_init of their own (init.c brings it, with the livepatch modinfo tag).
 */
export function generatedByKlpBuild(sourceTexts: string[]): boolean {
  const includesDescriptors = sourceTexts.some((text) => /^[ \t]*#[ \t]*include[ \t]*<linux\/livepatch_external\.h>/m.test(text));
  return includesDescriptors && !sourceTexts.some((text) => /\bmodule_init[ \t]*\(/.test(text));
}

/** The generated init, run by `process` (insmod): 0 or a negative errno, as klp_enable_patch(). */
export function klpBuildModuleInit(sim: Simulator, module: SimModule, process: ProcessIdentity): number {
  return sim.inProcess(process, () => generatedInit(sim, module, process.comm));
}

function generatedInit(sim: Simulator, module: SimModule, comm: string): number {
  const handle = module.program;
  if (!handle) return EINVAL;
  const m = sim.machine;
  // klp-build emits every descriptor as a file-scope struct klp_object_ext in __klp_objects;
  // the section holds them in link order, which is their order of definition here.
  const descriptors = handle.program.globals.filter((g) => g.type.k === 'struct' && g.type.tag === 'klp_object_ext');
  if (!descriptors.length) {
    sim.log.print(KERN_ERR, `${module.name}: nothing to patch!`);
    return EINVAL;
  }
  const objectSize = m.structType('klp_object').size;
  // Zeroed memory: the arrays end with the empty terminator entries the core expects (1.7).
  const objects = m.allocKernel(objectSize * (descriptors.length + 1), `${module.name}: klp_object[]`);
  for (const [i, descriptor] of descriptors.entries()) {
    try {
      copyDescriptor(sim, handle.globalAddress(descriptor.name)!, objects + i * objectSize, `${module.name}: klp_func[] of ${descriptor.name}`);
    } catch (error) {
      if (!(error instanceof FaultSignal)) throw error;
      // init.c would read past the descriptor's arrays (nr_funcs too large, a bad pointer):
      // reported like a fault of the module's own init, which fails with -EFAULT.
      const where = descriptor.loc;
      sim.reportFault(comm, {
        kind: error.kind,
        message: `${error.message} (klp-build's init reading the klp_object_ext ${descriptor.name})`,
        function: '',
        module: module.name,
        file: where.file,
        line: where.line,
        column: where.column,
        stack: [],
      });
      return EFAULT;
    }
  }
  const patch = m.allocKernel(m.structType('klp_patch').size, `${module.name}: klp_patch`);
  m.writeField(patch, 'klp_patch', 'mod', moduleStructAddress(sim, module));
  m.writeField(patch, 'klp_patch', 'objs', objects);
  // init.c's default; a build that asked for "no replace" is not modeled.
  m.writeField(patch, 'klp_patch', 'replace', 1);
  return klpEnablePatch(sim, patch, module);
}

/** One klp_object_ext into the klp_object at `object` (with a new klp_func array), as init.c does. */
function copyDescriptor(sim: Simulator, ext: number, object: number, label: string): void {
  const m = sim.machine;
  const funcSize = m.structType('klp_func').size;
  const funcExtSize = m.structType('klp_func_ext').size;
  const raw = m.readStruct(ext, 'klp_object_ext') as { name: number; funcs: number; nr_funcs: number };
  const count = Number(raw.nr_funcs);
  const funcs = m.allocKernel(funcSize * (count + 1), label);
  for (let j = 0; j < count; j++) {
    const f = m.readStruct(Number(raw.funcs) + j * funcExtSize, 'klp_func_ext') as { old_name: number; new_func: number; sympos: number };
    const func = funcs + j * funcSize;
    m.writeField(func, 'klp_func', 'old_name', f.old_name);
    m.writeField(func, 'klp_func', 'new_func', f.new_func);
    m.writeField(func, 'klp_func', 'old_sympos', f.sympos);
  }
  m.writeField(object, 'klp_object', 'name', raw.name);
  m.writeField(object, 'klp_object', 'funcs', funcs);
  m.memory.copy(m.fieldAddress(object, 'klp_object', 'callbacks'), m.fieldAddress(ext, 'klp_object_ext', 'callbacks'), m.structType('klp_callbacks').size);
}
