/**
 * The files a scenario reads and writes: the livepatch sysfs tree with the kernel's attribute
 * rules (reference 6.1-6.3), module parameters, the dynamic debug control file, and procfs
 * (patch_state, tainted, and files produced by possibly patched vmlinux functions).
 */
import type { Task as MachineTask } from '../interp/task';
import { disableRegisteredPatch, enableRegisteredPatch, startDisabling } from './core';
import type { Simulator } from './simulator';
import { objectDisplayName, type KlpPatch } from './types';

export type FileResult = { ok: true; text: string } | { ok: false; errno: number };

const ENOENT = -2;
const EACCES = -13;
const EINVAL = -22;
const EBUSY = -16;
const EPERM = -1;

function parseBool(value: string): boolean | undefined {
  const v = value.trim();
  if (/^(1|y|Y|on)$/.test(v)) return true;
  if (/^(0|n|N|off)$/.test(v)) return false;
  return undefined;
}

function findPatch(sim: Simulator, name: string): KlpPatch | undefined {
  return sim.patches.find((p) => p.name === name);
}

/** Reads a file; `task` is the reading process (procfs show functions run on it). */
export function readFile(sim: Simulator, path: string, task: MachineTask): FileResult {
  const lp = /^\/sys\/kernel\/livepatch\/([^/]+)\/(.+)$/.exec(path);
  if (lp) {
    const patch = findPatch(sim, lp[1]);
    if (!patch) return { ok: false, errno: ENOENT };
    const attribute = lp[2];
    switch (attribute) {
      case 'enabled':
        return { ok: true, text: `${patch.enabled ? 1 : 0}\n` };
      case 'transition':
        return { ok: true, text: `${sim.transition?.patch === patch ? 1 : 0}\n` };
      case 'force':
        return { ok: false, errno: EACCES };
      case 'signal':
        return hasSignalAttribute(sim) ? { ok: false, errno: EACCES } : { ok: false, errno: ENOENT };
      case 'replace':
        return sim.version(6, 11) ? { ok: true, text: `${patch.replace ? 1 : 0}\n` } : { ok: false, errno: ENOENT };
      case 'stack_order':
        return sim.version(6, 14) ? { ok: true, text: `${sim.patches.indexOf(patch) + 1}\n` } : { ok: false, errno: ENOENT };
    }
    const objectAttribute = /^([^/]+)\/patched$/.exec(attribute);
    if (objectAttribute && sim.version(6, 0)) {
      const object = patch.objects.find((o) => objectDisplayName(o) === objectAttribute[1]);
      if (object) return { ok: true, text: `${object.patched ? 1 : 0}\n` };
    }
    return { ok: false, errno: ENOENT };
  }
  const param = /^\/sys\/module\/([^/]+)\/parameters\/([^/]+)$/.exec(path);
  if (param) {
    const module = sim.modules.get(param[1].replace(/-/g, '_'));
    const p = module?.program?.params.find((x) => x.name === param[2]);
    if (!module?.program || !p) return { ok: false, errno: ENOENT };
    if ((p.perm & 0o444) === 0) return { ok: false, errno: EACCES };
    return { ok: true, text: `${module.program.getParam(param[2])}\n` };
  }
  const patchState = /^\/proc\/(\d+|self)\/patch_state$/.exec(path);
  if (patchState) {
    const pid = patchState[1] === 'self' ? sim.viewOf(task).pid : Number(patchState[1]);
    const target = pid === sim.viewOf(task).pid ? sim.viewOf(task) : sim.taskByPid(pid);
    return target ? { ok: true, text: `${target.patchState}\n` } : { ok: false, errno: ENOENT };
  }
  const stack = /^\/proc\/(\d+)\/stack$/.exec(path);
  if (stack) {
    const target = sim.taskByPid(Number(stack[1]));
    return target ? { ok: true, text: target.stack().map((e) => `[<0>] ${e.function}+0x0/0x0${e.object === 'vmlinux' ? '' : ` [${e.object}]`}\n`).join('') } : { ok: false, errno: ENOENT };
  }
  if (path === '/proc/sys/kernel/ftrace_enabled') return { ok: true, text: `${sim.ftraceEnabled ? 1 : 0}\n` };
  if (path === '/proc/sys/kernel/tainted') {
    const bits: Record<string, number> = { W: 9, O: 12, E: 13, K: 15 };
    let value = 0;
    for (const flag of sim.tainted) value += 2 ** (bits[flag] ?? 0);
    return { ok: true, text: `${value}\n` };
  }
  const procfs = sim.procfsFiles()[path];
  if (procfs) return readThroughShowFunction(sim, procfs.function, task);
  return { ok: false, errno: ENOENT };
}

