/**
 * API and fields checked against the target kernel's version, using the version table of the
 * reference (section 10, 1.12): what the kernel retired (LP-LEGACY-API, LP-KALLSYMS-LOOKUP) and
 * what it does not have yet (LP-API-TOO-NEW).
 */
import type { KernelModel } from '../kernel/types';
import type { Location } from '../model/location';
import type { LivepatchModule, ShadowCall } from '../model/types';
import { finding, type CheckContext } from './context';
import { atLeast, entries, isInExit, targetKernel } from './facts';
import type { Finding } from './types';

function fieldName(name: string): string {
  return name.replace(/^\./, '');
}

interface Use {
  /** As shown to the user, e.g. "klp_register_patch()" or ".immediate". */
  what: string;
  location: Location;
}

interface Retirement {
  major: number;
  minor: number;
  advice: string;
}

const retiredCalls: Record<string, Retirement> = {
  klp_register_patch: { major: 5, minor: 1, advice: 'klp_enable_patch() alone registers and enables the patch since then' },
  klp_unregister_patch: { major: 5, minor: 1, advice: 'a disabled patch is freed by the kernel; drop the call' },
  klp_disable_patch: { major: 5, minor: 1, advice: 'patches are disabled through /sys/kernel/livepatch/<patch>/enabled only' },
  // The extractor lists uses of the type among the calls, under this name.
  'struct klp_reloc': { major: 4, minor: 7, advice: 'livepatch relocation sections (.klp.rela.*), which the build tools generate, replaced it' },
};

const retiredFields: Record<string, Retirement> = {
  immediate: { major: 4, minor: 16, advice: 'the consistency model can no longer be skipped; drop the field' },
  old_addr: { major: 4, minor: 5, advice: 'use .old_sympos to tell same-named symbols apart' },
  relocs: { major: 4, minor: 7, advice: 'struct klp_reloc was replaced by livepatch relocation sections (.klp.rela.*), which the build tools generate' },
};

function legacy(use: Use, retirement: Retirement, kernel: KernelModel): Finding {
  return finding(
    'LP-LEGACY-API',
    use.location,
    `${use.what} was removed in ${retirement.major}.${retirement.minor} and does not exist in the ${targetKernel(kernel)} ` +
      `(the module does not build): ${retirement.advice}`,
  );
}

function tooNew(use: Use, major: number, minor: number, kernel: KernelModel, consequence = 'the module does not build'): Finding {
  return finding(
    'LP-API-TOO-NEW',
    use.location,
    `${use.what} was added in ${major}.${minor}; the ${targetKernel(kernel)} does not have it (${consequence})`,
    { data: { since: `${major}.${minor}` } },
  );
}

/** Argument counts of the shadow API before 4.18 (data template) and since (ctor/dtor). */
const shadowArity: Partial<Record<ShadowCall['api'], { before418: number; since418: number }>> = {
  klp_shadow_alloc: { before418: 5, since418: 6 },
  klp_shadow_get_or_alloc: { before418: 5, since418: 6 },
  klp_shadow_free: { before418: 2, since418: 3 },
  klp_shadow_free_all: { before418: 1, since418: 2 },
};

export function checkLegacyApi(module: LivepatchModule, ctx: CheckContext): Finding[] {
  const kernel = ctx.kernel;
  const findings: Finding[] = [];
  for (const call of module.otherApiCalls) {
    const retirement = retiredCalls[call.api];
    if (!retirement || !atLeast(kernel, retirement.major, retirement.minor)) continue;
    // LP-EXIT-DISABLES says it more precisely for the exit path; one finding per call is enough.
    if (call.api !== 'klp_register_patch' && isInExit(module, call.enclosingFunction, call.contexts)) continue;
    findings.push(legacy({ what: call.api.startsWith('struct ') ? call.api : `${call.api}()`, location: call.location }, retirement, kernel));
  }
  const fieldUses: { name: string; location: Location }[] = [];
  for (const patch of module.patches) {
    fieldUses.push(...patch.otherFields);
    for (const object of entries(patch.objects)) {
      fieldUses.push(...object.otherFields);
      for (const func of entries(object.funcs)) fieldUses.push(...func.otherFields);
    }
  }
  for (const field of fieldUses) {
    const name = fieldName(field.name);
    const retirement = retiredFields[name];
    if (retirement && atLeast(kernel, retirement.major, retirement.minor))
      findings.push(legacy({ what: `.${name}`, location: field.location }, retirement, kernel));
  }
  if (atLeast(kernel, 4, 18)) {
    for (const call of module.shadowCalls) {
      // kpatch_shadow_* is kpatch's own API, not a form of the kernel's (LP-KPATCH-SHADOW).
      if (call.writtenAs) continue;
      const arity = shadowArity[call.api];
      if (arity && call.argumentTexts.length === arity.before418) {
        findings.push(
          finding(
            'LP-LEGACY-API',
            call.location,
            `${call.api}() takes ${arity.since418} arguments since 4.18 (constructor/destructor form); ` +
              `this call uses the ${arity.before418}-argument form of 4.13-4.17, which does not build for the ${targetKernel(kernel)}`,
          ),
        );
      }
    }
  }
  return findings;
}

