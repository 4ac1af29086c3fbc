/**
 * Every diagnostic code the analysis can report. The ids follow section 11 of the livepatch
 * semantics reference where it names the pitfall, so a kernel developer can look the same id up
 * there; the others use the same LP-<THEME>-<WHAT> shape. Each code has exactly one page at
 * `docs/diagnostics/<code>.md` (a unit test keeps the two in step).
 */
import type { Severity } from './types';

/** Groups used for the docs index and for finding the check module that reports a code. */
export type DiagnosticFamily =
  | 'skeleton'
  | 'api-versions'
  | 'tables'
  | 'symbols'
  | 'replacement-functions'
  | 'callbacks'
  | 'states'
  | 'shadow'
  | 'cross-patch'
  | 'takeover'
  | 'layouts'
  | 'syntax';

export interface DiagnosticCodeInfo {
  code: string;
  defaultSeverity: Severity;
  title: string;
  family: DiagnosticFamily;
  /** Repository-relative path of the doc page. */
  docPath: string;
}

function entry<C extends string>(code: C, defaultSeverity: Severity, family: DiagnosticFamily, title: string) {
  return { code, defaultSeverity, family, title, docPath: `docs/diagnostics/${code}.md` } as const;
}

export const diagnosticCodes = [
  // Module skeleton (reference 1.10, 11.1).
  entry('LP-MODINFO-MISSING', 'error', 'skeleton', 'Livepatch module lacks MODULE_INFO(livepatch, "Y")'),
  entry('LP-LICENSE', 'error', 'skeleton', 'MODULE_LICENSE missing or not GPL-compatible'),
  entry('LP-ENABLE-MISSING', 'error', 'skeleton', 'The klp_patch is never passed to klp_enable_patch()'),
  entry('LP-ENABLE-OUTSIDE-INIT', 'warning', 'skeleton', 'klp_enable_patch() not called once from module_init with its result returned'),
  entry('LP-ENABLE-PATCH', 'error', 'skeleton', 'klp_enable_patch() is given something other than this module\'s klp_patch'),
  entry('LP-PATCH-MOD', 'error', 'skeleton', 'klp_patch without .mod = THIS_MODULE or without .objs'),
  entry('LP-EXIT-DISABLES', 'error', 'skeleton', 'module_exit disables or unregisters the patch'),
  // Retired and not-yet-existing API (reference 1.12, 10).
  entry('LP-LEGACY-API', 'error', 'api-versions', 'Livepatch API or field retired in the target kernel'),
  entry('LP-KALLSYMS-LOOKUP', 'error', 'api-versions', 'kallsyms_lookup_name() is not exported to modules'),
  entry('LP-API-TOO-NEW', 'error', 'api-versions', 'Livepatch API or field newer than the target kernel'),
  // Tables and names (reference 1.7-1.9, 11.2).
  entry('LP-TERMINATOR', 'error', 'tables', 'Array of funcs, objects or states lacks (or misplaces) its { } terminator'),
  entry('LP-OBJ-NO-FUNCS', 'error', 'tables', 'klp_object without .funcs'),
  entry('LP-FUNC-INCOMPLETE', 'error', 'tables', 'klp_func entry lacks .old_name or .new_func'),
  entry('LP-DUP-OBJECT', 'error', 'tables', 'Two objects of one patch have the same name'),
  entry('LP-DUP-FUNC', 'error', 'tables', 'Two functions of one object have the same old_name and position'),
  entry('LP-OBJNAME-DASH', 'error', 'tables', 'Object name contains \'-\''),
  entry('LP-OBJNAME-VMLINUX', 'warning', 'tables', 'Object named "vmlinux" instead of NULL'),
  entry('LP-NAME-LENGTH', 'error', 'tables', 'Object name or old_name too long'),
  // Symbol resolution against the kernel model (reference 1.9, 2.3, 11.2, 11.3).
  entry('LP-SYMBOL-NOT-FOUND', 'error', 'symbols', 'old_name not in the object\'s symbol table'),
  entry('LP-OBJ-WRONG', 'error', 'symbols', 'old_name belongs to another object'),
  entry('LP-SYMBOL-SUFFIX', 'error', 'symbols', 'old_name exists only with a compiler suffix (.isra, .constprop, .part, .cold)'),
  entry('LP-SYMPOS-NEEDED', 'error', 'symbols', 'Ambiguous old_name without old_sympos'),
  entry('LP-SYMPOS-RANGE', 'error', 'symbols', 'old_sympos beyond the number of matching symbols'),
  entry('LP-OBJECT-NOT-LOADED', 'information', 'symbols', 'Target module not loaded (or unknown to the kernel model)'),
  entry('LP-NOTRACE-TARGET', 'error', 'symbols', 'Target function cannot be patched (no ftrace call site)'),
  entry('LP-INIT-CODE', 'warning', 'symbols', 'Target function is init code that has already run'),
  entry('LP-ALWAYS-ON-STACK', 'warning', 'symbols', 'Target function is always on some task\'s stack'),
  // Replacement functions (reference 11.4).
  entry('LP-NEWFUNC-UNDEFINED', 'error', 'replacement-functions', 'new_func is not a function defined in the module'),
  entry('LP-NEWFUNC-INIT', 'error', 'replacement-functions', 'Replacement code placed in an __init section'),
  entry('LP-NEWFUNC-NAME', 'information', 'replacement-functions', 'Replacement function is not static or has the original\'s name'),
  entry('LP-STATIC-LOCAL', 'warning', 'replacement-functions', 'Replacement function has function-scope static state'),
  // Callbacks (reference 1.5, 3, 11.5).
  entry('LP-CB-SIGNATURE', 'error', 'callbacks', 'Callback with the wrong signature'),
  entry('LP-CB-POSITIVE', 'error', 'callbacks', 'pre_patch callback returns a positive value'),
  entry('LP-CB-LOCK', 'error', 'callbacks', 'Callback calls an API that takes the livepatch mutex'),
  // System states (reference 1.6, 8, 11.7).
  entry('LP-DUP-STATE', 'error', 'states', 'Two states of one patch have the same id'),
  entry('LP-STATE-ID-ZERO', 'error', 'states', 'State with id 0 before the end of the states array'),
  entry('LP-STATE-UNDECLARED', 'warning', 'states', 'klp_get_state()/klp_get_prev_state() for an id the patch does not declare'),
  entry('LP-PREV-STATE-CONTEXT', 'warning', 'states', 'klp_get_prev_state() called outside callbacks'),
  // Shadow variables (reference 7, 11.6).
  entry('LP-SHADOW-FREE-IN-EXIT', 'warning', 'shadow', 'klp_shadow_free_all() in module_exit'),
  entry('LP-SHADOW-LEAK', 'warning', 'shadow', 'Shadow variable id allocated but never freed'),
  entry('LP-SHADOW-CTOR-SLEEP', 'error', 'shadow', 'Shadow constructor or destructor may sleep or re-enter the shadow API'),
  entry('LP-SHADOW-ID', 'warning', 'shadow', 'One shadow id used for different data layouts'),
  // Checks across the modules of a workspace (reference 1.9, 4.3, 11.2, 11.7).
  entry('LP-SYMPOS-MISMATCH', 'warning', 'cross-patch', 'old_sympos 0 and 1 mixed for one function across patches'),
  entry('LP-NON-CUMULATIVE', 'warning', 'cross-patch', 'Several non-cumulative patches change the same function'),
  // Taking over from the patches installed before this one in a series (reference 2.6, 2.7, 3.5, 7.3, 8.2, 11.6, 11.7).
  entry('LP-STATE-MISSING', 'error', 'takeover', 'Cumulative patch drops a state an installed patch declares'),
  entry('LP-STATE-DOWNGRADE', 'error', 'takeover', 'State version lower than in an installed patch'),
  entry('LP-STATE-TAKEOVER', 'warning', 'takeover', 'pre_patch/post_patch set up a state without consulting klp_get_prev_state()'),
  entry('LP-STATE-REVERT-FREE', 'warning', 'takeover', 'post_unpatch frees what an installed predecessor still uses'),
  entry('LP-STATE-DEPRECATED', 'warning', 'takeover', 'State carried forward but its predecessor\'s setup is never taken over or released'),
  entry('LP-SHADOW-CUMULATIVE-DROP', 'warning', 'takeover', 'Cumulative patch abandons shadow variables a replaced patch allocated'),
  entry('LP-SHADOW-ALLOC-DUP', 'warning', 'takeover', 'klp_shadow_alloc() where the variable may already exist'),
  // Generated layouts: distribution templates and their patched_funcs.csv, klp-build descriptors (reference 1.11, docs/layouts.md).
  entry('LP-CSV-SYNTAX', 'error', 'layouts', 'Malformed line in patched_funcs.csv'),
  entry('LP-CSV-OBJECT', 'error', 'layouts', 'patched_funcs.csv line for an object the template has no table for'),
  entry('LP-TEMPLATE-MARKER', 'warning', 'layouts', 'Template marker the analysis cannot fill in'),
  entry('LP-EXT-NR-FUNCS', 'error', 'layouts', 'klp_object_ext.nr_funcs does not match its klp_func_ext array'),
  entry('LP-RELOC-SYMBOL', 'error', 'layouts', 'Relocation macro names a symbol its object does not resolve'),
  entry('LP-RELOC-VMLINUX', 'error', 'layouts', 'Module-specific relocation references a vmlinux symbol'),
  entry('LP-KPATCH-SHADOW', 'information', 'layouts', 'kpatch\'s old shadow API (kpatch_shadow_*) instead of klp_shadow_*'),
  // Reported by the analyzer itself, not by a check module.
  entry('LP-SYNTAX', 'warning', 'syntax', 'C syntax error'),
  entry('LP-UNPARSABLE', 'error', 'syntax', 'File could not be parsed at all'),
] as const;

export type DiagnosticCode = (typeof diagnosticCodes)[number]['code'];

export const diagnosticCodeInfo: ReadonlyMap<string, DiagnosticCodeInfo> = new Map(
  diagnosticCodes.map((info) => [info.code, info]),
);

export function isDiagnosticCode(code: string): code is DiagnosticCode {
  return diagnosticCodeInfo.has(code);
}
