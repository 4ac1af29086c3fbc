/**
 * The module around the patch: modinfo tag, licence, how klp_enable_patch() is called, the
 * patch's .mod/.objs and what module_exit does (reference 1.10, 2.2 steps 1-3, 11.1).
 */
import { generatorWritesSkeleton } from '../model/moduleLayout';
import type { EnableCall, LivepatchModule } from '../model/types';
import { finding, related, type CheckContext } from './context';
import {
  atLeast,
  isInExit,
  kernelRefusal,
  moduleAnchor,
  patchNamed,
  reachableFunctions,
  silentRefusal,
  targetKernel,
} from './facts';
import type { Finding, RelatedInformation } from './types';

/** The modinfo tag is what makes the loader keep the ELF data klp needs; required since 4.7. */
export function checkModinfo(module: LivepatchModule, ctx: CheckContext): Finding[] {
  if (!module.isLivepatch || module.modinfoLivepatch || generatorWritesSkeleton(module)) return [];
  if (module.patches.length === 0 && module.enableCalls.length === 0) return [];
  if (!atLeast(ctx.kernel, 4, 7)) return [];
  const anchor = moduleAnchor(module);
  if (!anchor) return [];
  return [
    finding(
      'LP-MODINFO-MISSING',
      anchor,
      `module '${module.name}' has no MODULE_INFO(livepatch, "Y") ` +
        kernelRefusal(`livepatch: module ${module.name} is not marked as a livepatch module`, '-EINVAL'),
      { data: { insertText: 'MODULE_INFO(livepatch, "Y");' } },
    ),
  ];
}

/** The strings `license_is_gpl_compatible()` accepts. */
const gplCompatibleLicenses = new Set([
  'GPL',
  'GPL v2',
  'GPL and additional rights',
  'Dual BSD/GPL',
  'Dual MIT/GPL',
  'Dual MPL/GPL',
]);

/** The first GPL-only livepatch symbol the module uses, to name it in the loader's message. */
function firstGplOnlySymbol(module: LivepatchModule): string {
  if (module.enableCalls.length > 0) return 'klp_enable_patch';
  const call = module.otherApiCalls.find((c) => c.api.startsWith('klp_'));
  return call?.api ?? module.shadowCalls[0]?.api ?? module.stateCalls[0]?.api ?? 'klp_enable_patch';
}

export function checkLicense(module: LivepatchModule): Finding[] {
  if (!module.isLivepatch || generatorWritesSkeleton(module)) return [];
  if (module.license && gplCompatibleLicenses.has(module.license.value)) return [];
  const symbol = firstGplOnlySymbol(module);
  const consequence =
    `the livepatch API is exported GPL-only, so the module cannot link ` +
    `(the loader refuses it: "${module.name}: Unknown symbol ${symbol} (err -2)", -ENOENT)`;
  if (module.license) {
    return [
      finding(
        'LP-LICENSE',
        module.license.location,
        `MODULE_LICENSE("${module.license.value}") is not GPL-compatible: ${consequence}`,
        { data: { replacement: 'GPL' } },
      ),
    ];
  }
  const anchor = moduleAnchor(module);
  if (!anchor) return [];
  return [
    finding('LP-LICENSE', anchor, `module '${module.name}' has no MODULE_LICENSE: ${consequence}`, {
      data: { insertText: 'MODULE_LICENSE("GPL");' },
    }),
  ];
}

/** Every patch must reach klp_enable_patch(), unless some call passes a patch we cannot name. */
export function checkEnableMissing(module: LivepatchModule): Finding[] {
  if (module.enableCalls.some((call) => call.patchName === undefined)) return [];
  const enabled = new Set(module.enableCalls.map((call) => call.patchName));
  return module.patches
    .filter((patch) => !enabled.has(patch.variableName))
    .map((patch) =>
      finding(
        'LP-ENABLE-MISSING',
        patch.nameLocation,
        `patch '${patch.variableName}' is never passed to klp_enable_patch(): loading the module changes nothing`,
        { data: { insertText: `return klp_enable_patch(&${patch.variableName});` } },
      ),
    );
}

/**
 * klp_enable_patch() belongs in module_init, once, with its result returned (reference 1.10).
 * A helper that only module_init reaches counts as init: some modules wrap the call. Each call
 * gets at most one finding, for the most fundamental of its problems.
 */
