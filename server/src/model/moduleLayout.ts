/**
 * Questions about a module that depend on its layout (docs/layouts.md), asked by checks and
 * editor features alike so they agree on what counts as a livepatch and what the author wrote.
 */
import type { KlpPatch, LivepatchModule } from './types';

/**
 * kpatch-build and klp-build write the module around the patch (MODULE_INFO(livepatch),
 * MODULE_LICENSE, module_init with klp_enable_patch()): checks that only make sense for a
 * hand-written skeleton skip these modules.
 */
export function generatorWritesSkeleton(module: Pick<LivepatchModule, 'layout'>): boolean {
  return module.layout === 'kpatch' || module.layout === 'klp-build';
}

/** Every klp_patch of the module: the hand-written tables first, then those a generator builds. */
export function allPatches(module: Pick<LivepatchModule, 'patches' | 'generatedPatches'>): KlpPatch[] {
  return module.generatedPatches?.length ? [...module.patches, ...module.generatedPatches] : module.patches;
}
