/**
 * The machine a scenario asks for: its `kernel` and `task` directives applied to the kernel
 * model the caller chose (the `--kernel` model, the editor's model, or the embedded default).
 * A `kernel <file>` directive replaces that model; version, config, features and tasks then
 * override the model's own, so one scenario can say "this kernel, but without
 * CONFIG_LIVEPATCH" or "plus a task sleeping in the function being patched".
 */
import { resolve } from 'node:path';
import { loadKernelModelFile } from '../../kernel/load';
import type { KernelModel } from '../../kernel/types';
import { defaultModelTasks, type ModelTaskSpec } from '../tasks';
import { isDirective, type KernelDirective, type ScenarioLine } from './parse';

export interface ScenarioSetup {
  kernel: KernelModel;
  errors: { message: string; line: number; column: number }[];
}

/** A copy of the model with other version/config/features/tasks (the symbol tables are shared). */
function derive(base: KernelModel, change: { version?: KernelModel['version']; config?: Map<string, string>; features?: Record<string, unknown>; tasks?: ModelTaskSpec[] }): KernelModel {
  const copy = Object.assign(Object.create(Object.getPrototypeOf(base) as object) as KernelModel, base);
  const raw: Record<string, unknown> = { ...base.raw };
  if (change.version) {
    Object.assign(copy, { version: change.version });
    raw.version = change.version;
  }
  if (change.config) {
    Object.assign(copy, { config: change.config });
    raw.config = Object.fromEntries(change.config);
  }
  if (change.features) {
    Object.assign(copy, { features: change.features });
    raw.features = change.features;
  }
  if (change.tasks) raw.tasks = change.tasks;
  Object.assign(copy, { raw });
  return copy;
}

export function applyScenarioSetup(lines: ScenarioLine[], scenarioPath: string, kernel: KernelModel): ScenarioSetup {
  const errors: ScenarioSetup['errors'] = [];
  const directives = lines.filter((l) => isDirective(l.command)) as (ScenarioLine & { command: KernelDirective })[];
  if (!directives.length) return { kernel, errors };
  let model = kernel;
  const file = directives.filter((d) => d.command.kind === 'kernel-model');
  if (file.length > 1) errors.push({ message: 'kernel: only one kernel model file per scenario', line: file[1].line, column: 1 });
  if (file[0] && file[0].command.kind === 'kernel-model') {
    const path = resolve(scenarioPath, '..', file[0].command.path);
    const loaded = loadKernelModelFile(path);
    if (!loaded.model) {
      const first = loaded.errors[0];
      const where = first?.line !== undefined ? `:${first.line + 1}:${(first.character ?? 0) + 1}` : '';
      errors.push({ message: `kernel: ${file[0].command.path}${where}: ${first?.message ?? 'cannot load'}${first?.jsonPath ? ` (at ${first.jsonPath})` : ''}`, line: file[0].line, column: 1 });
      return { kernel, errors };
    }
    model = loaded.model;
  }
  let version: KernelModel['version'] | undefined;
  let config: Map<string, string> | undefined;
  let features: Record<string, unknown> | undefined;
  let tasks: ModelTaskSpec[] | undefined;
  const rawTasks = (model.raw as { tasks?: unknown }).tasks;
  const modelTasks = (): ModelTaskSpec[] => (Array.isArray(rawTasks) && rawTasks.length ? (rawTasks as ModelTaskSpec[]) : defaultModelTasks).slice();
  for (const { command } of directives) {
    switch (command.kind) {
      case 'kernel-version':
        version = { major: command.major, minor: command.minor, patch: command.patch };
        break;
      case 'kernel-config':
        config ??= new Map(model.config);
        if (command.value === undefined) config.delete(command.option);
        else config.set(command.option, command.value);
        break;
      case 'kernel-feature':
        features ??= { ...((model.raw as { features?: Record<string, unknown> }).features ?? {}) };
        features[command.feature] = command.value;
        break;
      case 'task': {
        tasks ??= modelTasks();
        const t = command.task;
        const spec: ModelTaskSpec = { pid: t.pid, comm: t.comm, kind: t.kind, stack: t.stack, running: t.running, offline: t.offline, reliableStack: t.reliableStack, interruptible: t.interruptible };
        // The same task (pid and comm) described again replaces the model's one.
        const same = tasks.findIndex((x) => x.pid === t.pid && x.comm === t.comm);
        if (same >= 0) tasks[same] = spec;
        else tasks.push(spec);
        break;
      }
    }
  }
  if (version || config || features || tasks) model = derive(model, { version, config, features, tasks });
  return { kernel: model, errors };
}