/** seq_file show function called like any kernel call: the ftrace handler picks the version. */
function readThroughShowFunction(sim: Simulator, fn: string, task: MachineTask): FileResult {
  const machine = sim.machine;
  const address = sim.originalAddress('vmlinux', fn);
  if (address === undefined) return { ok: false, errno: ENOENT };
  const seq = machine.allocKernel(256, `seq_file for ${fn}`);
  machine.kernel.seqText.set(seq, '');
  const result = machine.callFunction(address, [seq, 0], task);
  if (result.status === 'faulted') {
    sim.reportFault(task.name, result.fault);
    return { ok: false, errno: -14 };
  }
  const text = machine.kernel.seqText.get(seq) ?? '';
  machine.kernel.seqText.delete(seq);
  return { ok: true, text };
}

/** The write-only `signal` attribute existed from 4.15 until 5.0 (reference 1.12, 5.7). */
function hasSignalAttribute(sim: Simulator): boolean {
  return sim.version(4, 15) && !sim.version(5, 1);
}

/** The attributes of a patch directory on this kernel version (reference 6.1). */
function patchAttributes(sim: Simulator): string[] {
  const names = ['enabled', 'force', 'transition'];
  if (hasSignalAttribute(sim)) names.push('signal');
  if (sim.version(6, 11)) names.push('replace');
  if (sim.version(6, 14)) names.push('stack_order');
  return names;
}

/**
 * `ls <path>`: the livepatch sysfs tree (patch, object and function directories, attributes by
 * kernel version), a module's parameters, or an error like ls's "cannot access". An attribute
 * file lists as its own path, as ls does for a file.
 */
export function listDirectory(sim: Simulator, path: string): { ok: true; names: string[] } | { ok: false; errno: number } {
  const clean = path.replace(/\/+$/, '');
  const sorted = (names: string[]) => ({ ok: true as const, names: [...names].sort() });
  // klp_init() creates /sys/kernel/livepatch at boot, only in kernels built with CONFIG_LIVEPATCH.
  if (clean === '/sys/kernel/livepatch') return sim.kernel.config.get('CONFIG_LIVEPATCH') === 'y' ? sorted(sim.patches.map((p) => p.name)) : { ok: false, errno: ENOENT };
  const lp = /^\/sys\/kernel\/livepatch\/([^/]+)(?:\/([^/]+))?(?:\/([^/]+))?$/.exec(clean);
  if (lp) {
    const patch = findPatch(sim, lp[1]);
    if (!patch) return { ok: false, errno: ENOENT };
    if (!lp[2]) return sorted([...patchAttributes(sim), ...patch.objects.map(objectDisplayName)]);
    const object = patch.objects.find((o) => objectDisplayName(o) === lp[2]);
    if (!object) return patchAttributes(sim).includes(lp[2]) ? { ok: true, names: [clean] } : { ok: false, errno: ENOENT };
    const funcDirs = object.funcs.map((f) => `${f.oldName},${f.oldSympos || 1}`);
    if (!lp[3]) return sorted([...(sim.version(6, 0) ? ['patched'] : []), ...funcDirs]);
    if (funcDirs.includes(lp[3])) return sorted([]);
    return lp[3] === 'patched' && sim.version(6, 0) ? { ok: true, names: [clean] } : { ok: false, errno: ENOENT };
  }
  const params = /^\/sys\/module\/([^/]+)\/parameters$/.exec(clean);
  if (params) {
    const module = sim.modules.get(params[1].replace(/-/g, '_'));
    if (!module) return { ok: false, errno: ENOENT };
    return sorted(module.program?.params.map((p) => p.name) ?? []);
  }
  return { ok: false, errno: ENOENT };
}

