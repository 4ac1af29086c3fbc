/**
 * The model the server starts with and returns to when `livepatch.kernelModel` is emptied. If
 * the embedded default cannot be loaded (a packaging fault), the server still starts, with an
 * empty model and an error the user sees, instead of failing `initialize`.
 */
import { defaultKernelModel, kernelModelFromJson } from '../kernel/load';
import type { KernelModel } from '../kernel/types';
import { describeError } from './log';

const emptyModelJson = {
  formatVersion: 1,
  release: '0.0.0',
  version: { major: 0, minor: 0, patch: 0 },
  architecture: 'unknown',
  objects: { vmlinux: { symbols: [] } },
};

export function embeddedKernelModel(): { model: KernelModel; error?: string } {
  try {
    return { model: defaultKernelModel() };
  } catch (error) {
    const fallback = kernelModelFromJson(emptyModelJson, 'empty model (the embedded default did not load)');
    if (!fallback.model) throw error;
    return { model: fallback.model, error: `the embedded kernel model did not load: ${describeError(error).split('\n')[0]}` };
  }
}
