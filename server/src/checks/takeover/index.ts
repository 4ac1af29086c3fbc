/**
 * Checks of one patch against the patches installed before it (checks/series.ts says which):
 * states the kernel's compatibility check compares, and shadow variables and states a
 * cumulative patch has to take over from the patches it replaces.
 */
export { checkStateCompatibility, checkStateDeprecated, checkStateRevertFree, checkStateTakeover } from './states';
export { checkShadowAllocDup, checkShadowCumulativeDrop, checkShadowLayoutsAcrossPatches } from './shadows';
