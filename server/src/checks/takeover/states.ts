/**
 * System states across a series (reference 2.6, 3.5, 8.2, 11.7): the compatibility check the
 * kernel runs before anything else, and the callback idiom that hands a state from the installed
 * patch to the one replacing it.
 */
import type { KlpState, LivepatchModule } from '../../model/types';
import { diagnosticCodeInfo, type DiagnosticCode } from '../codes';
import { finding, related, type CheckContext } from '../context';
import { idDisplay } from '../facts';
import { declaredStates, describePredecessor, installedBefore, isCumulative, severityFor, type Predecessor } from '../series';
import type { Finding } from '../types';
import { allocatingApis, callbackPath, cumulativePatch, freesSomething, replaceAnchor, shadowCallsWithId, stateCallsWithId, stateIdKey } from './common';

function severity(code: DiagnosticCode, basis: Predecessor['basis']) {
  return severityFor(diagnosticCodeInfo.get(code)!.defaultSeverity, basis);
}

function stateText(state: KlpState, id: number): string {
  return idDisplay(state.id?.text, id);
}

function refusal(module: LivepatchModule): string {
  return `("livepatch: Livepatch patch (${module.name}) is not compatible with the already installed livepatches.", -EINVAL)`;
}

/** What the installed patches require of each state id: the highest version, and who asks. */
function requiredStates(predecessors: readonly Predecessor[]): Map<number, { version: number | undefined; state: KlpState; predecessor: Predecessor }> {
  const required = new Map<number, { version: number | undefined; state: KlpState; predecessor: Predecessor }>();
  for (const predecessor of predecessors)
    for (const [id, entry] of declaredStates(predecessor.module)) {
      const current = required.get(id);
      const higher = current === undefined || (entry.version ?? 0) > (current.version ?? 0);
      const firmer = current !== undefined && current.predecessor.basis === 'guess' && predecessor.basis === 'series';
      if (higher || firmer) required.set(id, { version: entry.version, state: entry.state, predecessor });
    }
  return required;
}

/**
 * klp_is_patch_compatible(): a cumulative patch must carry every installed state, and no patch
 * may lower a state's version. Refused before any callback runs, so it is an error.
 */
export function checkStateCompatibility(module: LivepatchModule, ctx: CheckContext): Finding[] {
  const predecessors = installedBefore(module, ctx);
  if (predecessors.length === 0 || module.patches.length === 0) return [];
  const findings: Finding[] = [];
  const mine = declaredStates(module);
  const patch = cumulativePatch(module);
  for (const [id, required] of requiredStates(predecessors)) {
    const { predecessor, state } = required;
    const theirs = stateText(state, id);
    const version = required.version ?? 0;
    const own = mine.get(id);
    const relatedInfo = [related(state.location, `state ${theirs}, version ${version}, in '${predecessor.module.name}'`)];
    if (!own) {
      if (!patch) continue;
      findings.push(
        finding(
          'LP-STATE-MISSING',
          patch.statesLocation ?? replaceAnchor(patch),
          `${describePredecessor(predecessor)} declares state ${theirs} (version ${version}), which this cumulative patch does not carry: ` +
            `while that patch is installed the kernel refuses this one ${refusal(module)}; add the state to .states and take it over in the callbacks ` +
            `(a patch that no longer needs it still carries it, and releases what the predecessor set up)`,
          {
            related: relatedInfo,
            severity: severity('LP-STATE-MISSING', predecessor.basis),
            data: { stateId: id, idText: state.id?.text.trim(), version, predecessor: predecessor.module.name, patch: patch.variableName },
          },
        ),
      );
      continue;
    }
    if (own.version === undefined || required.version === undefined || own.version >= required.version) continue;
    findings.push(
      finding(
        'LP-STATE-DOWNGRADE',
        own.state.version?.location ?? own.state.id?.location ?? own.state.location,
        `state ${stateText(own.state, id)} has version ${own.version} here but version ${version} in ${describePredecessor(predecessor)}: ` +
          `a lower version than an installed patch makes the kernel refuse this one ${refusal(module)}; versions only grow, so use ${version} or higher`,
        { related: relatedInfo, severity: severity('LP-STATE-DOWNGRADE', predecessor.basis), data: { stateId: id, version } },
      ),
    );
  }
  return findings;
}