/** Writes a file as `echo value > path` would; returns 0 or a negative errno. */
export function writeFile(sim: Simulator, path: string, value: string): number {
  if (path === '/sys/kernel/debug/dynamic_debug/control' || path === '/proc/dynamic_debug/control') {
    return sim.log.debug.apply(value) ? 0 : EINVAL;
  }
  if (path === '/proc/sys/kernel/ftrace_enabled') return writeFtraceEnabled(sim, value);
  const lp = /^\/sys\/kernel\/livepatch\/([^/]+)\/([^/]+)$/.exec(path);
  if (lp) {
    const patch = findPatch(sim, lp[1]);
    if (!patch) return ENOENT;
    if (lp[2] === 'enabled') return writeEnabled(sim, patch, value);
    if (lp[2] === 'force') {
      const force = parseBool(value);
      if (force === undefined) return EINVAL;
      if (!force) return 0;
      if (sim.transition?.patch !== patch) return EINVAL;
      sim.transition.force();
      return 0;
    }
    if (lp[2] === 'signal' && hasSignalAttribute(sim)) {
      // signal_store(): like force_store(), -EINVAL unless this patch is in transition.
      const signal = parseBool(value);
      if (signal === undefined) return EINVAL;
      if (!signal) return 0;
      if (sim.transition?.patch !== patch) return EINVAL;
      sim.transition.signalFromSysfs();
      return 0;
    }
    if (['transition', 'replace', 'stack_order'].includes(lp[2])) return EPERM;
    // A name the directory does not have: the shell's open(O_CREAT) fails, sysfs creates no files.
    return EACCES;
  }
  const param = /^\/sys\/module\/([^/]+)\/parameters\/([^/]+)$/.exec(path);
  if (param) {
    const module = sim.modules.get(param[1].replace(/-/g, '_'));
    const p = module?.program?.params.find((x) => x.name === param[2]);
    if (!module?.program || !p) return ENOENT;
    if ((p.perm & 0o222) === 0) return EACCES;
    return module.program.setParam(param[2], value.trim());
  }
  return ENOENT;
}

/**
 * kernel.ftrace_enabled: turning it off fails with -EBUSY while a livepatch (a permanent
 * ftrace_ops) is registered (reference 4.1, 6.6); while off, registering a handler fails.
 */
function writeFtraceEnabled(sim: Simulator, value: string): number {
  const v = value.trim();
  if (!/^-?\d+$/.test(v)) return EINVAL;
  const on = Number(v) !== 0;
  if (!on && sim.stacks.keys().length > 0) return EBUSY;
  sim.ftraceEnabled = on;
  return 0;
}

/** The `enabled` decision table (6.3) and the disable sequence (2.9). */
function writeEnabled(sim: Simulator, patch: KlpPatch, value: string): number {
  const enable = parseBool(value);
  if (enable === undefined) return EINVAL;
  if (enable === patch.enabled) return EINVAL;
  if (sim.transition?.patch === patch) {
    sim.transition.reverse();
    return 0;
  }
  // Before 5.1 a registered patch is enabled and disabled through sysfs at will (stacking
  // order permitting); since 5.1 a disabled patch is gone and cannot come back.
  if (patch.registered) return enable ? enableRegisteredPatch(sim, patch) : disableRegisteredPatch(sim, patch);
  if (enable) return EINVAL;
  if (sim.transition) return EBUSY;
  return startDisabling(sim, patch);
}
