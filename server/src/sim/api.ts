/**
 * The livepatch API as interpreted module code calls it (include/linux/livepatch.h): each host
 * function calls into the simulated core.
 */
import type { HostFunction } from '../interp/host';
import type { Machine } from '../interp/machine';
import { host, num } from '../interp/kernelApi/support';
import { hasRegistrationApi, klpDisableRegistered, klpEnablePatch, klpEnableRegistered, klpRegisterPatch, klpUnregisterPatch } from './core';
import type { Simulator } from './simulator';
import { getPrevState, getState } from './state';

function readStateAddress(m: Machine, patchAddress: number, id: number): number {
  if (!patchAddress) return 0;
  const states = (m.readStruct(patchAddress, 'klp_patch') as { states: number }).states;
  if (!states) return 0;
  const size = m.structType('klp_state').size;
  for (let i = 0; i < 1024; i++) {
    const s = m.readStruct(states + i * size, 'klp_state') as { id: number };
    if (!Number(s.id)) return 0;
    if (Number(s.id) === id) return states + i * size;
  }
  return 0;
}

export function livepatchApi(sim: Simulator): Map<string, HostFunction> {
  const moduleOf = (name: string | undefined) => (name ? sim.modules.get(name) : undefined);
  const functions: HostFunction[] = [
    host('klp_enable_patch', (m, t, args) => {
      const module = moduleOf(m.currentModule(t));
      if (!module) return -22;
      // Before 5.1 only a registered patch can be enabled (reference 1.12).
      if (hasRegistrationApi(sim)) return klpEnableRegistered(sim, num(args[0]));
      return klpEnablePatch(sim, num(args[0]), module);
    }),
    // The registration API of 4.12-5.0; the module loader refuses it on newer kernels.
    host('klp_register_patch', (m, t, args) => {
      const module = moduleOf(m.currentModule(t));
      return module ? klpRegisterPatch(sim, num(args[0]), module) : -22;
    }),
    host('klp_unregister_patch', (_m, _t, args) => klpUnregisterPatch(sim, num(args[0]))),
    host('klp_disable_patch', (_m, _t, args) => klpDisableRegistered(sim, num(args[0]))),
    host('klp_shadow_get', (_m, _t, args) => sim.shadows.get(num(args[0]), num(args[1]))?.data ?? 0),
    host('klp_shadow_alloc', (m, t, args, site) => sim.shadows.alloc(num(args[0]), num(args[1]), num(args[2]), num(args[4]), num(args[5]), true, site, m.currentModule(t))),
    host('klp_shadow_get_or_alloc', (m, t, args, site) => sim.shadows.alloc(num(args[0]), num(args[1]), num(args[2]), num(args[4]), num(args[5]), false, site, m.currentModule(t))),
    host('klp_shadow_free', (_m, _t, args) => sim.shadows.free((v) => v.obj === num(args[0]) && v.id === num(args[1]), num(args[2]))),
    host('klp_shadow_free_all', (_m, _t, args) => sim.shadows.free((v) => v.id === num(args[0]), num(args[1]))),
    host('klp_get_state', (m, _t, args) => {
      const patch = sim.patches.find((p) => p.address === num(args[0]));
      if (patch) return getState(patch, num(args[1]))?.address ?? 0;
      // Not enabled (yet): the kernel reads the struct's own states array all the same.
      return readStateAddress(m, num(args[0]), num(args[1]));
    }),
    host('klp_get_prev_state', (_m, _t, args) => {
      const found = getPrevState(sim, num(args[0]));
      if (found === 'no-transition') {
        // WARN_ON_ONCE: the splat only the first time since boot; NULL every time.
        if (!sim.printedOnce.has('klp_get_prev_state')) {
          sim.printedOnce.add('klp_get_prev_state');
          sim.warnSplat(undefined, 'kernel/livepatch/state.c:77', 'klp_get_prev_state+0x4e/0x60');
        }
        return 0;
      }
      return found?.address ?? 0;
    }),
  ];
  return new Map(functions.map((f) => [f.name, f]));
}
