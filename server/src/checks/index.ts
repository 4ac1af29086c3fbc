/**
 * Runs every check on one module. Each check is isolated: one that throws (a model shape it did
 * not expect) yields no findings and a log line, and never costs the findings of the others.
 */
import type { LivepatchModule } from '../model/types';
import { checkApiTooNew, checkKallsymsLookup, checkLegacyApi } from './api-versions';
import { checkCallbackLocking, checkCallbackPositiveReturn, checkCallbackSignatures } from './callbacks';
import type { Check, CheckContext } from './context';
import { checkNonCumulative, checkSymposMismatch } from './cross-patch';
import { checkNewFuncDefined, checkNewFuncInit, checkNewFuncName, checkStaticLocals } from './replacements';
import { checkGeneratedPatches, checkKpatchShadowApi, checkPatchedFuncsList, checkRelocations, checkTemplateMarkers } from './layouts';
import { checkShadowConstructors, checkShadowFreeInExit, checkShadowIdLayouts, checkShadowLeak } from './shadow';
import {
  checkEnableCalls,
  checkEnableMissing,
  checkExitDisables,
  checkLicense,
  checkModinfo,
  checkPatchMod,
} from './skeleton';
import { checkDuplicateStates, checkPrevStateContext, checkStateIdZero, checkUndeclaredStates } from './states';
import { checkSymbols } from './symbols';
import {
  checkShadowAllocDup,
  checkShadowCumulativeDrop,
  checkShadowLayoutsAcrossPatches,
  checkStateCompatibility,
  checkStateDeprecated,
  checkStateRevertFree,
  checkStateTakeover,
} from './takeover/index';
import {
  checkDuplicateFuncs,
  checkDuplicateObjects,
  checkIncompleteFuncs,
  checkObjectNames,
  checkObjectsWithoutFuncs,
  checkOldNameLengths,
  checkTerminators,
} from './tables';
import type { Finding } from './types';

export type { Check, CheckContext, CheckPolicy } from './context';
export { diagnosticCodes, diagnosticCodeInfo, type DiagnosticCode } from './codes';

/**
 * Where a check looks: `module` checks read the module (and the kernel model) alone, so their
 * findings hold as long as the module's model does and can be computed as soon as it is
 * assembled; `workspace` checks compare the module with the others (series, takeover).
 */
export type CheckScope = 'module' | 'workspace';

/** Named so a failing check can be told apart in the log. Order only affects output order. */
export const allChecks: readonly { name: string; scope: CheckScope; run: Check }[] = [
  { name: 'modinfo', scope: 'module', run: checkModinfo },
  { name: 'license', scope: 'module', run: checkLicense },
  { name: 'enable-missing', scope: 'module', run: checkEnableMissing },
  { name: 'enable-calls', scope: 'module', run: checkEnableCalls },
  { name: 'patch-mod', scope: 'module', run: checkPatchMod },
  { name: 'exit-disables', scope: 'module', run: checkExitDisables },
  { name: 'legacy-api', scope: 'module', run: checkLegacyApi },
  { name: 'kallsyms-lookup', scope: 'module', run: checkKallsymsLookup },
  { name: 'api-too-new', scope: 'module', run: checkApiTooNew },
  { name: 'terminators', scope: 'module', run: checkTerminators },
  { name: 'objects-without-funcs', scope: 'module', run: checkObjectsWithoutFuncs },
  { name: 'incomplete-funcs', scope: 'module', run: checkIncompleteFuncs },
  { name: 'duplicate-objects', scope: 'module', run: checkDuplicateObjects },
  { name: 'duplicate-funcs', scope: 'module', run: checkDuplicateFuncs },
  { name: 'object-names', scope: 'module', run: checkObjectNames },
  { name: 'old-name-lengths', scope: 'module', run: checkOldNameLengths },
  { name: 'symbols', scope: 'module', run: checkSymbols },
  { name: 'new-func-defined', scope: 'module', run: checkNewFuncDefined },
  { name: 'new-func-init', scope: 'module', run: checkNewFuncInit },
  { name: 'new-func-name', scope: 'module', run: checkNewFuncName },
  { name: 'static-locals', scope: 'module', run: checkStaticLocals },
  { name: 'callback-signatures', scope: 'module', run: checkCallbackSignatures },
  { name: 'callback-positive-return', scope: 'module', run: checkCallbackPositiveReturn },
  { name: 'callback-locking', scope: 'module', run: checkCallbackLocking },
  { name: 'duplicate-states', scope: 'module', run: checkDuplicateStates },
  { name: 'state-id-zero', scope: 'module', run: checkStateIdZero },
  { name: 'undeclared-states', scope: 'module', run: checkUndeclaredStates },
  { name: 'prev-state-context', scope: 'module', run: checkPrevStateContext },
  { name: 'shadow-free-in-exit', scope: 'module', run: checkShadowFreeInExit },
  { name: 'shadow-leak', scope: 'module', run: checkShadowLeak },
  { name: 'shadow-constructors', scope: 'module', run: checkShadowConstructors },
  { name: 'shadow-id-layouts', scope: 'module', run: checkShadowIdLayouts },
  { name: 'sympos-mismatch', scope: 'workspace', run: checkSymposMismatch },
  { name: 'non-cumulative', scope: 'workspace', run: checkNonCumulative },
  { name: 'state-compatibility', scope: 'workspace', run: checkStateCompatibility },
  { name: 'state-takeover', scope: 'workspace', run: checkStateTakeover },
  { name: 'state-revert-free', scope: 'workspace', run: checkStateRevertFree },
  { name: 'state-deprecated', scope: 'workspace', run: checkStateDeprecated },
  { name: 'shadow-cumulative-drop', scope: 'workspace', run: checkShadowCumulativeDrop },
  { name: 'shadow-alloc-dup', scope: 'workspace', run: checkShadowAllocDup },
  { name: 'shadow-layouts-across-patches', scope: 'workspace', run: checkShadowLayoutsAcrossPatches },
  { name: 'patched-funcs-list', scope: 'module', run: checkPatchedFuncsList },
  { name: 'template-markers', scope: 'module', run: checkTemplateMarkers },
  { name: 'generated-patches', scope: 'module', run: checkGeneratedPatches },
  { name: 'relocations', scope: 'module', run: checkRelocations },
  { name: 'kpatch-shadow-api', scope: 'module', run: checkKpatchShadowApi },
];

/** The findings of the module-scope checks, by index in allChecks (workspace checks: undefined). */
export type ModuleFindings = readonly (readonly Finding[] | undefined)[];

function runOne(check: (typeof allChecks)[number], module: LivepatchModule, ctx: CheckContext): readonly Finding[] {
  try {
    return check.run(module, ctx);
  } catch (error) {
    ctx.log?.(`check '${check.name}' failed on module ${module.name}: ${(error as Error)?.stack ?? String(error)}`);
    return [];
  }
}

/** The module-scope checks alone: what runChecks can reuse while the module's model holds. */
export function runModuleChecks(module: LivepatchModule, ctx: CheckContext): ModuleFindings {
  const findings: (readonly Finding[] | undefined)[] = [];
  for (const check of allChecks) findings.push(check.scope === 'module' ? runOne(check, module, ctx) : undefined);
  return findings;
}

/** Every check, in order; module-scope findings are taken from `moduleFindings` when given. */
export function runChecks(module: LivepatchModule, ctx: CheckContext, moduleFindings?: ModuleFindings): Finding[] {
  const findings: Finding[] = [];
  for (let index = 0; index < allChecks.length; index++) findings.push(...(moduleFindings?.[index] ?? runOne(allChecks[index], module, ctx)));
  return findings;
}
