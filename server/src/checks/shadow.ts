/**
 * Shadow variables (reference 7, 11.6): their lifetime across patches, their constructors and
 * destructors, and the ids that name them.
 */
import type { LivepatchModule, ShadowCall } from '../model/types';
import { finding, related } from './context';
import { isInExit, reachableFunctions } from './facts';
import type { Finding } from './types';

const allocatingApis = new Set<ShadowCall['api']>(['klp_shadow_alloc', 'klp_shadow_get_or_alloc']);
const freeingApis = new Set<ShadowCall['api']>(['klp_shadow_free', 'klp_shadow_free_all']);

/** Calls compare by value when known, else by the macro or text, so `SV_LEAK` matches `SV_LEAK`. */
function idKey(call: ShadowCall): string | undefined {
  if (call.id?.value !== undefined) return `#${call.id.value}`;
  const text = call.idMacro ?? call.id?.text;
  return text === undefined ? undefined : `'${text.replace(/\s+/g, '')}`;
}

function idText(call: ShadowCall): string {
  return call.idMacro ?? call.id?.text ?? '?';
}

/**
 * module_exit also runs when the old module is removed after a cumulative patch replaced it,
 * and then frees the variables the new patch still uses.
 */
export function checkShadowFreeInExit(module: LivepatchModule): Finding[] {
  return module.shadowCalls
    .filter((call) => call.api === 'klp_shadow_free_all' && isInExit(module, call.enclosingFunction, call.contexts))
    .map((call) =>
      finding(
        'LP-SHADOW-FREE-IN-EXIT',
        call.location,
        `klp_shadow_free_all(${idText(call)}) runs in module_exit, which also runs when this module is removed after a cumulative patch ` +
          `replaced it — and then frees shadow variables the new patch still uses; free them in a post_unpatch callback instead`,
      ),
    );
}

export function checkShadowLeak(module: LivepatchModule): Finding[] {
  const freed = new Set<string>();
  for (const call of module.shadowCalls) {
    const key = idKey(call);
    if (key !== undefined && freeingApis.has(call.api)) freed.add(key);
  }
  const findings: Finding[] = [];
  const reported = new Set<string>();
  for (const call of module.shadowCalls) {
    const key = idKey(call);
    if (key === undefined || !allocatingApis.has(call.api) || freed.has(key) || reported.has(key)) continue;
    reported.add(key);
    findings.push(
      finding(
        'LP-SHADOW-LEAK',
        call.location,
        `shadow variables with id ${idText(call)} are allocated but never freed in this module: they outlive their parents ` +
          `(a recycled address may inherit a stale one); free them where the parent is freed (klp_shadow_free) and in post_unpatch (klp_shadow_free_all)`,
      ),
    );
  }
  return findings;
}

/** Calls that may sleep; ctors and dtors run under a spinlock with interrupts disabled. */
const sleepingCalls = new Set([
  'msleep', 'msleep_interruptible', 'ssleep', 'usleep_range', 'schedule', 'schedule_timeout', 'cond_resched',
  'might_sleep', 'mutex_lock', 'mutex_lock_interruptible', 'mutex_lock_killable', 'down', 'down_interruptible',
  'down_killable', 'down_read', 'down_write', 'wait_event', 'wait_event_interruptible', 'wait_event_timeout',
  'wait_for_completion', 'wait_for_completion_timeout', 'wait_for_completion_interruptible', 'copy_from_user',
  'copy_to_user', 'get_user', 'put_user', 'vmalloc', 'vzalloc', 'kvmalloc', 'kvzalloc', 'synchronize_rcu',
  'synchronize_srcu', 'flush_work', 'flush_workqueue', 'cancel_work_sync', 'cancel_delayed_work_sync', 'kthread_stop',
]);

export function checkShadowConstructors(module: LivepatchModule): Finding[] {
  const findings: Finding[] = [];
  const reported = new Set<string>();
  for (const call of module.shadowCalls) {
    for (const [role, name] of [
      ['constructor', call.ctor],
      ['destructor', call.dtor],
    ] as const) {
      if (name === undefined || reported.has(name)) continue;
      const definition = module.functions.get(name);
      if (!definition) continue;
      reported.add(name);
      const offending: string[] = [];
      for (const reached of reachableFunctions(module, [name]))
        for (const callee of module.functions.get(reached)?.calls ?? [])
          if ((sleepingCalls.has(callee) || callee.startsWith('klp_shadow_')) && !offending.includes(callee)) offending.push(callee);
      if (offending.length === 0) continue;
      const reentry = offending.some((callee) => callee.startsWith('klp_shadow_'));
      findings.push(
        finding(
          'LP-SHADOW-CTOR-SLEEP',
          definition.nameLocation,
          `'${name}' is the ${role} of shadow id ${idText(call)} and runs under the shadow spinlock with interrupts disabled, ` +
            `but calls ${offending.map((callee) => `${callee}()`).join(', ')}${reentry ? ' (the shadow API takes that lock again: deadlock)' : ', which may sleep'}; ` +
            `do such work before the allocation or after the free`,
          { related: [related(call.location, `passed as ${role} here`)] },
        ),
      );
    }
  }
  return findings;
}

/** One id with two sizes means two layouts behind one name: a reader cannot know which it has. */
export function checkShadowIdLayouts(module: LivepatchModule): Finding[] {
  const findings: Finding[] = [];
  const firstSize = new Map<string, { size: string; call: ShadowCall }>();
  for (const call of module.shadowCalls) {
    const key = idKey(call);
    if (key === undefined || !allocatingApis.has(call.api) || call.size === undefined) continue;
    const size = call.size.value !== undefined ? String(call.size.value) : call.size.text.replace(/\s+/g, '');
    const first = firstSize.get(key);
    if (!first) {
      firstSize.set(key, { size, call });
      continue;
    }
    if (first.size === size) continue;
    findings.push(
      finding(
        'LP-SHADOW-ID',
        call.size.location,
        `shadow id ${idText(call)} is allocated with size ${call.size.text} here and ${first.call.size!.text} elsewhere: ` +
          `one id should name one layout, since klp_shadow_get() callers cannot tell which one they get; use a new id for the new layout`,
        { related: [related(first.call.location, `allocated with size ${first.call.size!.text} here`)] },
      ),
    );
  }
  return findings;
}
