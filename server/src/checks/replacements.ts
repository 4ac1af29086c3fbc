/**
 * The replacement functions named by .new_func (reference 11.4): that they exist, stay in
 * memory, keep their state and can be told apart from the originals.
 */
import type { FunctionDefinition, LivepatchModule } from '../model/types';
import { finding, related } from './context';
import { callPath, funcSites, hasAnnotation, newFuncOf, reachableFunctions } from './facts';
import type { Finding } from './types';

/** Annotations that put code into a section discarded once module init returns. */
const initAnnotations = ['__init'];

/** Helpers with a hidden function-scope static "already done" flag. */
const onceHelpers = new Set([
  'printk_once', 'printk_deferred_once', 'pr_emerg_once', 'pr_alert_once', 'pr_crit_once', 'pr_err_once',
  'pr_warn_once', 'pr_notice_once', 'pr_info_once', 'pr_debug_once', 'pr_devel_once', 'WARN_ONCE',
  'WARN_ON_ONCE', 'DO_ONCE', 'DO_ONCE_LITE', 'DO_ONCE_LITE_IF', 'dev_warn_once', 'dev_err_once',
  'dev_info_once', 'dev_notice_once',
]);

function definitionOf(module: LivepatchModule, name: string, given?: FunctionDefinition): FunctionDefinition | undefined {
  return given ?? module.functions.get(name);
}

export function checkNewFuncDefined(module: LivepatchModule): Finding[] {
  const findings: Finding[] = [];
  for (const { func } of funcSites(module)) {
    const newFunc = newFuncOf(func);
    if (!newFunc || definitionOf(module, newFunc.name, newFunc.definition)) continue;
    // NULL and 0 are how a half-written entry looks; LP-FUNC-INCOMPLETE territory, not this one.
    if (newFunc.name === 'NULL' || newFunc.name === '0') continue;
    const what = newFunc.isFunction
      ? `new_func '${newFunc.name}' is not defined in this module`
      : `new_func '${newFunc.name}' is not a function`;
    findings.push(
      finding(
        'LP-NEWFUNC-UNDEFINED',
        newFunc.location,
        `${what}: the replacement must be a function of the livepatch module itself, with the original's prototype`,
      ),
    );
  }
  return findings;
}

/** Replacement code must outlive module init; `__init` text is freed right after it. */
export function checkNewFuncInit(module: LivepatchModule): Finding[] {
  const findings: Finding[] = [];
  for (const { func } of funcSites(module)) {
    const newFunc = newFuncOf(func);
    if (!newFunc) continue;
    const definition = definitionOf(module, newFunc.name, newFunc.definition);
    if (!definition) continue;
    const target = func.oldName?.value ?? 'the original';
    if (hasAnnotation(definition, ...initAnnotations)) {
      findings.push(
        finding(
          'LP-NEWFUNC-INIT',
          newFunc.location,
          `replacement '${definition.name}' is __init: its code is freed when module init returns, but the patch keeps redirecting '${target}' into it`,
          { related: [related(definition.nameLocation, `'${definition.name}' is defined __init here`)], data: { removeAnnotation: '__init' } },
        ),
      );
      continue;
    }
    for (const callee of reachableFunctions(module, [definition.name])) {
      const calleeDefinition = module.functions.get(callee);
      if (callee === definition.name || !calleeDefinition || !hasAnnotation(calleeDefinition, ...initAnnotations)) continue;
      const path = callPath(module, definition.name, callee) ?? [definition.name, callee];
      findings.push(
        finding(
          'LP-NEWFUNC-INIT',
          newFunc.location,
          `replacement '${definition.name}' calls __init function '${callee}' (${path.join(' → ')}), whose code is freed when module init returns`,
          { related: [related(calleeDefinition.nameLocation, `'${callee}' is defined __init here`)] },
        ),
      );
      break;
    }
  }
  return findings;
}

export function checkNewFuncName(module: LivepatchModule): Finding[] {
  const findings: Finding[] = [];
  const reported = new Set<string>();
  for (const { func } of funcSites(module)) {
    const newFunc = newFuncOf(func);
    if (!newFunc) continue;
    const definition = definitionOf(module, newFunc.name, newFunc.definition);
    if (!definition || reported.has(definition.name)) continue;
    const sameName = definition.name === func.oldName?.value;
    // A table in another C file of the module (a distribution template's generated entries, a
    // multi-file module) can only name a function with external linkage: static is no option.
    // (A header's definition is compiled into the file that includes it, so it still can be.)
    const definitionFile = definition.nameLocation.file;
    const mustBeExtern = module.layout === 'distribution' || (definitionFile !== func.location.file && module.files.includes(definitionFile));
    const notStatic = !definition.isStatic && !mustBeExtern;
    if (!notStatic && !sameName) continue;
    reported.add(definition.name);
    const problems: string[] = [];
    if (notStatic) problems.push('is not static');
    if (sameName) problems.push(`has the same name as the function it replaces`);
    findings.push(
      finding(
        'LP-NEWFUNC-NAME',
        definition.nameLocation,
        `replacement function '${definition.name}' ${problems.join(' and ')}: stack traces and /proc/<pid>/stack ` +
          `cannot tell it from the original when you diagnose a stuck transition; ${mustBeExtern ? 'give it' : 'make it static with'} a prefix such as 'livepatch_'`,
        { related: func.oldName ? [related(func.oldName.location, 'patched function')] : [], data: { suggestedName: `livepatch_${definition.name}` } },
      ),
    );
  }
  return findings;
}

/** A replacement gets a fresh copy of each function-scope static, starting at zero again. */
export function checkStaticLocals(module: LivepatchModule): Finding[] {
  const findings: Finding[] = [];
  const reported = new Set<string>();
  for (const { func } of funcSites(module)) {
    const newFunc = newFuncOf(func);
    if (!newFunc) continue;
    const definition = definitionOf(module, newFunc.name, newFunc.definition);
    if (!definition || reported.has(definition.name)) continue;
    reported.add(definition.name);
    const target = func.oldName?.value ?? 'the original';
    const relatedInfo = func.oldName ? [related(func.oldName.location, 'patched function')] : [];
    for (const local of definition.staticLocals) {
      findings.push(
        finding(
          'LP-STATIC-LOCAL',
          local.location,
          `static '${local.name}' in replacement '${definition.name}' is a new variable that starts at zero, not the one '${target}' uses: ` +
            `its state silently resets when the patch is applied; reach the original through a livepatch symbol (.klp.sym) or keep the state elsewhere`,
          { related: relatedInfo },
        ),
      );
    }
    const onceCalls = definition.calls.filter((callee) => onceHelpers.has(callee));
    if (onceCalls.length > 0) {
      findings.push(
        finding(
          'LP-STATIC-LOCAL',
          definition.nameLocation,
          `replacement '${definition.name}' uses ${onceCalls.map((name) => `${name}()`).join(', ')}, whose hidden static flag starts over in the replacement ` +
            `(the message or warning fires again); use an explicit flag if that matters`,
          { related: relatedInfo },
        ),
      );
    }
  }
  return findings;
}