/** Predecessors that declare a state this module declares too, with the entries on both sides. */
function* sharedStates(module: LivepatchModule, predecessors: readonly Predecessor[]) {
  const mine = declaredStates(module);
  const seen = new Set<number>();
  for (const predecessor of predecessors)
    for (const [id, theirs] of declaredStates(predecessor.module)) {
      const own = mine.get(id);
      if (!own || seen.has(id)) continue;
      seen.add(id);
      yield { id, own, theirs, predecessor };
    }
}

/** The first place the predecessor works with the state, for related information. */
function predecessorUse(predecessor: LivepatchModule, id: number) {
  const key = stateIdKey(id);
  return stateCallsWithId(predecessor, key)[0] ?? shadowCallsWithId(predecessor, key)[0];
}

/**
 * pre_patch and post_patch of a cumulative patch run while the predecessor is still installed;
 * using a state there without klp_get_prev_state() re-creates what the predecessor owns.
 */
export function checkStateTakeover(module: LivepatchModule, ctx: CheckContext): Finding[] {
  if (!isCumulative(module)) return [];
  const predecessors = installedBefore(module, ctx);
  if (predecessors.length === 0) return [];
  const setup = callbackPath(module, ['pre_patch', 'post_patch']);
  const findings: Finding[] = [];
  for (const { id, own, predecessor } of sharedStates(module, predecessors)) {
    const key = stateIdKey(id);
    const uses = [
      ...stateCallsWithId(module, key, 'klp_get_state').filter((call) => setup.has(call.enclosingFunction)),
      ...shadowCallsWithId(module, key, allocatingApis).filter((call) => setup.has(call.enclosingFunction)),
    ].sort((a, b) => a.location.range.start.line - b.location.range.start.line);
    if (uses.length === 0) continue;
    if (stateCallsWithId(module, key, 'klp_get_prev_state').some((call) => setup.has(call.enclosingFunction))) continue;
    const text = stateText(own.state, id);
    const theirUse = predecessorUse(predecessor.module, id);
    findings.push(
      finding(
        'LP-STATE-TAKEOVER',
        uses[0].location,
        `'${uses[0].enclosingFunction}' sets up state ${text} during pre_patch/post_patch without asking klp_get_prev_state(${own.state.id?.text.trim() ?? id}): ` +
          `${describePredecessor(predecessor)} set this state up already, so what it set up is either lost (replaced patches never run their callbacks again, ` +
          `so nothing frees it) or the change is applied a second time; reuse the previous state's data in pre_patch and take it over in post_patch`,
        {
          related: [
            related(own.state.location, `state ${text} of this patch`),
            ...(theirUse ? [related(theirUse.location, `'${predecessor.module.name}' sets the state up here`)] : [related(predecessorStateLocation(predecessor, id), `state ${text} in '${predecessor.module.name}'`)]),
          ],
          severity: severity('LP-STATE-TAKEOVER', predecessor.basis),
          data: { stateId: id, predecessor: predecessor.module.name },
        },
      ),
    );
  }
  return findings;
}

function predecessorStateLocation(predecessor: Predecessor, id: number) {
  return declaredStates(predecessor.module).get(id)!.state.location;
}

/**
 * post_unpatch also runs when the transition to this patch is reversed or its enable fails —
 * with the predecessor still installed. Freeing the predecessor's data there must be guarded.
 */
