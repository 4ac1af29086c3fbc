/**
 * The module loader's side (kernel/module/main.c) as far as livepatching sees it: taint notices,
 * parameters, the livepatch COMING/GOING hooks around init and exit, references that keep a
 * livepatch module in place, and the user-space tools' messages (reference 1.10, 2.1, 9.4, 15).
 */
import type { CompiledProgram } from '../interp/program';
import { strerrorText } from '../preprocess/kernelConstants';
import { runNested } from './callbacks';
import { klpModuleComing, klpModuleGoing } from './core';
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
  const isLivepatch = handle.modinfo.has('livepatch');
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
  sim.modules.set(name, module);
  setModuleState(sim, module, 'COMING');
  const coming = klpModuleComing(sim, module);
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
      klpModuleGoing(sim, module);
      sim.modules.delete(name);
      unload();
      sim.events.push({ kind: 'module', time: sim.seconds(), action: 'load-failed', module: name });
      return fail(ret);
    }
  }
  const init = handle.initFunction;
  // init runs in the context of the insmod/modprobe process (finit_module).
  const value = init ? runNested(sim, init, [], tool.name, 'user') : 0;
  const initPid = sim.lastNestedPid;
  const ret = value === undefined ? -14 : Number(value) | 0;
  if (ret < 0) {
    setModuleState(sim, module, 'GOING');
    klpModuleGoing(sim, module);
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
  if (handle?.exitFunction) runNested(sim, handle.exitFunction, [], 'rmmod', 'user');
  klpModuleGoing(sim, module);
  sim.modules.delete(module.name);
  if (handle) sim.machine.unloadProgram(handle);
  sim.events.push({ kind: 'module', time: sim.seconds(), action: 'unload', module: module.name });
}
