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

/** Named so a failing check can be told apart in the log. Order only affects output order. */
export const allChecks: readonly { name: string; run: Check }[] = [
  { name: 'modinfo', run: checkModinfo },
  { name: 'license', run: checkLicense },
  { name: 'enable-missing', run: checkEnableMissing },
  { name: 'enable-calls', run: checkEnableCalls },
  { name: 'patch-mod', run: checkPatchMod },
  { name: 'exit-disables', run: checkExitDisables },
  { name: 'legacy-api', run: checkLegacyApi },
  { name: 'kallsyms-lookup', run: checkKallsymsLookup },
  { name: 'api-too-new', run: checkApiTooNew },
  { name: 'terminators', run: checkTerminators },
  { name: 'objects-without-funcs', run: checkObjectsWithoutFuncs },
  { name: 'incomplete-funcs', run: checkIncompleteFuncs },
  { name: 'duplicate-objects', run: checkDuplicateObjects },
  { name: 'duplicate-funcs', run: checkDuplicateFuncs },
  { name: 'object-names', run: checkObjectNames },
  { name: 'old-name-lengths', run: checkOldNameLengths },
  { name: 'symbols', run: checkSymbols },
  { name: 'new-func-defined', run: checkNewFuncDefined },
  { name: 'new-func-init', run: checkNewFuncInit },
  { name: 'new-func-name', run: checkNewFuncName },
  { name: 'static-locals', run: checkStaticLocals },
  { name: 'callback-signatures', run: checkCallbackSignatures },
  { name: 'callback-positive-return', run: checkCallbackPositiveReturn },
  { name: 'callback-locking', run: checkCallbackLocking },
  { name: 'duplicate-states', run: checkDuplicateStates },
  { name: 'state-id-zero', run: checkStateIdZero },
  { name: 'undeclared-states', run: checkUndeclaredStates },
  { name: 'prev-state-context', run: checkPrevStateContext },
  { name: 'shadow-free-in-exit', run: checkShadowFreeInExit },
  { name: 'shadow-leak', run: checkShadowLeak },
  { name: 'shadow-constructors', run: checkShadowConstructors },
  { name: 'shadow-id-layouts', run: checkShadowIdLayouts },
  { name: 'sympos-mismatch', run: checkSymposMismatch },
  { name: 'non-cumulative', run: checkNonCumulative },
  { name: 'state-compatibility', run: checkStateCompatibility },
  { name: 'state-takeover', run: checkStateTakeover },
  { name: 'state-revert-free', run: checkStateRevertFree },
  { name: 'state-deprecated', run: checkStateDeprecated },
  { name: 'shadow-cumulative-drop', run: checkShadowCumulativeDrop },
  { name: 'shadow-alloc-dup', run: checkShadowAllocDup },
  { name: 'shadow-layouts-across-patches', run: checkShadowLayoutsAcrossPatches },
  { name: 'patched-funcs-list', run: checkPatchedFuncsList },
  { name: 'template-markers', run: checkTemplateMarkers },
  { name: 'generated-patches', run: checkGeneratedPatches },
  { name: 'relocations', run: checkRelocations },
  { name: 'kpatch-shadow-api', run: checkKpatchShadowApi },
];

export function runChecks(module: LivepatchModule, ctx: CheckContext): Finding[] {
  const findings: Finding[] = [];
  for (const check of allChecks) {
    try {
      findings.push(...check.run(module, ctx));
    } catch (error) {
      ctx.log?.(`check '${check.name}' failed on module ${module.name}: ${(error as Error)?.stack ?? String(error)}`);
    }
  }
  return findings;
}
