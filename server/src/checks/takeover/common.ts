/**
 * Questions the takeover checks ask about one module: which functions run for which callbacks,
 * which shadow ids and states it touches, where its patch declares `.replace`.
 */
import type { Location } from '../../model/location';
import type { CallbackKind, KlpPatch, LivepatchModule, ShadowCall, StateCall } from '../../model/types';
import { entries, idDisplay, reachableFunctions } from '../facts';

export const allocatingApis: ReadonlySet<ShadowCall['api']> = new Set(['klp_shadow_alloc', 'klp_shadow_get_or_alloc']);
export const freeingApis: ReadonlySet<ShadowCall['api']> = new Set(['klp_shadow_free', 'klp_shadow_free_all']);

/**
 * Ids compare by value: two modules may spell one id with different macros. An id that cannot
 * be evaluated falls back to its macro or text, which only ever matches the same spelling.
 */
export function shadowIdKey(call: ShadowCall | StateCall): string | undefined {
  if (call.id?.value !== undefined) return `#${call.id.value}`;
  const text = call.idMacro ?? call.id?.text;
  return text === undefined ? undefined : `'${text.replace(/\s+/g, '')}`;
}

export function stateIdKey(id: number): string {
  return `#${id}`;
}

/** "SV_COUNT (0x4c500002)" */
export function callIdText(call: ShadowCall | StateCall): string {
  return idDisplay(call.idMacro ?? call.id?.text, call.id?.value);
}

/** Names of the functions registered as callbacks of these kinds, in any object. */
export function callbackRoots(module: LivepatchModule, kinds: readonly CallbackKind[]): string[] {
  const names: string[] = [];
  for (const patch of module.patches)
    for (const object of entries(patch.objects))
      for (const callback of object.callbacks) if (kinds.includes(callback.kind) && !names.includes(callback.name)) names.push(callback.name);
  return names;
}

/** Every function that runs when callbacks of these kinds run (the callbacks and their helpers). */
export function callbackPath(module: LivepatchModule, kinds: readonly CallbackKind[]): Set<string> {
  return reachableFunctions(module, callbackRoots(module, kinds));
}

/**
 * Calls by id key, built once per module: a module's model is rebuilt when one of its files
 * changes, so the index lives exactly as long as the calls it points to. Series checks ask the
 * same question of every predecessor for every module.
 */
const callIndexes = new WeakMap<LivepatchModule, { shadow: Map<string, ShadowCall[]>; state: Map<string, StateCall[]> }>();

function callIndex(module: LivepatchModule) {
  let index = callIndexes.get(module);
  if (!index) {
    index = { shadow: new Map(), state: new Map() };
    for (const call of module.shadowCalls) {
      const key = shadowIdKey(call);
      if (key !== undefined) index.shadow.set(key, [...(index.shadow.get(key) ?? []), call]);
    }
    for (const call of module.stateCalls) {
      const key = shadowIdKey(call);
      if (key !== undefined) index.state.set(key, [...(index.state.get(key) ?? []), call]);
    }
    callIndexes.set(module, index);
  }
  return index;
}

export function shadowCallsWithId(module: LivepatchModule, key: string, apis?: ReadonlySet<ShadowCall['api']>): ShadowCall[] {
  const calls = callIndex(module).shadow.get(key) ?? [];
  return apis ? calls.filter((call) => apis.has(call.api)) : calls;
}

export function stateCallsWithId(module: LivepatchModule, key: string, api?: StateCall['api']): StateCall[] {
  const calls = callIndex(module).state.get(key) ?? [];
  return api ? calls.filter((call) => call.api === api) : calls;
}

/** The patch that makes the module cumulative (the one with `.replace = true`). */
export function cumulativePatch(module: LivepatchModule): KlpPatch | undefined {
  return module.patches.find((patch) => patch.replace?.value === true);
}

/** Where a finding about "this cumulative patch as a whole" sits: its `.replace`, else its name. */
export function replaceAnchor(patch: KlpPatch): Location {
  return patch.replace?.location ?? patch.nameLocation;
}

/** Calls whose names say they release memory or an object. */
export function freesSomething(module: LivepatchModule, functions: ReadonlySet<string>): boolean {
  for (const name of functions)
    for (const callee of module.functions.get(name)?.calls ?? []) if (/(^|_)(free|release|destroy)(_|$)|^kv?free|^vfree$/.test(callee)) return true;
  return false;
}
