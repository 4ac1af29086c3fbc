/**
 * Kernel API models: host functions for the kernel functions modules call, grouped by family
 * (one file each). To add a function: declare it in kernelHeaders/ and add a
 * `host(name, (machine, task, args, site) => ...)` entry to the family's list. A
 * HostEnvironment.resolve() result takes precedence over these.
 */
import type { HostFunction } from '../host';
import { completionApi } from './completion';
import { kthreadApi } from './kthread';
import { lockApi } from './locks';
import { memoryApi } from './memoryApi';
import { miscApi } from './misc';
import { printkApi } from './printk';
import { seqFileApi } from './seqFile';
import { stringApi } from './strings';
import { timeApi } from './time';
import { workqueueApi } from './workqueue';

const families: HostFunction[][] = [printkApi, memoryApi, stringApi, lockApi, completionApi, timeApi, kthreadApi, workqueueApi, seqFileApi, miscApi];

export function kernelApi(): Map<string, HostFunction> {
  const map = new Map<string, HostFunction>();
  for (const family of families) for (const fn of family) map.set(fn.name, fn);
  return map;
}