export function checkEnableCalls(module: LivepatchModule): Finding[] {
  const findings: Finding[] = [];
  const init = module.init;
  const reachedFromInit = init ? reachableFunctions(module, [init.name]) : new Set<string>();
  // Only calls made from init count towards "called twice"; the others are wrong anyway.
  const firstInitCall = new Map<string, EnableCall>();
  for (const call of module.enableCalls) {
    if (call.patchName !== undefined && !patchNamed(module, call.patchName)) {
      findings.push(
        finding(
          'LP-ENABLE-PATCH',
          call.location,
          `klp_enable_patch() is passed '&${call.patchName}', which is not a struct klp_patch defined in this module`,
        ),
      );
    }
    const where = call.enclosingFunction === '' ? 'file scope' : `'${call.enclosingFunction}'`;
    let problem: string | undefined;
    const relatedInfo: RelatedInformation[] = [];
    if (!init) {
      problem = `klp_enable_patch() is called from ${where}, but the module has no module_init(): the patch is meant to be enabled by module init, whose result decides whether the module loads`;
    } else if (!reachedFromInit.has(call.enclosingFunction)) {
      problem = `klp_enable_patch() is called from ${where}, not from the module_init function '${init.name}': the core expects the call from module init (module reference, error propagation)`;
      relatedInfo.push(related(init.location, `module_init(${init.name})`));
    } else {
      const earlier = call.patchName === undefined ? undefined : firstInitCall.get(call.patchName);
      if (earlier) {
        problem = `klp_enable_patch(&${call.patchName}) is called a second time: one struct klp_patch can be enabled only once (a second enable hits a WARN and returns -EINVAL)`;
        relatedInfo.push(related(earlier.location, 'first klp_enable_patch() call'));
      } else if (!call.resultReturned) {
        problem = `the result of klp_enable_patch() is not returned from '${call.enclosingFunction}': if enabling fails, the module stays loaded with no patch applied`;
      }
      if (call.patchName !== undefined && !earlier) firstInitCall.set(call.patchName, call);
    }
    if (problem) findings.push(finding('LP-ENABLE-OUTSIDE-INIT', call.location, problem, { related: relatedInfo }));
  }
  return findings;
}

/** `&__this_module` is what THIS_MODULE expands to; both are correct. */
const thisModuleSpellings = new Set(['THIS_MODULE', '&__this_module']);

export function checkPatchMod(module: LivepatchModule): Finding[] {
  const findings: Finding[] = [];
  for (const patch of module.patches) {
    if (!patch.mod) {
      findings.push(
        finding('LP-PATCH-MOD', patch.nameLocation, `patch '${patch.variableName}' has no .mod = THIS_MODULE ${silentRefusal('-EINVAL')}`, {
          data: { insertText: '.mod = THIS_MODULE,' },
        }),
      );
    } else if (!thisModuleSpellings.has(patch.mod.text.replace(/\s+/g, ''))) {
      const consequence =
        patch.mod.text.trim() === 'NULL'
          ? silentRefusal('-EINVAL')
          : '(the kernel takes the patch\'s sysfs name, livepatch tag and module reference from .mod)';
      findings.push(
        finding('LP-PATCH-MOD', patch.mod.location, `.mod is '${patch.mod.text}' instead of THIS_MODULE ${consequence}`, {
          data: { replacement: 'THIS_MODULE' },
        }),
      );
    }
    if (patch.objsArrayName === undefined && patch.objsLocation === undefined && patch.objects.length === 0) {
      findings.push(
        finding('LP-PATCH-MOD', patch.nameLocation, `patch '${patch.variableName}' has no .objs ${silentRefusal('-EINVAL')}`),
      );
    }
  }
  return findings;
}

const retiredDisableApis = new Set(['klp_disable_patch', 'klp_unregister_patch']);

/**
 * Since 5.1 module_exit only runs once the patch is already gone, so disabling or
 * unregistering there is meaningless (and those functions no longer exist).
 */
export function checkExitDisables(module: LivepatchModule, ctx: CheckContext): Finding[] {
  if (!atLeast(ctx.kernel, 5, 1)) return [];
  return module.otherApiCalls
    .filter((call) => retiredDisableApis.has(call.api) && isInExit(module, call.enclosingFunction, call.contexts))
    .map((call) =>
      finding(
        'LP-EXIT-DISABLES',
        call.location,
        `module_exit calls ${call.api}(), which was removed in 5.1 (${targetKernel(ctx.kernel)}): ` +
          `the exit function runs only after the patch was disabled through sysfs or replaced, so there is nothing left to undo`,
      ),
    );
}
