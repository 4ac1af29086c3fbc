/**
 * Generated layouts (docs/layouts.md, reference 1.11): the distribution template's
 * patched_funcs.csv and markers, and the patches kpatch-build and klp-build generate. The
 * generated patches are not in `module.patches` (the skeleton and terminator checks are about
 * tables written by hand); the checks that do apply to them run here on a view of the module
 * whose patches are the generated ones.
 */
import type { KlpPatch, LivepatchModule } from '../model/types';
import { expandedMarkers, funcsMarker, objectsMarker } from '../layouts/distribution';
import { checkCallbackLocking, checkCallbackPositiveReturn, checkCallbackSignatures } from './callbacks';
import { finding, related, type CheckContext } from './context';
import { atLeast, isModuleLoaded, kernelRefusal } from './facts';
import { checkNewFuncDefined } from './replacements';
import { checkSymbols } from './symbols';
import { checkDuplicateFuncs, checkDuplicateObjects, checkIncompleteFuncs, checkObjectNames, checkOldNameLengths } from './tables';
import type { Finding } from './types';

export function checkPatchedFuncsList(module: LivepatchModule): Finding[] {
  const list = module.patchedFuncs;
  if (!list) return [];
  const findings = list.problems.map((problem) => finding('LP-CSV-SYNTAX', problem.location, `${problem.message}`));
  const objectsMarkers = (module.templateMarkers ?? []).filter((m) => m.name === objectsMarker);
  const anyMarker = (module.templateMarkers ?? []).some((m) => m.expanded);
  for (const line of list.unplaced) {
    const object = line.object.value;
    const why = !anyMarker
      ? `the fix's C files have no ${funcsMarker} or ${objectsMarker} marker, so no table receives the list`
      : objectsMarkers.length === 0
        ? `the template names its objects by hand, none of them is ${object === 'vmlinux' ? 'vmlinux (a NULL .name)' : `'${object}'`} with ${funcsMarker} in its funcs, and it has no ${objectsMarker} to generate one`
        : `no table of the template receives lines for '${object}'`;
    findings.push(
      finding('LP-CSV-OBJECT', line.object.location, `'${line.oldName.value}' of object '${object}' is never patched: ${why}`),
    );
  }
  return findings;
}

export function checkTemplateMarkers(module: LivepatchModule): Finding[] {
  const findings: Finding[] = [];
  for (const marker of module.templateMarkers ?? []) {
    if (marker.expanded) continue;
    if (!expandedMarkers.includes(marker.name)) {
      findings.push(
        finding('LP-TEMPLATE-MARKER', marker.location, `${marker.name} is filled in at build time: the analysis treats its value as unknown`, { severity: 'information' }),
      );
    } else if (!module.patchedFuncs) {
      findings.push(finding('LP-TEMPLATE-MARKER', marker.location, `${marker.name} has nothing to be filled with: there is no patched_funcs.csv beside the template`));
    } else {
      const table = marker.name === funcsMarker ? 'struct klp_func' : 'struct klp_object';
      const where = marker.table ? `'${marker.table}', which is not a ${table} array of the patch` : 'no table initializer';
      findings.push(finding('LP-TEMPLATE-MARKER', marker.location, `${marker.name} belongs inside a ${table} array the patch uses, but sits in ${where}: its entries are not generated there`));
    }
  }
  return findings;
}

/** `patch_object` is kpatch-macros.h's name for struct klp_object. */
function withKpatchTypes(patch: KlpPatch, module: LivepatchModule): KlpPatch {
  if (patch.generatedBy !== 'kpatch') return patch;
  return {
    ...patch,
    objects: patch.objects.map((object) => ({
      ...object,
      callbacks: object.callbacks.filter((callback) => {
        const definition = callback.definition ?? module.functions.get(callback.name);
        return !definition || !(definition.parameterTypes.length === 1 && definition.parameterTypes[0].replace(/\s+/g, '') === 'patch_object*' && definition.returnType === (callback.kind === 'pre_patch' ? 'int' : 'void'));
      }),
    })),
  };
}

export function checkGeneratedPatches(module: LivepatchModule, ctx: CheckContext): Finding[] {
  const generated = module.generatedPatches ?? [];
  if (generated.length === 0) return [];
  const view: LivepatchModule = { ...module, patches: generated };
  const typed: LivepatchModule = { ...module, patches: generated.map((patch) => withKpatchTypes(patch, module)) };
  const findings = [
    ...checkSymbols(view, ctx),
    ...checkDuplicateObjects(view),
    ...checkDuplicateFuncs(view),
    ...checkIncompleteFuncs(view),
    ...checkObjectNames(view, ctx),
    ...checkOldNameLengths(view, ctx),
    ...checkNewFuncDefined(view),
    ...checkCallbackSignatures(typed),
    ...checkCallbackPositiveReturn(view),
    ...checkCallbackLocking(view),
  ];
  for (const patch of generated) {
    for (const object of patch.objects) {
      const count = object.declaredFuncCount;
      if (!count || count.value === undefined || count.value === count.arrayLength) continue;
      const consequence =
        count.value > count.arrayLength
          ? `the generated init copies ${count.value} descriptors and reads past the end of the array (garbage old_name/new_func)`
          : `the generated init copies only the first ${count.value}: the last ${count.arrayLength - count.value} function(s) are never patched`;
      findings.push(
        finding(
          'LP-EXT-NR-FUNCS',
          count.location,
          `.nr_funcs is ${count.value} but '${object.funcsArrayName ?? '.funcs'}' has ${count.arrayLength} entr${count.arrayLength === 1 ? 'y' : 'ies'}: ${consequence}`,
          { related: object.funcsArrayLocation ? [related(object.funcsArrayLocation, `'${object.funcsArrayName}' is defined here`)] : [] },
        ),
      );
    }
  }
  return findings;
}

