/**
 * The simulated livepatch core's data, named after the kernel's structures (reference 1, 13).
 * Addresses are interpreter addresses: the `struct klp_*` the module defined in its own memory.
 */
import type { ProgramHandle } from '../interp/loader';

export const TRANSITION_IDLE = -1;
export const UNPATCHED = 0;
export const PATCHED = 1;

/** A loaded kernel module: a livepatch, an interpreted target module, or a module of the model. */
export interface SimModule {
  name: string;
  state: 'COMING' | 'LIVE' | 'GOING';
  /** The interpreted program; undefined for modules the kernel model lists as loaded. */
  program?: ProgramHandle;
  isLivepatch: boolean;
  /** References held by the livepatch core (one per active patch of this module). */
  refcount: number;
  /** A forced transition involved this module's patch: it can never be removed. */
  forced: boolean;
  /** Seen by the livepatch COMING hook (counts as loaded for patches). */
  klpAlive: boolean;
  /** Source path of the main file, for findings. */
  sourcePath?: string;
  /** Modules whose exported symbols this module links to (each holds it: rmmod is refused). */
  uses?: string[];
  /** A livepatch module's relocation sections by target object (.klp.rela.<object>.*). */
  klpRelocations?: Map<string, KlpRelocation[]>;
  /** What the livepatch core resolved this module's livepatch symbols to, by symbol name. */
  klpRelocated?: Map<string, number>;
}

/**
 * One livepatch symbol a relocation section .klp.rela.<section>.* references:
 * .klp.sym.<object>.<name>,<sympos>.
 */
export interface KlpRelocation {
  /** The object whose section references it (the target the code patches). */
  section: string;
  /** The object the symbol is looked up in. */
  object: string;
  name: string;
  sympos: number;
  /** The name the module's code refers to it by (its extern declaration's link name). */
  link: string;
}

export interface KlpFunc {
  oldName: string;
  oldSympos: number;
  /** Address of the replacement (a nop's is the original once resolved). */
  newFunc: number;
  /** Key of the original function (see patch.ts functionKey) once resolved. */
  oldKey?: string;
  /** Address of the original's implementation in the machine, once resolved. */
  oldFunc?: number;
  nop: boolean;
  patched: boolean;
  transition: boolean;
  object: KlpObject;
  /** Address of the struct klp_func in module memory (0 for nops). */
  address: number;
}

export interface KlpCallbacks {
  pre_patch: number;
  post_patch: number;
  pre_unpatch: number;
  post_unpatch: number;
}

export interface KlpObject {
  /** null means vmlinux. */
  name: string | null;
  funcs: KlpFunc[];
  callbacks: KlpCallbacks;
  postUnpatchEnabled: boolean;
  dynamic: boolean;
  patched: boolean;
  /** The target module while it is loaded (always undefined for vmlinux). */
  mod?: SimModule;
  /** The target module was loaded at some point while this patch was active. */
  everLoaded?: boolean;
  /** Address of the struct klp_object in module memory (0 for dynamic objects). */
  address: number;
  patch: KlpPatch;
}

export interface KlpState {
  id: number;
  version: number;
  /** Address of the struct klp_state in module memory (what klp_get_state returns). */
  address: number;
}

export interface KlpPatch {
  /** The livepatch module's name: sysfs directory and message name. */
  name: string;
  module: SimModule;
  address: number;
  objects: KlpObject[];
  states: KlpState[];
  replace: boolean;
  enabled: boolean;
  forced: boolean;
  /** Registered with klp_register_patch() (4.12-5.0): stays after disabling, until unregistered. */
  registered?: boolean;
  /** Patches this (replace) patch will supersede, captured when nops are made. */
}

export function objectDisplayName(object: { name: string | null }): string {
  return object.name ?? 'vmlinux';
}
