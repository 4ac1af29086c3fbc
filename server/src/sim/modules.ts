/**
 * The module loader's side (kernel/module/main.c) as far as livepatching sees it: taint notices,
 * parameters, the livepatch COMING/GOING hooks around init and exit, references that keep a
 * livepatch module in place, and the user-space tools' messages (reference 1.10, 2.1, 9.4, 15).
 */
import type { CompiledProgram } from '../interp/program';
import { strerrorText } from '../preprocess/kernelConstants';
import { runNested } from './callbacks';
import { klpBuildModuleInit } from './klpBuildInit';
import { applyVmlinuxRelocations, klpModuleComing, klpModuleGoing, readKlpRelocations } from './core';
import { KERN_ERR, KERN_NOTICE, KERN_WARNING } from './log';
import type { Simulator } from './simulator';
import type { SimModule } from './types';

export interface CommandOutput {
  stdout: string[];
  stderr: string[];
}

const MODULE_STATE_LIVE = 0;
const MODULE_STATE_COMING = 1;
const MODULE_STATE_GOING = 2;

const ENOENT = -2;

/**
 * What kernel/livepatch exports to modules, with the versions that export it (reference 1.12,
 * 10): the registration API until 5.0, shadow variables since 4.13, states since 5.5.
 */
const livepatchExports = new Map<string, { since?: [number, number]; until?: [number, number] }>([
  ['klp_enable_patch', {}],
  ['klp_register_patch', { until: [5, 1] }],
  ['klp_unregister_patch', { until: [5, 1] }],
  ['klp_disable_patch', { until: [5, 1] }],
  ['klp_shadow_get', { since: [4, 13] }],
  ['klp_shadow_alloc', { since: [4, 13] }],
  ['klp_shadow_get_or_alloc', { since: [4, 13] }],
  ['klp_shadow_free', { since: [4, 13] }],
  ['klp_shadow_free_all', { since: [4, 13] }],
  ['klp_get_state', { since: [5, 5] }],
  ['klp_get_prev_state', { since: [5, 5] }],
]);

function livepatchExportMissing(sim: Simulator, name: string): boolean {
  const entry = livepatchExports.get(name);
  if (!entry) return false;
  if (sim.kernel.config.get('CONFIG_LIVEPATCH') !== 'y') return true;
  if (entry.since && !sim.version(...entry.since)) return true;
  return entry.until !== undefined && sim.version(...entry.until);
}

const unexportedKallsyms = new Set(['kallsyms_lookup_name', 'kallsyms_on_each_symbol']);

/**
 * Functions the module calls (from its own code, through the header inlines it uses) that
 * it does not define, in order of first use.
 */
export function calledExternals(program: CompiledProgram): string[] {
  const defined = new Map(program.functions.map((f) => [f.name, f]));
  const seen = new Set<string>();
  const externals: string[] = [];
  const visit = (names: string[]) => {
    for (const callee of names) {
      if (seen.has(callee)) continue;
      seen.add(callee);
      const fn = defined.get(callee);
      if (fn) visit(fn.code.flatMap((i) => (i.call && i.call.slot >= 0 ? [i.call.name] : [])));
      else externals.push(callee);
    }
  };
  visit(program.functions.filter((f) => f.file !== '<kernel-headers>').map((f) => f.name));
  return externals;
}

/**
 * The undefined symbols the loader cannot resolve. The livepatch core's exports exist only
 * with CONFIG_LIVEPATCH (a module without the livepatch tag that calls klp_enable_patch() gets
 * this far on such a kernel; a tagged one was refused by check_modinfo already) and only in
 * the versions that had them; the kallsyms lookups are not exported from 5.7 on.
 */
/**
 * References to symbols the scenario's other modules export: the modules this one will use,
 * and the symbols whose module is not loaded (unknown to the loader). A livepatch reaches
 * such symbols through livepatch relocations instead, which bind it to nothing.
 */
function moduleLinks(sim: Simulator, program: CompiledProgram, module: SimModule): { uses: string[]; missing: string[] } {
  const relocated = new Set([...(module.klpRelocations?.values() ?? [])].flat().map((r) => r.link));
  const uses = new Set<string>();
  const missing: string[] = [];
  for (const slot of program.slots) {
    if (slot.kind !== 'extern' || relocated.has(slot.name) || program.exports.has(slot.name)) continue;
    const owner = sim.moduleExports.get(slot.name);
    if (!owner || owner === module.name) continue;
    const loaded = sim.modules.get(owner);
    if (loaded && loaded.state !== 'GOING') uses.add(owner);
    else missing.push(slot.name);
  }
  return { uses: [...uses], missing };
}

function unknownSymbols(sim: Simulator, program: CompiledProgram): string[] {
  // kallsyms_lookup_name() and kallsyms_on_each_symbol() stopped being exported in 5.7.
  const kallsyms = sim.version(5, 7);
  return calledExternals(program).filter((callee) => livepatchExportMissing(sim, callee) || (kallsyms && unexportedKallsyms.has(callee)));
}

