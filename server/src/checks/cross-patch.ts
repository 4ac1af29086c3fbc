/**
 * Checks that compare this module with the other livepatch modules of the workspace (a patch
 * series, or several vendors' patches), reference 1.9, 4.3 and 11.2/11.7. These hold in either
 * order; the series only sharpens what a message says. Checks that depend on which patch came
 * first live in checks/takeover/.
 */
import type { LivepatchModule } from '../model/types';
import { finding, related, type CheckContext } from './context';
import { effectiveSympos, funcSites, literalSympos, objectName, type FuncSite } from './facts';
import { loadOrder } from './series';
import type { Finding } from './types';

function otherModules(module: LivepatchModule, ctx: CheckContext): LivepatchModule[] {
  return ctx.modules.filter((other) => other !== module && other.isLivepatch && other.name !== module.name);
}

/** "object\0old_name" of a site, when both are known: sites with equal keys replace the same function. */
function targetKey(site: FuncSite): string | undefined {
  const object = objectName(site.object);
  const name = site.func.oldName?.value;
  return object === undefined || name === undefined ? undefined : `${object}\0${name}`;
}

interface TargetingSite {
  module: LivepatchModule;
  site: FuncSite;
}

/**
 * The livepatch modules' function sites by target, in module then site order: built once per set
 * of modules, so that each site finds the others replacing its function without a walk over
 * every site of every module (a tree of a hundred fixes has thousands of pairs).
 */
const sitesByTarget = new WeakMap<readonly LivepatchModule[], Map<string, TargetingSite[]>>();

/** Sites of other modules (as `otherModules` counts them) replacing the same function as `site`, in module order. */
function sitesTargeting(site: FuncSite, module: LivepatchModule, ctx: CheckContext): TargetingSite[] {
  let index = sitesByTarget.get(ctx.modules);
  if (!index) {
    index = new Map();
    for (const candidate of ctx.modules) {
      if (!candidate.isLivepatch) continue;
      for (const theirs of funcSites(candidate)) {
        const key = targetKey(theirs);
        if (key === undefined) continue;
        const list = index.get(key);
        if (list) list.push({ module: candidate, site: theirs });
        else index.set(key, [{ module: candidate, site: theirs }]);
      }
    }
    sitesByTarget.set(ctx.modules, index);
  }
  const key = targetKey(site);
  const found: TargetingSite[] = [];
  if (key === undefined) return found;
  for (const entry of index.get(key) ?? []) if (entry.module !== module && entry.module.name !== module.name) found.push(entry);
  return found;
}

/**
 * Atomic replace matches (old_name, old_sympos) literally, so 0 in one patch and 1 in the other
 * yields a nop for the other spelling, and both need the sysfs directory `<name>,1`.
 */
export function checkSymposMismatch(module: LivepatchModule, ctx: CheckContext): Finding[] {
  const findings: Finding[] = [];
  const others = otherModules(module, ctx);
  if (others.length === 0) return findings;
  for (const site of funcSites(module)) {
    if (site.patch.replace?.value !== true) continue;
    const mine = literalSympos(site.func);
    if (mine !== 0 && mine !== 1) continue;
    for (const { module: other, site: theirs } of sitesTargeting(site, module, ctx)) {
      const their = literalSympos(theirs.func);
      if ((their !== 0 && their !== 1) || their === mine) continue;
      const name = site.func.oldName!.value!;
      findings.push(
        finding(
          'LP-SYMPOS-MISMATCH',
          site.func.oldSympos?.location ?? site.func.oldName!.location,
          `'${name}' has old_sympos ${mine} here but ${their} in module '${other.name}': atomic replace compares positions literally, ` +
            `so replacing that patch adds a nop for '${name}' at position ${their}, and both entries need the sysfs directory '${name},1' (-EEXIST); ` +
            `spell the position the same way in every version`,
          { related: [related(theirs.func.oldSympos?.location ?? theirs.func.oldName!.location, `old_sympos ${their} in '${other.name}'`)] },
        ),
      );
      break;
    }
  }
  return findings;
}

/** What running, and disabling, means for a function two stacked patches replace (reference 4.3). */
function stackingConsequence(name: string, module: LivepatchModule, other: LivepatchModule, ctx: CheckContext): string {
  const { order, basis } = loadOrder(module, other, ctx);
  const theirs = `'${other.name}'`;
  if (basis === 'series' && order > 0)
    return `loaded after ${theirs}, this patch's '${name}' runs (the newest entry of the function's stack wins); disabling this patch brings back ` +
      `the version of ${theirs}, while disabling ${theirs} changes nothing for '${name}' as long as this patch is enabled`;
  if (basis === 'series' && order < 0)
    return `${theirs} is loaded after this patch, so its '${name}' runs and this one never does while both are enabled; disabling ${theirs} brings back ` +
      `this version, while disabling this patch changes nothing for '${name}'`;
  return `whichever was enabled last runs its '${name}'; disabling that one brings back the other's version, while disabling the other changes nothing ` +
    `for '${name}' — the behaviour depends on load order`;
}

/**
 * Without `.replace`, patches stack per function and the newest enabled one wins. A team that
 * ships cumulative patches only can make this an error (livepatch.policy.refuseConflicts).
 */
export function checkNonCumulative(module: LivepatchModule, ctx: CheckContext): Finding[] {
  const findings: Finding[] = [];
  const others = otherModules(module, ctx);
  if (others.length === 0) return findings;
  const refuse = ctx.policy?.refuseConflicts === true;
  for (const site of funcSites(module)) {
    if (site.patch.replace?.value === true) continue;
    for (const { module: other, site: theirs } of sitesTargeting(site, module, ctx)) {
      if (theirs.patch.replace?.value === true) continue;
      if (effectiveSympos(site.func) !== effectiveSympos(theirs.func)) continue;
      const name = site.func.oldName!.value!;
      findings.push(
        finding(
          'LP-NON-CUMULATIVE',
          site.func.oldName!.location,
          `'${name}' is also replaced by module '${other.name}', and neither patch is cumulative: ${stackingConsequence(name, module, other, ctx)}; ` +
            `ship one cumulative patch with .replace = true instead` +
            (refuse ? ' (livepatch.policy.refuseConflicts makes this an error)' : ''),
          {
            related: [related(theirs.func.oldName!.location, `'${name}' in '${other.name}'`)],
            severity: refuse ? 'error' : undefined,
            data: { other: other.name, patch: site.patch.variableName },
          },
        ),
      );
      break;
    }
  }
  return findings;
}
