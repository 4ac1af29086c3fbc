/**
 * kernel/livepatch/state.c (reference 2.6, 8): the compatibility rule and the two lookups.
 */
import type { Simulator } from './simulator';
import type { KlpPatch, KlpState } from './types';

/** klp_is_patch_compatible: cumulative patches carry every installed state; no downgrades. */
export function isPatchCompatible(sim: Simulator, patch: KlpPatch): boolean {
  for (const old of sim.patches) {
    for (const state of old.states) {
      const mine = patch.states.find((s) => s.id === state.id);
      if (mine ? mine.version < state.version : patch.replace) return false;
    }
  }
  return true;
}

/** klp_get_state: the entry of this patch's states with the id. */
export function getState(patch: KlpPatch | undefined, id: number): KlpState | undefined {
  return patch?.states.find((s) => s.id === id);
}

/**
 * klp_get_prev_state: only during a transition; the newest older patch's state. Outside a
 * transition the kernel WARNs and returns NULL.
 */
export function getPrevState(sim: Simulator, id: number): KlpState | undefined | 'no-transition' {
  const transition = sim.transition;
  if (!transition) return 'no-transition';
  let found: KlpState | undefined;
  for (const patch of sim.patches) {
    if (patch === transition.patch) break;
    found = patch.states.find((s) => s.id === id) ?? found;
  }
  return found;
}