export function strerror(errno: number): string {
  return strerrorText[Math.abs(errno)] ?? `Unknown error ${Math.abs(errno)}`;
}

function setModuleState(sim: Simulator, module: SimModule, state: SimModule['state']): void {
  module.state = state;
  const address = module.program?.thisModule;
  if (address) sim.machine.writeField(address, 'module', 'state', state === 'LIVE' ? MODULE_STATE_LIVE : state === 'COMING' ? MODULE_STATE_COMING : MODULE_STATE_GOING);
}

/**
 * insmod/modprobe: load, taint, set parameters, COMING hook, init (which for a livepatch calls
 * klp_enable_patch). `tool` picks the user-space error wording.
 */
export function loadModule(
  sim: Simulator,
  program: CompiledProgram,
  params: [string, string][],
  tool: { name: 'insmod' | 'modprobe'; path: string },
  out: CommandOutput,
  sourcePath?: string,
  /** The module is klp-build output: scripts/livepatch/init.c is its init (klpBuildInit.ts). */
  generatedBy?: 'klp-build',
): void {
  const name = program.moduleName;
  const fail = (errno: number) => {
    // modprobe takes "File exists" from init_module for "already loaded" and reports
    // success without a word (reference 15, believed).
    if (tool.name === 'modprobe' && errno === -17) return;
    out.stderr.push(tool.name === 'insmod' ? `insmod: ERROR: could not insert module ${tool.path}: ${strerror(errno)}` : `modprobe: ERROR: could not insert '${name}': ${strerror(errno)}`);
  };
  if (sim.modules.has(name)) {
    // modprobe treats an already loaded module as success; insmod reports EEXIST.
    if (tool.name === 'insmod') fail(-17);
    return;
  }
  const handle = sim.machine.loadProgram(program, { moduleName: name });
  // init.c carries MODULE_INFO(livepatch, "Y") for a klp-build module.
  const isLivepatch = handle.modinfo.has('livepatch') || generatedBy === 'klp-build';
  const module: SimModule = { name, state: 'COMING', program: handle, isLivepatch, refcount: 0, forced: false, klpAlive: false, sourcePath };
  const unload = () => sim.machine.unloadProgram(handle);
  // check_modinfo order: out-of-tree, livepatch; then the signature notice.
  if (!handle.modinfo.has('intree') && !sim.tainted.has('O')) {
    sim.log.print(KERN_WARNING, `${name}: loading out-of-tree module taints kernel.`);
    sim.tainted.add('O');
  }
  if (isLivepatch) {
    if (sim.kernel.config.get('CONFIG_LIVEPATCH') !== 'y') {
      sim.log.print(KERN_ERR, `${name}: module is marked as livepatch module, but livepatch support is disabled`);
      unload();
      return fail(-8);
    }
    sim.tainted.add('K');
    sim.printOnce('taint-livepatch', KERN_NOTICE, `${name}: tainting kernel with TAINT_LIVEPATCH`);
  }
  if (sim.kernel.config.get('CONFIG_MODULE_SIG') === 'y') {
    sim.tainted.add('E');
    sim.printOnce('taint-unsigned', KERN_NOTICE, `${name}: module verification failed: signature and/or required key missing - tainting kernel`);
  }
  // The livepatch relocation sections are read first: their symbols are none of the loader's
  // business (SHN_LIVEPATCH), and they make no module dependency.
  if (isLivepatch) module.klpRelocations = readKlpRelocations(sim, module);
  // simplify_symbols(): every undefined symbol must resolve, or the load fails with -ENOENT;
  // a symbol another module exports makes this module use that one (ref_module).
  const links = moduleLinks(sim, program, module);
  const unknown = [...unknownSymbols(sim, program), ...links.missing];
  if (unknown.length) {
    for (const symbol of unknown) sim.log.print(KERN_WARNING, `${name}: Unknown symbol ${symbol} (err ${ENOENT})`);
    unload();
    sim.events.push({ kind: 'module', time: sim.seconds(), action: 'load-failed', module: name });
    return fail(ENOENT);
  }
  // apply_relocations(): a livepatch module's .klp.rela.vmlinux.* sections go to the core.
  if (isLivepatch && module.klpRelocations) {
    const relocated = applyVmlinuxRelocations(sim, module);
    if (relocated !== 0) {
      unload();
      sim.events.push({ kind: 'module', time: sim.seconds(), action: 'load-failed', module: name });
      return fail(relocated);
    }
  }
  module.uses = links.uses;
  sim.modules.set(name, module);
  setModuleState(sim, module, 'COMING');
  // Everything from here on (the livepatch COMING hook and its callbacks, init) runs in the
  // context of the insmod/modprobe process (finit_module).
  const process = { comm: tool.name, pid: sim.allocatePid(), kind: 'user' as const };
  const coming = sim.inProcess(process, () => klpModuleComing(sim, module));
  if (coming !== 0) {
    sim.modules.delete(name);
    unload();
    sim.events.push({ kind: 'module', time: sim.seconds(), action: 'load-failed', module: name });
    return fail(coming);
  }
  // load_module() parses the arguments after prepare_coming_module() (the livepatch COMING
  // hook); a bad value makes the load fail through coming_cleanup, i.e. the GOING hook.
  for (const [param, value] of params) {
    const ret = handle.setParam(param, value);
    if (ret === -2) sim.log.print(KERN_WARNING, `${name}: unknown parameter '${param}' ignored`);
    else if (ret !== 0) {
      sim.log.print(KERN_ERR, `${name}: \`${value}' invalid for parameter \`${param}'`);
      setModuleState(sim, module, 'GOING');
      sim.inProcess(process, () => klpModuleGoing(sim, module));
      sim.modules.delete(name);
      unload();
      sim.events.push({ kind: 'module', time: sim.seconds(), action: 'load-failed', module: name });
      return fail(ret);
    }
  }
  const init = handle.initFunction;
  const value = generatedBy === 'klp-build' && !init ? klpBuildModuleInit(sim, module, process) : init ? runNested(sim, init, [], process) : 0;
  const initPid = process.pid;
  const ret = value === undefined ? -14 : Number(value) | 0;
  if (ret < 0) {
    setModuleState(sim, module, 'GOING');
    sim.inProcess(process, () => klpModuleGoing(sim, module));
    sim.modules.delete(name);
    unload();
    sim.events.push({ kind: 'module', time: sim.seconds(), action: 'load-failed', module: name });
    return fail(ret);
  }
  if (ret > 0) {
    sim.log.print(KERN_WARNING, `do_init_module: '${name}'->init suspiciously returned ${ret}, it should follow 0/-E convention`);
    sim.log.print(KERN_WARNING, 'do_init_module: loading module anyway...');
    sim.dumpStack(tool.name, ['dump_stack_lvl', 'do_init_module', 'load_module', '__do_sys_finit_module', 'do_syscall_64', 'entry_SYSCALL_64_after_hwframe'], initPid);
  }
  setModuleState(sim, module, 'LIVE');
  sim.events.push({ kind: 'module', time: sim.seconds(), action: 'load', module: name });
}

