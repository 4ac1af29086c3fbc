/**
 * The static arrays of a patch: terminators, incomplete entries, duplicates and names
 * (reference 1.7, 1.8, 2.3 steps 1 and 4, 11.2). None of these needs the kernel's symbols.
 */
import type { KernelModel } from '../kernel/types';
import type { Location } from '../model/location';
import type { KlpFunc, KlpObject, LivepatchModule } from '../model/types';
import { finding, related, type CheckContext } from './context';
import {
  atLeast,
  closingBrace,
  effectiveSympos,
  entries,
  kernelRefusal,
  literalSympos,
  locationKey,
  newFuncOf,
  objectAnchor,
  objectName,
  silentRefusal,
  vmlinux,
} from './facts';
import type { Finding } from './types';

function missingTerminator(location: Location, what: string): Finding {
  return finding(
    'LP-TERMINATOR',
    closingBrace(location),
    `${what} has no { } terminator: the kernel walks past the end of the array (undefined behaviour)`,
    { data: { insertText: '{ }' } },
  );
}

/** Entries after a `{ }` in the middle are never seen by the kernel. */
function earlyTerminator<T extends { isTerminator: boolean; location: Location }>(items: readonly T[], what: string): Finding[] {
  const first = items.findIndex((item) => item.isTerminator);
  if (first < 0) return [];
  const ignored = items.slice(first + 1).filter((item) => !item.isTerminator).length;
  if (ignored === 0) return [];
  return [
    finding(
      'LP-TERMINATOR',
      items[first].location,
      `this { } ends the ${what} array early: the ${ignored} ${ignored === 1 ? 'entry' : 'entries'} after it ${ignored === 1 ? 'is' : 'are'} silently ignored`,
    ),
  ];
}

/*
 * An array the extractor could not read (a half-typed file) also comes with no entries, so an
 * empty entry list says nothing about the terminator; only arrays with entries are checked.
 */
export function checkTerminators(module: LivepatchModule): Finding[] {
  const findings: Finding[] = [];
  // A funcs array shared by two objects is reported once.
  const reported = new Set<string>();
  for (const patch of module.patches) {
    if (patch.objsArrayLocation && !patch.objectsTerminated)
      findings.push(missingTerminator(patch.objsArrayLocation, `object array '${patch.objsArrayName ?? patch.variableName}'`));
    findings.push(...earlyTerminator(patch.objects, 'object'));
    if (patch.statesArrayLocation && !patch.statesTerminated)
      findings.push(missingTerminator(patch.statesArrayLocation, `state array '${patch.statesArrayName ?? patch.variableName}'`));
    for (const object of entries(patch.objects)) {
      if (!object.funcsLocation) continue;
      const key = object.funcsArrayName ?? locationKey(object.funcsLocation);
      if (reported.has(key)) continue;
      reported.add(key);
      if (object.funcsArrayLocation && !object.funcsTerminated)
        findings.push(missingTerminator(object.funcsArrayLocation, `function array '${object.funcsArrayName ?? 'funcs'}'`));
      findings.push(...earlyTerminator(object.funcs, 'function'));
    }
  }
  return findings;
}

/**
 * The kernel stops at the first object with neither name nor funcs, so a vmlinux object whose
 * .funcs was forgotten silently hides every object after it; a named one fails the enable.
 */
export function checkObjectsWithoutFuncs(module: LivepatchModule): Finding[] {
  const findings: Finding[] = [];
  for (const patch of module.patches) {
    const objects = patch.objects;
    objects.forEach((object, index) => {
      if (object.isTerminator) return;
      if (object.funcsArrayName !== undefined || object.funcsLocation !== undefined || object.funcs.length > 0) return;
      const hint = 'give it a function array (one holding just { } is fine for a callback-only object)';
      if (object.name === undefined) {
        const hidden = objects.slice(index + 1).filter((other) => !other.isTerminator).length;
        const hiddenText = hidden === 0 ? '' : ` and the ${hidden} ${hidden === 1 ? 'object' : 'objects'} after it`;
        findings.push(
          finding(
            'LP-OBJ-NO-FUNCS',
            object.location,
            `this vmlinux object has no .funcs, so the kernel takes it for the array terminator: it${hiddenText} ${hidden === 0 ? 'is' : 'are'} silently ignored; ${hint}`,
          ),
        );
      } else {
        findings.push(
          finding(
            'LP-OBJ-NO-FUNCS',
            objectAnchor(object),
            `object '${object.name.value ?? object.name.text}' has no .funcs ${silentRefusal('-EINVAL')}; ${hint}`,
          ),
        );
      }
    });
  }
  return findings;
}

export function checkIncompleteFuncs(module: LivepatchModule): Finding[] {
  const findings: Finding[] = [];
  for (const patch of module.patches)
    for (const object of entries(patch.objects))
      for (const func of entries(object.funcs)) {
        const newFunc = newFuncOf(func);
        let missing: string | undefined;
        if (!func.oldName && !newFunc) missing = 'has neither .old_name nor .new_func';
        else if (!func.oldName) missing = `has .new_func '${newFunc!.name}' but no .old_name`;
        else if (!newFunc) missing = `has .old_name ${func.oldName.text} but no .new_func`;
        if (missing) findings.push(finding('LP-FUNC-INCOMPLETE', func.location, `function entry ${missing} ${silentRefusal('-EINVAL')}`));
      }
  return findings;
}

