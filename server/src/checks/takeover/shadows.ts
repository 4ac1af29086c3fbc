/**
 * Shadow variables across a series (reference 7.3, 11.6): variables outlive the patch that made
 * them, so a successor inherits them whether it wants them or not.
 */
import type { LivepatchModule, ShadowCall } from '../../model/types';
import { diagnosticCodeInfo, type DiagnosticCode } from '../codes';
import { finding, related, type CheckContext } from '../context';
import { isInExit, listText } from '../facts';
import { declaredStates, describePredecessor, installedBefore, isCumulative, severityFor, type Predecessor } from '../series';
import type { Finding } from '../types';
import {
  allocatingApis,
  callbackPath,
  callIdText,
  cumulativePatch,
  freeingApis,
  replaceAnchor,
  shadowCallsWithId,
  shadowIdKey,
  stateIdKey,
} from './common';
import { describeLayout, layoutsDiffer, shadowLayout } from './layouts';

function severity(code: DiagnosticCode, basis: Predecessor['basis']) {
  return severityFor(diagnosticCodeInfo.get(code)!.defaultSeverity, basis);
}

/** Where a module releases variables of an id, in words: "only in post_unpatch". */
function whereFreed(module: LivepatchModule, key: string): string {
  const frees = shadowCallsWithId(module, key, freeingApis);
  if (frees.length === 0) return 'and never frees them';
  const unpatch = callbackPath(module, ['pre_unpatch', 'post_unpatch']);
  if (frees.every((call) => unpatch.has(call.enclosingFunction))) return 'and frees them only in its unpatch callbacks, which never run once it is replaced';
  if (frees.every((call) => isInExit(module, call.enclosingFunction, call.contexts))) return 'and frees them only in module_exit, long after the replacement';
  return 'and frees them in its own code, which stops running once it is replaced';
}

/**
 * A cumulative patch that neither uses, frees nor declares a state for an id its predecessor
 * allocated orphans those variables: the predecessor's code and callbacks never run again.
 * One finding per predecessor, naming every id it leaves behind.
 */
export function checkShadowCumulativeDrop(module: LivepatchModule, ctx: CheckContext): Finding[] {
  const patch = cumulativePatch(module);
  if (!patch) return [];
  const predecessors = installedBefore(module, ctx);
  if (predecessors.length === 0) return [];
  const handled = new Set<string>();
  for (const call of module.shadowCalls) {
    const key = shadowIdKey(call);
    if (key !== undefined) handled.add(key);
  }
  for (const id of declaredStates(module).keys()) handled.add(stateIdKey(id));
  const findings: Finding[] = [];
  for (const predecessor of predecessors) {
    const dropped: { key: string; allocation: ShadowCall; frees: ShadowCall[] }[] = [];
    for (const allocation of predecessor.module.shadowCalls) {
      const key = shadowIdKey(allocation);
      if (key === undefined || !allocatingApis.has(allocation.api) || handled.has(key)) continue;
      handled.add(key);
      dropped.push({ key, allocation, frees: shadowCallsWithId(predecessor.module, key, freeingApis) });
    }
    if (dropped.length === 0) continue;
    const ids = dropped.map((item) => callIdText(item.allocation));
    const where = [...new Set(dropped.map((item) => whereFreed(predecessor.module, item.key)))];
    const plural = dropped.length > 1;
    findings.push(
      finding(
        'LP-SHADOW-CUMULATIVE-DROP',
        replaceAnchor(patch),
        `this cumulative patch replaces ${describePredecessor(predecessor)}, which allocates shadow variables with ${plural ? 'ids' : 'id'} ${listText(ids)} ` +
          `${where.length === 1 ? where[0] : 'and frees them where this patch no longer runs'}; this patch neither reads, frees nor declares a state for ` +
          `${plural ? 'them' : ids[0]}, so the variables stay attached to their parents forever and the new code never sees them; ` +
          `free them in post_patch (klp_shadow_free_all) or keep handling them`,
        {
          related: dropped
            .slice(0, 4)
            .flatMap((item) => [
              related(item.allocation.location, `'${predecessor.module.name}' allocates ${callIdText(item.allocation)} here`),
              ...item.frees.slice(0, 1).map((call) => related(call.location, `'${predecessor.module.name}' frees ${callIdText(item.allocation)} here`)),
            ]),
          severity: severity('LP-SHADOW-CUMULATIVE-DROP', predecessor.basis),
          data: {
            predecessor: predecessor.module.name,
            ids: dropped.map((item) => ({
              shadowId: item.allocation.id?.value,
              idText: item.allocation.idMacro ?? item.allocation.id?.text,
              dtor: item.frees.find((call) => call.dtor !== undefined)?.dtor,
            })),
          },
        },
      ),
    );
  }
  return findings;
}

/**
 * klp_shadow_alloc() WARNs "Duplicate shadow variable" and returns NULL when the pair exists:
 * after a predecessor allocated the id, or after this module was disabled and loaded again
 * with variables that only a per-parent free would have released.
 */
