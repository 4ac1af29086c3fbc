/**
 * kpatch-build and klp-build trees (docs/layouts.md): nobody writes a `struct klp_patch`; the
 * generator builds it. What the sources say is mapped onto the same model:
 *
 *   - kpatch: `KPATCH_PRE_PATCH_CALLBACK(fn);` and its three siblings at file scope register a
 *     callback of the object the file is compiled into (kpatch-build fills in the object name:
 *     vmlinux unless the file belongs to a module); `KPATCH_IGNORE_*`, `KPATCH_FORCE_UNSAFE`
 *     and an include of kpatch-macros.h also mark the layout.
 *   - klp-build (6.19+, reference 1.11): the same with `KLP_*_CALLBACK` from
 *     <linux/livepatch_helpers.h>, and the compact descriptors `struct klp_object_ext`
 *     `{ name, funcs, callbacks, nr_funcs }` / `struct klp_func_ext` `{ old_name, new_func, sympos }`
 *     of a generated module, which scripts/livepatch/init.c turns into ordinary tables.
 */
import type { CallbackKind, ShadowApi } from '../model/types';

export type Generator = 'kpatch' | 'klp-build';

/** File-scope callback macros and the callback each registers. */
export const callbackMacros: ReadonlyMap<string, { generator: Generator; kind: CallbackKind }> = new Map([
  ['KPATCH_PRE_PATCH_CALLBACK', { generator: 'kpatch', kind: 'pre_patch' }],
  ['KPATCH_POST_PATCH_CALLBACK', { generator: 'kpatch', kind: 'post_patch' }],
  ['KPATCH_PRE_UNPATCH_CALLBACK', { generator: 'kpatch', kind: 'pre_unpatch' }],
  ['KPATCH_POST_UNPATCH_CALLBACK', { generator: 'kpatch', kind: 'post_unpatch' }],
  ['KLP_PRE_PATCH_CALLBACK', { generator: 'klp-build', kind: 'pre_patch' }],
  ['KLP_POST_PATCH_CALLBACK', { generator: 'klp-build', kind: 'post_patch' }],
  ['KLP_PRE_UNPATCH_CALLBACK', { generator: 'klp-build', kind: 'pre_unpatch' }],
  ['KLP_POST_UNPATCH_CALLBACK', { generator: 'klp-build', kind: 'post_unpatch' }],
] as const);

/**
 * kpatch's old shadow API (its core module kpatch.ko, before the kernel had klp_shadow_*):
 * `kpatch_shadow_alloc(obj, "name", size, gfp)`, `kpatch_shadow_get(obj, "name")`,
 * `kpatch_shadow_free(obj, "name")`, data keyed by object and name string. The arguments sit
 * where the klp_shadow_* equivalents have theirs, so the model reads them as those calls with
 * the name string as the id (docs/layouts.md).
 */
export const kpatchShadowApis: ReadonlyMap<string, ShadowApi> = new Map([
  ['kpatch_shadow_alloc', 'klp_shadow_alloc'],
  ['kpatch_shadow_get', 'klp_shadow_get'],
  ['kpatch_shadow_free', 'klp_shadow_free'],
] as const);

/** Other macros only these trees use. */
const layoutMacros: ReadonlyMap<string, Generator> = new Map([
  ['KPATCH_IGNORE_FUNCTION', 'kpatch'],
  ['KPATCH_IGNORE_SECTION', 'kpatch'],
  ['KPATCH_IGNORE_STATIC', 'kpatch'],
  ['KPATCH_FORCE_UNSAFE', 'kpatch'],
  ['KPATCH_PRINTK', 'kpatch'],
  ['KLP_STATIC_CALL', 'klp-build'],
] as const);

export function generatorOfMacro(name: string): Generator | undefined {
  if (kpatchShadowApis.has(name)) return 'kpatch';
  return callbackMacros.get(name)?.generator ?? layoutMacros.get(name) ?? (/^KLP_SYSCALL_DEFINE[0-6]$/.test(name) ? 'klp-build' : undefined);
}

/** The headers that bring the macros in. */
export function generatorOfInclude(path: string): Generator | undefined {
  if (/(^|\/)kpatch-macros\.h$/.test(path)) return 'kpatch';
  if (/(^|\/)livepatch_helpers\.h$/.test(path) || /(^|\/)livepatch_external\.h$/.test(path)) return 'klp-build';
  return undefined;
}

/** Positional field order of the klp-build descriptors (include/linux/livepatch_external.h). */
export const descriptorFields: Record<string, string[]> = {
  klp_object_ext: ['name', 'funcs', 'callbacks', 'nr_funcs'],
  klp_func_ext: ['old_name', 'new_func', 'sympos'],
};
