/**
 * Checks that compare this module with the other livepatch modules of the workspace (a patch
 * series, or several vendors' patches), reference 1.9, 4.3 and 11.2/11.7. The workspace does not
 * say which patch was released first, so only checks that hold in either order live here.
 */
import type { LivepatchModule } from '../model/types';
import { finding, related, type CheckContext } from './context';
import { effectiveSympos, funcSites, literalSympos, objectName, type FuncSite } from './facts';
import type { Finding } from './types';

function otherModules(module: LivepatchModule, ctx: CheckContext): LivepatchModule[] {
  return ctx.modules.filter((other) => other !== module && other.isLivepatch && other.name !== module.name);
}

function sameTarget(a: FuncSite, b: FuncSite): boolean {
  const aObject = objectName(a.object);
  return aObject !== undefined && aObject === objectName(b.object) && a.func.oldName?.value !== undefined && a.func.oldName.value === b.func.oldName?.value;
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
    search: for (const other of others)
      for (const theirs of funcSites(other)) {
        const their = literalSympos(theirs.func);
        if ((their !== 0 && their !== 1) || their === mine || !sameTarget(site, theirs)) continue;
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
        break search;
      }
  }
  return findings;
}

/** Without `.replace`, the newest enabled patch of a function wins, so behaviour depends on load order. */
export function checkNonCumulative(module: LivepatchModule, ctx: CheckContext): Finding[] {
  const findings: Finding[] = [];
  const others = otherModules(module, ctx);
  if (others.length === 0) return findings;
  for (const site of funcSites(module)) {
    if (site.patch.replace?.value === true) continue;
    search: for (const other of others)
      for (const theirs of funcSites(other)) {
        if (theirs.patch.replace?.value === true || !sameTarget(site, theirs)) continue;
        if (effectiveSympos(site.func) !== effectiveSympos(theirs.func)) continue;
        const name = site.func.oldName!.value!;
        findings.push(
          finding(
            'LP-NON-CUMULATIVE',
            site.func.oldName!.location,
            `'${name}' is also replaced by module '${other.name}', and neither patch is cumulative: whichever was enabled last runs, ` +
              `and disabling one may or may not change behaviour; consider shipping one cumulative patch with .replace = true`,
            { related: [related(theirs.func.oldName!.location, `'${name}' in '${other.name}'`)] },
          ),
        );
        break search;
      }
  }
  return findings;
}