export function checkShadowAllocDup(module: LivepatchModule, ctx: CheckContext): Finding[] {
  const allocations = module.shadowCalls.filter((call) => call.api === 'klp_shadow_alloc');
  if (allocations.length === 0) return [];
  const predecessors = installedBefore(module, ctx);
  const cleanup = callbackPath(module, ['pre_unpatch', 'post_unpatch']);
  const findings: Finding[] = [];
  for (const call of allocations) {
    const key = shadowIdKey(call);
    if (key === undefined) continue;
    const id = callIdText(call);
    const inherited = predecessors
      .map((predecessor) => ({ predecessor, theirs: shadowCallsWithId(predecessor.module, key, allocatingApis)[0] }))
      .find((item) => item.theirs !== undefined);
    if (inherited) {
      findings.push(
        finding(
          'LP-SHADOW-ALLOC-DUP',
          call.location,
          `${describePredecessor(inherited.predecessor)} allocates shadow variables with id ${id} too, so parents it saw already have one: ` +
            `klp_shadow_alloc() then warns "Duplicate shadow variable" (a WARN with a stack trace) and returns NULL; ` +
            `use klp_shadow_get_or_alloc(), which returns the existing variable`,
          {
            related: [related(inherited.theirs!.location, `'${inherited.predecessor.module.name}' allocates ${id} here`)],
            severity: severity('LP-SHADOW-ALLOC-DUP', inherited.predecessor.basis),
            data: { predecessor: inherited.predecessor.module.name },
          },
        ),
      );
      continue;
    }
    const frees = shadowCallsWithId(module, key, freeingApis);
    // Never freed is LP-SHADOW-LEAK's business; freed on disable or unload leaves nothing behind.
    if (frees.length === 0) continue;
    if (frees.some((free) => cleanup.has(free.enclosingFunction) || isInExit(module, free.enclosingFunction, free.contexts))) continue;
    findings.push(
      finding(
        'LP-SHADOW-ALLOC-DUP',
        call.location,
        `shadow variables with id ${id} are freed only one by one (klp_shadow_free), so the ones whose parents are still alive survive when this ` +
          `patch is disabled; after the module is loaded again, klp_shadow_alloc() finds them, warns "Duplicate shadow variable" and returns NULL; ` +
          `use klp_shadow_get_or_alloc(), or free the rest with klp_shadow_free_all() in post_unpatch`,
        { related: frees.slice(0, 1).map((free) => related(free.location, `freed one by one here`)) },
      ),
    );
  }
  return findings;
}

/**
 * The shadow namespace is global: an id read with one layout and allocated with another (by the
 * patch being replaced, or by another patch installed alongside) means reading foreign memory.
 * Layouts come from the model (layouts.ts): types read from the tree, never from text.
 */
export function checkShadowLayoutsAcrossPatches(module: LivepatchModule, ctx: CheckContext): Finding[] {
  if (module.shadowCalls.length === 0) return [];
  const predecessors = installedBefore(module, ctx);
  if (predecessors.length === 0) return [];
  const findings: Finding[] = [];
  const keys = new Set(module.shadowCalls.map(shadowIdKey).filter((key): key is string => key !== undefined));
  for (const key of keys) {
    // Layouts are read only for ids some predecessor allocates too.
    const theirs = predecessors.flatMap((predecessor) => shadowCallsWithId(predecessor.module, key, allocatingApis).map((call) => ({ predecessor, call })));
    if (theirs.length === 0) continue;
    search: for (const call of shadowCallsWithId(module, key)) {
      const mine = shadowLayout(call, module);
      if (!mine) continue;
      for (const { predecessor, call: other } of theirs) {
        const layout = shadowLayout(other, predecessor.module);
        if (!layout || !layoutsDiffer(mine, layout)) continue;
        const id = callIdText(call);
        const verb = allocatingApis.has(call.api) ? 'used' : 'read';
        const consequence = isCumulative(module)
          ? `variables that patch created are still attached to their parents when this one takes over, so this code sees their memory through the wrong layout`
          : `both patches can be installed together and the namespace is global, so each one sees the other's variables through the wrong layout`;
        findings.push(
          finding(
            'LP-SHADOW-ID',
            call.location,
            `shadow id ${id} is ${verb} here as ${describeLayout(mine)}, but ${describePredecessor(predecessor)} allocates it as ${describeLayout(layout)}: ` +
              `${consequence}; keep the layout, or give the new layout a new id (and convert the old variables in post_patch)`,
            {
              related: [related(other.location, `'${predecessor.module.name}' allocates ${id} as ${layout.type} here`)],
              severity: severity('LP-SHADOW-ID', predecessor.basis),
              data: { predecessor: predecessor.module.name },
            },
          ),
        );
        break search;
      }
    }
  }
  return findings;
}
