/**
 * Resolution of every old_name/old_sympos against the kernel model, the way klp_find_object_symbol()
 * does it (reference 1.9, 2.3), plus what the model says about patchability (2.4, 11.3).
 */
import type { KernelModel, KernelSymbol } from '../kernel/types';
import type { KlpFunc, KlpObject, LivepatchModule } from '../model/types';
import { finding, type CheckContext } from './context';
import { entries, isModuleLoaded, kernelRefusal, literalSympos, objectAnchor, objectName, quoteList, vmlinux } from './facts';
import { suffixVariants } from './symbolIndex';
import type { Finding } from './types';

/** Text symbol types; any other letter is data, which ftrace cannot hook. */
const textSymbolTypes = new Set(['t', 'T', 'w', 'W']);

/** Reasons from the kernel model that mean "init code" rather than "no ftrace call site". */
const initReason = /\binit\b|\.init\.|__init|init[_ ]text/i;

/**
 * Functions some task is practically always executing or sleeping in: the stack check never
 * passes for those tasks, so the transition never completes (reference 11.3).
 */
const alwaysOnStack = new Set([
  'schedule', '__schedule', 'schedule_timeout', 'schedule_hrtimeout_range', 'io_schedule',
  'do_idle', 'cpu_startup_entry', 'cpuidle_enter_state', 'default_idle_call',
  'kthread', 'kthreadd', 'worker_thread', 'rescuer_thread', 'smpboot_thread_fn',
  'kswapd', 'khugepaged', 'rcu_gp_kthread', 'irq_thread',
  'futex_wait', 'futex_wait_queue', 'do_nanosleep', 'hrtimer_nanosleep', 'ep_poll', 'do_select',
  'do_sys_poll', 'do_wait', 'n_tty_read', 'pipe_read', 'wait_woken',
]);

interface ObjectStatus {
  name: string;
  /** Undefined for a loaded object: problems then refuse the patch itself. */
  notLoadedModule?: string;
}

/** Says once per object whether it is loaded and known; returns undefined when symbols can't be checked. */
function objectStatus(object: KlpObject, kernel: KernelModel, findings: Finding[]): ObjectStatus | undefined {
  const name = objectName(object);
  // A dash never matches a module name; LP-OBJNAME-DASH says so, symbol checks would only add noise.
  if (name === undefined || name.includes('-')) return undefined;
  if (!kernel.objects.has(name)) {
    if (name !== vmlinux) {
      findings.push(
        finding(
          'LP-OBJECT-NOT-LOADED',
          objectAnchor(object),
          `the kernel model (${kernel.release}) does not know module '${name}', so its functions are not checked here; ` +
            `the kernel patches them when '${name}' loads`,
          { data: { knownToModel: false } },
        ),
      );
    }
    return undefined;
  }
  if (isModuleLoaded(kernel, name)) return { name };
  findings.push(
    finding(
      'LP-OBJECT-NOT-LOADED',
      objectAnchor(object),
      `module '${name}' is not loaded in the kernel model: its functions are patched when it loads ` +
        `(and a problem with them then makes the kernel refuse to load '${name}')`,
      { data: { knownToModel: true } },
    ),
  );
  return { name, notLoadedModule: name };
}

function addressList(symbols: readonly KernelSymbol[]): string {
  return symbols.map((symbol) => symbol.address).join(', ');
}

/** Failures of the lookup itself: no symbol, wrong object, suffixed name only. */
function notFound(func: KlpFunc, oldName: string, status: ObjectStatus, kernel: KernelModel): Finding {
  const location = func.oldName!.location;
  const refusal = kernelRefusal(`livepatch: symbol '${oldName}' not found in symbol table`, '-EINVAL', status.notLoadedModule);
  const elsewhere = kernel.objectsDefining(oldName).filter((other) => other !== status.name);
  if (elsewhere.length > 0) {
    return finding(
      'LP-OBJ-WRONG',
      location,
      `symbol '${oldName}' is not in ${status.name} but in ${quoteList(elsewhere)} ${refusal}; list it under the object that defines it`,
      { data: { objects: elsewhere } },
    );
  }
  const variants = suffixVariants(kernel, status.name, oldName);
  if (variants.length > 0) {
    return finding(
      'LP-SYMBOL-SUFFIX',
      location,
      `symbol '${oldName}' not found in symbol table of ${status.name}, which has ${quoteList(variants)} instead ${refusal}: ` +
        `the compiler renamed its copy; target that name and review every caller of the clone`,
      { data: { candidates: variants } },
    );
  }
  return finding('LP-SYMBOL-NOT-FOUND', location, `symbol '${oldName}' not found in symbol table of ${status.name} ${refusal}`);
}

