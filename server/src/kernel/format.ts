/**
 * The on-disk kernel model (formatVersion 1), as parsed from JSON. `schema/kernel-model.schema.json`
 * is the normative description; docs/kernel-model.md explains each field.
 */
import type { KernelVersion } from './types';

export const KERNEL_MODEL_FORMAT_VERSION = 1;

export interface KernelSymbolJson {
  name: string;
  /** nm-style type letter as /proc/kallsyms prints it. */
  type: string;
  /** Lower-case hex without 0x. */
  address: string;
  size?: number;
}

export interface KernelObjectJson {
  /** kallsyms order. */
  symbols: KernelSymbolJson[];
  /** available_filter_functions for this object, when known. */
  patchable?: string[];
  /** name -> reason. */
  notPatchable?: Record<string, string>;
}

export interface KernelFeatures {
  /** HAVE_RELIABLE_STACKTRACE: livepatch transitions can switch tasks by checking their stacks. */
  reliableStacktrace?: boolean;
  [feature: string]: boolean | number | string | undefined;
}

/** A task of the model: what the livepatch consistency model needs to know about it. */
export interface KernelTaskJson {
  pid: number;
  /** At most 15 characters (TASK_COMM_LEN - 1). */
  comm: string;
  kind: 'user' | 'kthread' | 'idle';
  /** Innermost first; "name [module]" for module functions. */
  stack: string[];
  /** /proc/<pid>/stat state letter when captured. */
  state?: string;
  running?: boolean;
  interruptible?: boolean;
  offline?: boolean;
  reliableStack?: boolean;
}

export interface KernelModelJson {
  formatVersion: number;
  release: string;
  version: KernelVersion;
  architecture: string;
  config?: Record<string, string>;
  features?: KernelFeatures;
  provenance?: Record<string, unknown>;
  objects: Record<string, KernelObjectJson>;
  loadedModules?: string[];
  /** Background tasks of the simulated machine (the transition checks their stacks). */
  tasks?: KernelTaskJson[];
  /** Reserved for later format extensions (procfs contents, globals, loaded patches). */
  procfs?: unknown[] | Record<string, unknown>;
  globals?: unknown[] | Record<string, unknown>;
  livepatches?: unknown[] | Record<string, unknown>;
}

/** Letters kallsyms uses for text symbols (the only ones that can be patched). */
export function isTextSymbolType(type: string): boolean {
  return type === 't' || type === 'T' || type === 'w' || type === 'W';
}