export function checkStateRevertFree(module: LivepatchModule, ctx: CheckContext): Finding[] {
  if (!isCumulative(module)) return [];
  const predecessors = installedBefore(module, ctx);
  if (predecessors.length === 0) return [];
  const teardown = callbackPath(module, ['post_unpatch']);
  if (teardown.size === 0) return [];
  const findings: Finding[] = [];
  const consults = (key?: string) =>
    module.stateCalls.some((call) => call.api === 'klp_get_prev_state' && teardown.has(call.enclosingFunction) && (key === undefined || stateIdKey(call.id?.value ?? NaN) === key));
  const reported = new Set<string>();
  /** Functions already reported: one guard at their top fixes their shadow frees too. */
  const guarded = new Set<string>();
  // States: klp_get_state() in a post_unpatch that frees something.
  if (freesSomething(module, teardown))
    for (const { id, own, predecessor } of sharedStates(module, predecessors)) {
      const key = stateIdKey(id);
      const use = stateCallsWithId(module, key, 'klp_get_state').find((call) => teardown.has(call.enclosingFunction));
      if (!use || consults(key)) continue;
      reported.add(key);
      guarded.add(use.enclosingFunction);
      const text = stateText(own.state, id);
      findings.push(
        finding(
          'LP-STATE-REVERT-FREE',
          use.location,
          `'${use.enclosingFunction}' releases state ${text} in post_unpatch without asking klp_get_prev_state(${own.state.id?.text.trim() ?? id}): ` +
            `post_unpatch also runs when the transition to this patch is reversed or its enable fails, and then ${describePredecessor(predecessor)} ` +
            `stays installed and keeps using that data; free only when klp_get_prev_state() returns NULL`,
          {
            related: [related(predecessorStateLocation(predecessor, id), `state ${text} in '${predecessor.module.name}'`)],
            severity: severity('LP-STATE-REVERT-FREE', predecessor.basis),
            data: { stateId: id, predecessor: predecessor.module.name },
          },
        ),
      );
    }
  // Shadow variables the predecessor allocated, freed wholesale in post_unpatch.
  if (!consults())
    for (const predecessor of predecessors)
      for (const allocation of predecessor.module.shadowCalls) {
        if (allocation.api !== 'klp_shadow_alloc' && allocation.api !== 'klp_shadow_get_or_alloc') continue;
        const key = allocation.id?.value !== undefined ? stateIdKey(allocation.id.value) : undefined;
        if (key === undefined || reported.has(key)) continue;
        const free = shadowCallsWithId(module, key).find((call) => (call.api === 'klp_shadow_free_all' || call.api === 'klp_shadow_free') && teardown.has(call.enclosingFunction));
        if (!free || guarded.has(free.enclosingFunction)) continue;
        reported.add(key);
        const text = idDisplay(free.idMacro ?? free.id?.text, allocation.id!.value);
        findings.push(
          finding(
            'LP-STATE-REVERT-FREE',
            free.location,
            `${free.api}(${text}) in post_unpatch also runs when the transition to this patch is reversed or its enable fails, and then ` +
              `${describePredecessor(predecessor)} stays installed with its shadow variables freed under it; tie the id to a klp_state in both patches ` +
              `and free only when klp_get_prev_state() returns NULL`,
            {
              related: [related(allocation.location, `'${predecessor.module.name}' allocates them here`)],
              severity: severity('LP-STATE-REVERT-FREE', predecessor.basis),
              data: { shadowId: allocation.id!.value, predecessor: predecessor.module.name },
            },
          ),
        );
      }
  return findings;
}

/**
 * A cumulative patch that keeps declaring a state (the compatibility check wants it) but no
 * longer works with it leaves whatever the replaced patch set up for it in place forever.
 */
export function checkStateDeprecated(module: LivepatchModule, ctx: CheckContext): Finding[] {
  if (!isCumulative(module)) return [];
  const predecessors = installedBefore(module, ctx);
  if (predecessors.length === 0) return [];
  const findings: Finding[] = [];
  for (const { id, own, predecessor } of sharedStates(module, predecessors)) {
    const key = stateIdKey(id);
    if (stateCallsWithId(module, key).length > 0 || shadowCallsWithId(module, key).length > 0) continue;
    const theirUse = predecessorUse(predecessor.module, id);
    if (!theirUse) continue;
    const text = stateText(own.state, id);
    const usesState = stateCallsWithId(predecessor.module, key).length > 0;
    const usesShadow = shadowCallsWithId(predecessor.module, key, allocatingApis).length > 0;
    const what = [usesState ? "the state's data" : '', usesShadow ? 'shadow variables with this id' : ''].filter(Boolean).join(' and ') || 'the state';
    findings.push(
      finding(
        'LP-STATE-DEPRECATED',
        own.state.id?.location ?? own.state.location,
        `state ${text} is carried forward here, but nothing in this patch uses it: ${describePredecessor(predecessor)} set up ${what}, ` +
          `and replaced patches never run their callbacks, so it is neither taken over nor released; when this patch drops the feature, ` +
          `release what the predecessor set up in post_patch (klp_get_prev_state(${own.state.id?.text.trim() ?? id}) gives its data)`,
        {
          related: [related(theirUse.location, `'${predecessor.module.name}' uses state ${text} here`)],
          severity: severity('LP-STATE-DEPRECATED', predecessor.basis),
          data: { stateId: id, predecessor: predecessor.module.name },
        },
      ),
    );
  }
  return findings;
}
