/**
 * System states (reference 1.6, 8, 11.7): the states array and the calls that look states up.
 */
import type { CallContext, KlpPatch, KlpState, LivepatchModule } from '../model/types';
import { finding, related } from './context';
import { callbackFunctionNames, idDisplay, patchNamed, reachableFunctions } from './facts';
import type { Finding } from './types';

/** A state without `.id` is zero-initialised, so for the kernel it is a terminator too. */
function stateId(state: KlpState): number | undefined {
  if (state.isTerminator || state.id === undefined) return 0;
  return state.id.value;
}

/** The states the kernel sees: klp_for_each_state() stops at the first id 0. */
function visibleStates(patch: KlpPatch): { id: number; text: string }[] {
  const visible: { id: number; text: string }[] = [];
  for (const state of patch.states) {
    const id = stateId(state);
    if (id === 0) break;
    if (id !== undefined) visible.push({ id, text: idDisplay(state.id?.text, id) });
  }
  return visible;
}

export function checkDuplicateStates(module: LivepatchModule): Finding[] {
  const findings: Finding[] = [];
  for (const patch of module.patches) {
    const seen = new Map<number, KlpState>();
    for (const state of patch.states) {
      const id = stateId(state);
      if (id === undefined || id === 0) continue;
      const first = seen.get(id);
      if (!first) {
        seen.set(id, state);
        continue;
      }
      const versions = [first, state].map((s) => s.version?.text ?? '0');
      findings.push(
        finding(
          'LP-DUP-STATE',
          state.id!.location,
          `state id ${idDisplay(state.id?.text, id)} appears twice in patch '${patch.variableName}': klp_get_state(), klp_get_prev_state() and the compatibility check ` +
            `only ever find the first entry (version ${versions[0]}), so this one (version ${versions[1]}) is ignored`,
          { related: [related(first.id!.location, `first state with this id`)] },
        ),
      );
    }
  }
  return findings;
}

export function checkStateIdZero(module: LivepatchModule): Finding[] {
  const findings: Finding[] = [];
  for (const patch of module.patches) {
    patch.states.forEach((state, index) => {
      if (stateId(state) !== 0) return;
      const ignored = patch.states.slice(index + 1).filter((later) => !later.isTerminator).length;
      if (ignored === 0) return;
      const what = state.isTerminator ? 'this { }' : state.id === undefined ? 'this state has no .id, so its id is 0 and it' : 'state id 0';
      findings.push(
        finding(
          'LP-STATE-ID-ZERO',
          state.id?.location ?? state.location,
          `${what} ends the states array: the ${ignored} ${ignored === 1 ? 'state' : 'states'} after it ${ignored === 1 ? 'is' : 'are'} ` +
            `ignored by klp_get_state() and by the compatibility check; use non-zero ids`,
        ),
      );
    });
  }
  return findings;
}

export function checkUndeclaredStates(module: LivepatchModule): Finding[] {
  const findings: Finding[] = [];
  const declaredByModule = new Set(module.patches.flatMap((patch) => visibleStates(patch).map((state) => state.id)));
  for (const call of module.stateCalls) {
    const id = call.id?.value;
    if (id === undefined) continue;
    const location = call.id?.location ?? call.location;
    if (call.api === 'klp_get_state') {
      const patch = patchNamed(module, call.patchArgument);
      if (!patch) continue;
      const visible = visibleStates(patch);
      const declared = visible.map((state) => state.id);
      if (declared.includes(id)) continue;
      const has = visible.length === 0 ? 'it declares no states' : `it declares only ${visible.map((state) => state.text).join(', ')}`;
      findings.push(
        finding(
          'LP-STATE-UNDECLARED',
          location,
          `state ${idDisplay(call.id?.text, id)} is not declared by patch '${patch.variableName}' (${has}), so klp_get_state() always returns NULL here`,
          { related: [related(patch.statesLocation ?? patch.nameLocation, `states of '${patch.variableName}'`)], data: { declared } },
        ),
      );
    } else if (module.patches.length > 0 && !declaredByModule.has(id)) {
      const patch = module.patches[0];
      findings.push(
        finding(
          'LP-STATE-UNDECLARED',
          location,
          `state ${idDisplay(call.id?.text, id)} is not declared by this module's patch: klp_get_prev_state() is for taking over ` +
            `a state the patch itself carries forward (a replace patch that omits an installed state is refused as "not compatible"); declare it in .states`,
          { related: [related(patch.statesLocation ?? patch.nameLocation, `states of '${patch.variableName}'`)], data: { declared: [...declaredByModule] } },
        ),
      );
    }
  }
  return findings;
}

function describeContext(context: CallContext): string {
  switch (context.kind) {
    case 'patched-function':
      return `the replacement for '${context.oldName}'`;
    case 'init':
      return 'module_init';
    case 'exit':
      return 'module_exit';
    case 'callback':
      return `a ${context.callback} callback`;
    case 'helper':
      return `a helper reached from ${context.reachedFrom.map((name) => `'${name}'`).join(', ')}`;
  }
}

/** klp_get_prev_state() only means something during a transition, i.e. inside callbacks. */
export function checkPrevStateContext(module: LivepatchModule): Finding[] {
  const findings: Finding[] = [];
  const callbackNames = callbackFunctionNames(module);
  const reachedFromCallbacks = reachableFunctions(module, callbackNames);
  for (const call of module.stateCalls) {
    if (call.api !== 'klp_get_prev_state') continue;
    const outside = call.contexts.filter((context) => {
      if (context.kind === 'callback') return false;
      if (context.kind === 'helper') return context.reachedFrom.some((name) => !reachedFromCallbacks.has(name));
      return true;
    });
    if (outside.length === 0) continue;
    findings.push(
      finding(
        'LP-PREV-STATE-CONTEXT',
        call.location,
        `klp_get_prev_state() is called from ${outside.map(describeContext).join(' and ')}: outside a transition it hits WARN_ON_ONCE and returns NULL; ` +
          `call it from the patch's callbacks only`,
      ),
    );
  }
  return findings;
}