/** rmmod: refused while referenced (an active or forced patch); else exit, GOING hook, free. */
export function unloadModule(sim: Simulator, name: string, out: CommandOutput): void {
  const module = sim.modules.get(name.replace(/-/g, '_'));
  if (!module) {
    out.stderr.push(`rmmod: ERROR: Module ${name} is not currently loaded`);
    return;
  }
  // kmod's rmmod names the holders first (modules linked to this one's exports), then
  // refuses on the reference count alone (the livepatch core's reference).
  const holders = [...sim.modules.values()].filter((m) => m.uses?.includes(module.name)).map((m) => m.name);
  if (holders.length) {
    out.stderr.push(`rmmod: ERROR: Module ${module.name} is in use by: ${holders.join(' ')}`);
    return;
  }
  if (module.refcount > 0 || module.forced) {
    out.stderr.push(`rmmod: ERROR: Module ${module.name} is in use`);
    return;
  }
  const handle = module.program;
  if (handle && handle.initFunction && !handle.exitFunction) {
    out.stderr.push(`rmmod: ERROR: could not remove '${module.name}': Device or resource busy`);
    out.stderr.push(`rmmod: ERROR: could not remove module ${module.name}: Device or resource busy`);
    return;
  }
  setModuleState(sim, module, 'GOING');
  // delete_module: the exit function and the GOING hook's callbacks run in rmmod's context.
  const process = { comm: 'rmmod', pid: sim.allocatePid(), kind: 'user' as const };
  if (handle?.exitFunction) runNested(sim, handle.exitFunction, [], process);
  sim.inProcess(process, () => klpModuleGoing(sim, module));
  // 4.12-5.0: an exit that does not unregister its patch leaves the core holding freed memory.
  for (const patch of sim.patches.filter((p) => p.registered && p.module === module)) {
    sim.patches.splice(sim.patches.indexOf(patch), 1);
    sim.findings.push({ code: 'SIM-STILL-REGISTERED', severity: 'error', message: `module ${module.name} was removed with its patch still registered (its exit must call klp_unregister_patch())`, source: module.sourcePath ? { file: module.sourcePath, line: 1 } : undefined });
  }
  sim.modules.delete(module.name);
  if (handle) sim.machine.unloadProgram(handle);
  sim.events.push({ kind: 'module', time: sim.seconds(), action: 'unload', module: module.name });
}