/** The sysfs path the kernel creates for an object, as printed by the sysfs duplicate warning. */
function objectSysfsPath(module: LivepatchModule, name: string): string {
  return `/kernel/livepatch/${module.name}/${name}`;
}

function duplicateSysfsRefusal(path: string): string {
  return kernelRefusal(`sysfs: cannot create duplicate filename '${path}'`, '-EEXIST');
}

export function checkDuplicateObjects(module: LivepatchModule): Finding[] {
  const findings: Finding[] = [];
  for (const patch of module.patches) {
    const seen = new Map<string, KlpObject>();
    for (const object of entries(patch.objects)) {
      const name = objectName(object);
      if (name === undefined) continue;
      const first = seen.get(name);
      if (!first) {
        seen.set(name, object);
        continue;
      }
      findings.push(
        finding(
          'LP-DUP-OBJECT',
          objectAnchor(object),
          `object '${name}' appears twice in patch '${patch.variableName}' ` +
            `${duplicateSysfsRefusal(objectSysfsPath(module, name))}; merge the two function arrays`,
          { related: [related(objectAnchor(first), `first object '${name}'`)] },
        ),
      );
    }
  }
  return findings;
}

/** `{foo, 0}` and `{foo, 1}` both become the sysfs directory `foo,1` (reference 1.9). */
export function checkDuplicateFuncs(module: LivepatchModule): Finding[] {
  const findings: Finding[] = [];
  for (const patch of module.patches)
    for (const object of entries(patch.objects)) {
      const name = objectName(object);
      if (name === undefined) continue;
      const seen = new Map<string, KlpFunc>();
      for (const func of entries(object.funcs)) {
        const oldName = func.oldName?.value;
        const position = effectiveSympos(func);
        if (oldName === undefined || position === undefined) continue;
        const key = `${oldName}\0${position}`;
        const first = seen.get(key);
        if (!first) {
          seen.set(key, func);
          continue;
        }
        const spelledDifferently = literalSympos(first) !== literalSympos(func);
        const note = spelledDifferently ? ' (old_sympos 0 and 1 both mean the first match)' : '';
        const directory = `${oldName},${position}`;
        findings.push(
          finding(
            'LP-DUP-FUNC',
            func.oldName!.location,
            `'${oldName}' at position ${position} is listed twice in object '${name}'${note}: both entries need the sysfs directory '${directory}' ` +
              duplicateSysfsRefusal(`${objectSysfsPath(module, name)}/${directory}`),
            { related: [related(first.oldName!.location, `first entry for '${oldName}'`)] },
          ),
        );
      }
    }
  return findings;
}

export function checkObjectNames(module: LivepatchModule, ctx: CheckContext): Finding[] {
  const findings: Finding[] = [];
  const limit = moduleNameLength(ctx.kernel);
  for (const patch of module.patches)
    for (const object of entries(patch.objects)) {
      const name = object.name?.value;
      if (object.name === undefined || name === undefined) continue;
      const location = object.name.location;
      if (name === vmlinux) {
        findings.push(
          finding(
            'LP-OBJNAME-VMLINUX',
            location,
            `object named "vmlinux": the kernel takes it for a module called vmlinux, which never loads, so these functions are never patched; leave .name unset for vmlinux`,
            { data: { removeField: 'name' } },
          ),
        );
      }
      if (name.includes('-')) {
        const fixed = name.replace(/-/g, '_');
        findings.push(
          finding(
            'LP-OBJNAME-DASH',
            location,
            `object name '${name}' contains '-', but kernel module names use '_' (the module is '${fixed}'): ` +
              `this object never matches a loaded module and is never patched, and the kernel says nothing`,
            { data: { replacement: fixed } },
          ),
        );
      }
      if (name.length >= limit) {
        findings.push(
          finding(
            'LP-NAME-LENGTH',
            location,
            `object name '${name}' is ${name.length} characters; module names are shorter than MODULE_NAME_LEN (${limit}) ${silentRefusal('-EINVAL')}`,
          ),
        );
      }
    }
  return findings;
}

export function checkOldNameLengths(module: LivepatchModule, ctx: CheckContext): Finding[] {
  const limit = atLeast(ctx.kernel, 6, 1) ? 512 : 128;
  const findings: Finding[] = [];
  for (const patch of module.patches)
    for (const object of entries(patch.objects))
      for (const func of entries(object.funcs)) {
        const oldName = func.oldName?.value;
        if (oldName === undefined || oldName.length < limit) continue;
        findings.push(
          finding(
            'LP-NAME-LENGTH',
            func.oldName!.location,
            `old_name is ${oldName.length} characters; symbol names are shorter than KSYM_NAME_LEN (${limit} in the target kernel) ${silentRefusal('-EINVAL')}`,
          ),
        );
      }
  return findings;
}

/** MODULE_NAME_LEN is 64 - sizeof(unsigned long): 56 on 64-bit kernels, 60 on 32-bit ones. */
function moduleNameLength(kernel: KernelModel): number {
  const architecture = kernel.architecture.toLowerCase();
  const is32Bit = /^(i[3-6]86|x86_32|arm|armv\d.*|mips|mipsel|ppc|powerpc|sparc|riscv32|m68k|sh|xtensa)$/.test(architecture);
  return is32Bit ? 60 : 56;
}