function checkPosition(func: KlpFunc, oldName: string, matches: readonly KernelSymbol[], status: ObjectStatus): Finding[] {
  const position = literalSympos(func);
  if (position === undefined) return [];
  if (position === 0 && matches.length > 1) {
    // The kernel prints the raw object name, so vmlinux shows as "(null)" (reference 2.3).
    const printedObject = status.name === vmlinux ? '(null)' : status.name;
    return [
      finding(
        'LP-SYMPOS-NEEDED',
        func.oldName!.location,
        `symbol '${oldName}' occurs ${matches.length} times in ${status.name} (at ${addressList(matches)}); ` +
          `set .old_sympos to the 1-based position of the one to patch ` +
          kernelRefusal(`livepatch: unresolvable ambiguity for symbol '${oldName}' in object '${printedObject}'`, '-EINVAL', status.notLoadedModule),
        {
          data: {
            positions: matches.map((_, index) => index + 1),
            candidates: matches.map((symbol, index) => ({ position: index + 1, address: symbol.address, type: symbol.type })),
          },
        },
      ),
    ];
  }
  if (position > matches.length) {
    return [
      finding(
        'LP-SYMPOS-RANGE',
        func.oldSympos!.location,
        `old_sympos ${position} is out of range: '${oldName}' occurs ${matches.length === 1 ? 'once' : `${matches.length} times`} in ${status.name} ` +
          kernelRefusal(`livepatch: symbol position ${position} for symbol '${oldName}' in object '${status.name}' not found`, '-EINVAL', status.notLoadedModule),
        { data: { count: matches.length } },
      ),
    ];
  }
  return [];
}

function checkPatchability(func: KlpFunc, oldName: string, matches: readonly KernelSymbol[], status: ObjectStatus, kernel: KernelModel): Finding[] {
  const location = func.oldName!.location;
  const ftraceRefusal = kernelRefusal(`livepatch: failed to find location for function '${oldName}'`, '-EINVAL', status.notLoadedModule);
  if (matches.every((symbol) => !textSymbolTypes.has(symbol.type))) {
    return [
      finding(
        'LP-NOTRACE-TARGET',
        location,
        `'${oldName}' is a data symbol (type ${matches[0].type}), not a function ${ftraceRefusal}`,
        { data: { reason: 'data symbol' } },
      ),
    ];
  }
  const findings: Finding[] = [];
  const patchability = kernel.isPatchable(status.name, oldName);
  if (patchability.patchable === false) {
    const reason = patchability.reason ?? 'the kernel model lists it as not patchable';
    if (initReason.test(reason)) {
      findings.push(
        finding(
          'LP-INIT-CODE',
          location,
          `'${oldName}' is init code (${reason}): it already ran and its memory was freed, so patching it changes nothing ` +
            `(ftrace also dropped its call site, so the kernel most likely refuses it: "livepatch: failed to find location for function '${oldName}'"); ` +
            `do the fix-up in a pre_patch/post_patch callback instead`,
          { data: { reason } },
        ),
      );
    } else {
      findings.push(
        finding('LP-NOTRACE-TARGET', location, `'${oldName}' cannot be patched: ${reason} ${ftraceRefusal}; patch its callers instead`, {
          data: { reason },
        }),
      );
    }
  }
  if (alwaysOnStack.has(oldName)) {
    findings.push(
      finding(
        'LP-ALWAYS-ON-STACK',
        location,
        `'${oldName}' is on the stack of some task nearly all the time (sleepers, idle or kernel-thread loops): ` +
          `those tasks never pass the stack check, so the transition may never complete; patch a function it calls instead`,
      ),
    );
  }
  return findings;
}

export function checkSymbols(module: LivepatchModule, ctx: CheckContext): Finding[] {
  const kernel = ctx.kernel;
  const findings: Finding[] = [];
  for (const patch of module.patches)
    for (const object of entries(patch.objects)) {
      const status = objectStatus(object, kernel, findings);
      if (!status) continue;
      for (const func of entries(object.funcs)) {
        const oldName = func.oldName?.value;
        if (oldName === undefined || oldName === '') continue;
        const matches = kernel.lookup(status.name, oldName);
        if (matches.length === 0) {
          findings.push(notFound(func, oldName, status, kernel));
          continue;
        }
        const positionFindings = checkPosition(func, oldName, matches, status);
        findings.push(...positionFindings);
        if (positionFindings.length === 0) findings.push(...checkPatchability(func, oldName, matches, status, kernel));
      }
    }
  return findings;
}
