/** The real analyzer over fixture folders on disk, with the embedded kernel model. */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Analyzer } from '../../../server/src/analysis/analyzer';
import { nodeFileSystem } from '../../../server/src/analysis/nodeFileSystem';
import { defaultKernelModel } from '../../../server/src/kernel/load';
import type { KernelModel } from '../../../server/src/kernel/types';
import { fixturesRoot } from '../../helpers/modelFixtures';

export const layoutsRoot = join(fixturesRoot, 'layouts');

export function filesBelow(folder: string): string[] {
  const found: string[] = [];
  for (const name of readdirSync(folder).sort()) {
    const path = join(folder, name);
    if (statSync(path).isDirectory()) found.push(...filesBelow(path));
    else found.push(path);
  }
  return found;
}

let kernel: KernelModel | undefined;
export function embeddedKernel(): KernelModel {
  kernel ??= defaultKernelModel();
  return kernel;
}

/** A copy of a kernel model with some config options changed. */
export function withConfig(model: KernelModel, options: Record<string, string>): KernelModel {
  const copy = Object.assign(Object.create(Object.getPrototypeOf(model)), model) as KernelModel;
  copy.config = new Map([...model.config, ...Object.entries(options)]);
  return copy;
}

export async function analyzerOver(folder: string, model = embeddedKernel()): Promise<Analyzer> {
  const analyzer = await Analyzer.create(model, nodeFileSystem, { workers: 0 });
  await analyzer.addFiles(filesBelow(folder));
  return analyzer;
}

/** The #if facts of a kernel model, as the analyzer derives them. */
export function configurationOf(model: KernelModel) {
  const v = model.version;
  return { config: model.config, versionCode: (v.major << 16) + (v.minor << 8) + Math.min(v.patch, 255), architecture: model.architecture };
}