/**
 * Relocation macros of extracted kernel code (reference 9.2, 9.3): the `.klp.sym` symbol must
 * resolve in its object like an old_name does (2.3), and since 5.8 a module-specific relocation
 * section may not use a vmlinux livepatch symbol.
 */
export function checkRelocations(module: LivepatchModule, ctx: CheckContext): Finding[] {
  const findings: Finding[] = [];
  const kernel = ctx.kernel;
  for (const relocation of module.relocations ?? []) {
    const { sectionObject, symbolObject, symbol } = relocation;
    const position = relocation.position ?? 0;
    // The relocations of a module object are applied when that module loads.
    const notLoaded = sectionObject !== 'vmlinux' && !isModuleLoaded(kernel, sectionObject) ? sectionObject : undefined;
    if (sectionObject !== 'vmlinux' && symbolObject === 'vmlinux' && atLeast(kernel, 5, 8)) {
      findings.push(
        finding(
          'LP-RELOC-VMLINUX',
          relocation.location,
          `the relocation section of '${sectionObject}' uses the vmlinux symbol '${symbol}', which kernels since 5.8 forbid ` +
            kernelRefusal(`livepatch: invalid access to vmlinux symbol '${symbol}' from module-specific livepatch relocation section`, '-EINVAL', notLoaded) +
            `: reference vmlinux symbols from a vmlinux relocation (KLP_RELOC_SYMBOL(vmlinux, vmlinux, ${symbol})), or exported ones directly`,
        ),
      );
      continue;
    }
    // Unknown objects are not checked here (LP-OBJECT-NOT-LOADED says so for patched objects).
    if (!kernel.objects.has(symbolObject)) continue;
    const matches = kernel.lookup(symbolObject, symbol).length;
    const printedObject = symbolObject === 'vmlinux' ? '(null)' : symbolObject;
    let line: string | undefined;
    if (matches === 0) line = `livepatch: symbol '${symbol}' not found in symbol table`;
    else if (position === 0 && matches > 1) line = `livepatch: unresolvable ambiguity for symbol '${symbol}' in object '${printedObject}'`;
    else if (position > matches) line = `livepatch: symbol position ${position} for symbol '${symbol}' in object '${symbolObject}' not found`;
    if (!line) continue;
    const what =
      matches === 0
        ? `'${symbol}' is not a symbol of ${symbolObject} in the kernel model`
        : position === 0
          ? `'${symbol}' occurs ${matches} times in ${symbolObject}: the relocation needs a position (KLP_RELOC_SYMBOL_POS)`
          : `${symbolObject} has ${matches} symbol${matches === 1 ? '' : 's'} named '${symbol}', not ${position}`;
    // vmlinux relocations are resolved when the livepatch module itself loads (5.8+).
    const refusal = sectionObject === 'vmlinux' ? `(the kernel refuses to load the livepatch module: "${line}", -EINVAL)` : kernelRefusal(line, '-EINVAL', notLoaded);
    findings.push(finding('LP-RELOC-SYMBOL', relocation.location, `${what} ${refusal}`, { data: { matches } }));
  }
  return findings;
}

/** Upstream names of the kpatch shadow calls, with the arguments that change. */
const upstreamSpelling: Record<string, string> = {
  klp_shadow_alloc: 'klp_shadow_alloc(obj, id, size, gfp, ctor, ctor_data)',
  klp_shadow_get: 'klp_shadow_get(obj, id)',
  klp_shadow_free: 'klp_shadow_free(obj, id, dtor)',
};

/**
 * kpatch's old shadow API is read as klp_shadow_* with its name string as the id (so the shadow
 * and takeover checks see the calls); the author still needs to know the module then depends on
 * kpatch's own core module rather than the kernel's livepatch (docs/layouts.md).
 */
export function checkKpatchShadowApi(module: LivepatchModule): Finding[] {
  const findings: Finding[] = [];
  for (const call of module.shadowCalls) {
    if (!call.writtenAs) continue;
    const name = call.id?.text.trim() ?? '?';
    findings.push(
      finding(
        'LP-KPATCH-SHADOW',
        call.location,
        `${call.writtenAs}() is kpatch's old shadow API, provided by kpatch's own core module (kpatch.ko), keyed by the name ${name}; ` +
          `the kernel's livepatch has ${upstreamSpelling[call.api] ?? call.api} since 4.13 (ctor/dtor since 4.18), keyed by a number: ` +
          `give each name one id (a #define) and use it in every patch that shares the variable. ` +
          `The shadow checks read this call as the ${call.api}() it becomes, with id ${name}`,
        { data: { upstream: call.api } },
      ),
    );
  }
  return findings;
}
