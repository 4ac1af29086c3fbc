/**
 * Per-object callbacks (reference 1.5, 3, 11.5): their C type, what pre_patch returns, and what
 * they must not call while the core holds the livepatch mutex.
 */
import type { Location } from '../model/location';
import type { KlpCallback, LivepatchModule } from '../model/types';
import { finding, related } from './context';
import { callPath, entries, locationKey, reachableFunctions } from './facts';
import type { Finding } from './types';

function* callbacks(module: LivepatchModule): Generator<KlpCallback> {
  for (const patch of module.patches) for (const object of entries(patch.objects)) yield* object.callbacks;
}

/** Spacing and storage classes do not change a function's type; `const` does, so it stays. */
function normalizeType(type: string): string {
  return type
    .replace(/\b(static|inline|__inline|__inline__|extern)\b/g, ' ')
    .replace(/\s*\*\s*/g, '*')
    .replace(/([^*\s])\*/, '$1 *')
    .replace(/\s+/g, ' ')
    .trim();
}

const expectedParameter = 'struct klp_object *';

export function checkCallbackSignatures(module: LivepatchModule): Finding[] {
  const findings: Finding[] = [];
  for (const callback of callbacks(module)) {
    const definition = callback.definition ?? module.functions.get(callback.name);
    if (!definition) continue;
    const expectedReturn = callback.kind === 'pre_patch' ? 'int' : 'void';
    const returnType = normalizeType(definition.returnType);
    const parameters = definition.parameterTypes.map(normalizeType);
    if (returnType === expectedReturn && parameters.length === 1 && parameters[0] === expectedParameter) continue;
    const actual = `${returnType} (${parameters.join(', ') || 'void'})`;
    const expected = `${expectedReturn} (${expectedParameter})`;
    const consequence =
      callback.kind === 'pre_patch' && returnType === 'void'
        ? 'the core reads whatever is left in the return register, and any non-zero value aborts the patch'
        : 'the core calls it through the declared type anyway';
    findings.push(
      finding(
        'LP-CB-SIGNATURE',
        callback.location,
        `${callback.kind} callback '${callback.name}' has type '${actual}', but struct klp_callbacks expects '${expected}': ` +
          `the initializer has an incompatible pointer type and ${consequence}`,
        { related: [related(definition.nameLocation, `'${callback.name}' is defined here`)], data: { expected } },
      ),
    );
  }
  return findings;
}

/**
 * Any non-zero pre_patch value aborts; a positive one then travels back from module init, where
 * the loader treats it as success and keeps the module loaded with no patch applied.
 */
export function checkCallbackPositiveReturn(module: LivepatchModule): Finding[] {
  const findings: Finding[] = [];
  const reported = new Set<string>();
  for (const callback of callbacks(module)) {
    if (callback.kind !== 'pre_patch' || reported.has(callback.name)) continue;
    reported.add(callback.name);
    const definition = callback.definition ?? module.functions.get(callback.name);
    if (!definition) continue;
    for (const returned of definition.returns) {
      if (returned.value === undefined || returned.value <= 0) continue;
      findings.push(
        finding(
          'LP-CB-POSITIVE',
          returned.location,
          `pre_patch callback '${callback.name}' returns ${returned.text} (${returned.value}): the patch is aborted, but a positive value ` +
            `is no errno, so module init "succeeds" and the loader only warns ("do_init_module: '${module.name}'->init suspiciously returned ${returned.value}, ` +
            `it should follow 0/-E convention"), leaving the module loaded with no patch applied; return a negative errno such as -ENODEV`,
          {
            related: [related(callback.location, `registered as pre_patch here`)],
            // `return EINVAL;` is the usual slip: the fix is the missing minus sign.
            data: /^E[A-Z0-9]+$/.test(returned.text.trim()) ? { replacement: `-${returned.text.trim()}` } : undefined,
          },
        ),
      );
    }
  }
  return findings;
}

/** APIs that take klp_mutex, which the core already holds while it runs callbacks. */
const mutexTakingApis = new Set(['klp_enable_patch', 'klp_register_patch', 'klp_unregister_patch', 'klp_disable_patch']);

export function checkCallbackLocking(module: LivepatchModule): Finding[] {
  const calls: { api: string; enclosingFunction: string; location: Location }[] = [
    ...module.enableCalls.map((call) => ({ api: 'klp_enable_patch', enclosingFunction: call.enclosingFunction, location: call.location })),
    // klp_enable_patch() is also listed among otherApiCalls; enableCalls already has it.
    ...module.otherApiCalls.filter((call) => mutexTakingApis.has(call.api) && call.api !== 'klp_enable_patch'),
  ];
  if (calls.length === 0) return [];
  const findings: Finding[] = [];
  const reported = new Set<string>();
  for (const callback of callbacks(module)) {
    const reached = reachableFunctions(module, [callback.name]);
    for (const call of calls) {
      const key = locationKey(call.location);
      if (reported.has(key) || !reached.has(call.enclosingFunction)) continue;
      reported.add(key);
      const path = callPath(module, callback.name, call.enclosingFunction);
      const via = path && path.length > 1 ? ` (${path.join(' → ')})` : '';
      findings.push(
        finding(
          'LP-CB-LOCK',
          call.location,
          `${call.api}() is reached from the ${callback.kind} callback '${callback.name}'${via}: callbacks run with the livepatch mutex held, ` +
            `and ${call.api}() takes it again, so this deadlocks; defer the work to a workqueue that does not wait for the transition`,
          { related: [related(callback.location, `registered as ${callback.kind} here`)] },
        ),
      );
    }
  }
  return findings;
}