const kallsymsApis = new Set(['kallsyms_lookup_name', 'kallsyms_on_each_symbol']);

/** Modules lost kallsyms_lookup_name() in 5.7; the loader then cannot resolve it. */
export function checkKallsymsLookup(module: LivepatchModule, ctx: CheckContext): Finding[] {
  if (!atLeast(ctx.kernel, 5, 7)) return [];
  return module.otherApiCalls
    .filter((call) => kallsymsApis.has(call.api))
    .map((call) =>
      finding(
        'LP-KALLSYMS-LOOKUP',
        call.location,
        `${call.api}() is not exported to modules since 5.7 ` +
          `(the loader refuses the module: "${module.name}: Unknown symbol ${call.api} (err -2)", -ENOENT): ` +
          `reach unexported symbols through livepatch relocations (.klp.sym) instead`,
      ),
    );
}

export function checkApiTooNew(module: LivepatchModule, ctx: CheckContext): Finding[] {
  const kernel = ctx.kernel;
  const findings: Finding[] = [];
  for (const patch of module.patches) {
    if (patch.replace && !atLeast(kernel, 5, 1))
      findings.push(tooNew({ what: '.replace (atomic replace)', location: patch.replace.location }, 5, 1, kernel));
    if (!atLeast(kernel, 5, 5) && (patch.statesArrayName !== undefined || patch.states.length > 0))
      findings.push(tooNew({ what: '.states (struct klp_state)', location: patch.statesLocation ?? patch.location }, 5, 5, kernel));
    for (const field of patch.otherFields)
      if (fieldName(field.name) === 'immediate' && !atLeast(kernel, 4, 12))
        findings.push(tooNew({ what: '.immediate', location: field.location }, 4, 12, kernel));
    for (const object of entries(patch.objects)) {
      if (!atLeast(kernel, 4, 15))
        for (const callback of object.callbacks)
          findings.push(tooNew({ what: `.callbacks (${callback.kind})`, location: callback.location }, 4, 15, kernel));
      for (const func of entries(object.funcs)) {
        if (func.oldSympos && !atLeast(kernel, 4, 5))
          findings.push(tooNew({ what: '.old_sympos', location: func.oldSympos.location }, 4, 5, kernel));
        for (const field of func.otherFields)
          if (fieldName(field.name) === 'immediate' && !atLeast(kernel, 4, 12))
            findings.push(tooNew({ what: '.immediate', location: field.location }, 4, 12, kernel));
      }
    }
  }
  if (!atLeast(kernel, 5, 5))
    for (const call of module.stateCalls) findings.push(tooNew({ what: `${call.api}()`, location: call.location }, 5, 5, kernel));
  for (const call of module.shadowCalls) {
    if (call.writtenAs) continue;
    if (!atLeast(kernel, 4, 13)) {
      findings.push(tooNew({ what: `${call.api}() (shadow variables)`, location: call.location }, 4, 13, kernel));
      continue;
    }
    const arity = shadowArity[call.api];
    if (arity && !atLeast(kernel, 4, 18) && call.argumentTexts.length === arity.since418)
      findings.push(tooNew({ what: `the constructor/destructor form of ${call.api}()`, location: call.location }, 4, 18, kernel));
  }
  // Before 5.1 klp_enable_patch() only enabled a patch that klp_register_patch() had set up.
  const registers = module.otherApiCalls.some((call) => call.api === 'klp_register_patch');
  if (!atLeast(kernel, 5, 1) && !registers)
    for (const call of module.enableCalls)
      findings.push(
        tooNew(
          { what: 'enabling with klp_enable_patch() alone (no klp_register_patch())', location: call.location },
          5,
          1,
          kernel,
          'there klp_enable_patch() refuses an unregistered patch with -EINVAL and prints nothing',
        ),
      );
  return findings;
}
