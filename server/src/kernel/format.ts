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
  /** Reserved for later format extensions (simulated tasks, procfs contents, globals, loaded patches). */
  tasks?: unknown[] | Record<string, unknown>;
  procfs?: unknown[] | Record<string, unknown>;
  globals?: unknown[] | Record<string, unknown>;
  livepatches?: unknown[] | Record<string, unknown>;
}

/** Letters kallsyms uses for text symbols (the only ones that can be patched). */
export function isTextSymbolType(type: string): boolean {
  return type === 't' || type === 'T' || type === 'w' || type === 'W';
}
