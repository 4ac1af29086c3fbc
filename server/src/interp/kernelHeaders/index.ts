/**
 * # Kernel header model
 *
 * Interpreted modules `#include <linux/...>` headers that are not available here; instead every
 * translation unit starts with this curated prelude: C declarations (struct layouts, typedefs,
 * prototypes of the kernel API) and macros, written as C text so they go through exactly the
 * same preprocessor and compiler as module code.
 *
 * Contents, by entry:
 * - basics: fixed-width types (u8..u64, s8..s64), atomic_t, compiler annotations (expand to
 *   nothing), likely/unlikely, READ_ONCE/WRITE_ONCE, container_of, offsetof, ARRAY_SIZE,
 *   min/max/min_t/max_t/clamp, BIT/GENMASK, limits, ERR_PTR/IS_ERR/PTR_ERR, errno values.
 * - lists: struct list_head/hlist and the list.h inline functions and iterators.
 * - sched: HZ (from CONFIG_HZ, default 250), jiffies, sleeping, task_struct (state, flags,
 *   pid, comm, ...), `current`, kthreads, workqueues (work_struct, delayed_work), completions,
 *   mutex/spinlock (owner-tracking models), atomics, RCU (no-ops).
 * - memoryAndStrings: GFP flags, kmalloc family, vmalloc, string.h, kstrto*, printf family,
 *   struct seq_file.
 * - module: struct module { state, list, name[56], ... }, MODULE_STATE_*, THIS_MODULE,
 *   module_init/exit, module_param family, MODULE_* info, EXPORT_SYMBOL.
 * - printk: KERN_* levels ("\001" + digit, as the kernel), pr_* helpers, pr_*_once (one static
 *   flag per call site), WARN*, BUG*.
 * - livepatch: struct klp_func/klp_callbacks/klp_object/klp_state/klp_patch, klp-build's
 *   klp_func_ext/klp_object_ext descriptors, and the livepatch API prototypes (implemented by
 *   the simulator).
 *
 * Functions declared here without a body are host functions: kernelApi/ implements them, a
 * HostEnvironment may add or override any of them, and a call to one nobody implements faults
 * as "not modeled: <name>" at the call site.
 *
 * ## Extending
 * Add declarations or macros to the entry that stands for the right header (or add a new
 * `HeaderModel` file and list it in `headerModels` below, after the entries it depends on).
 * Keep struct layouts in kernel field order: the simulator reads them with
 * `Machine.readStruct(address, 'klp_patch')`. If the new declaration is a function, implement it
 * in kernelApi/ (see kernelApi/index.ts) unless it is `static inline` C code here.
 */
import type { ConfigurationFacts } from '../../preprocess/conditionals';
import { basics } from './basics';
import { listsHeader } from './lists';
import { livepatchHeader } from './livepatch';
import { memoryAndStringsHeader } from './memoryAndStrings';
import type { HeaderConfig, HeaderModel } from './model';
import { moduleHeader } from './module';
import { printk } from './printk';
import { schedHeader } from './sched';

export type { HeaderConfig, HeaderModel } from './model';
export { errnoTable } from './basics';

/** In dependency order. */
export const headerModels: HeaderModel[] = [basics, listsHeader, schedHeader, memoryAndStringsHeader, moduleHeader, printk, livepatchHeader];

export const preludeFileName = '<kernel-headers>';

export function headerConfig(config: ConfigurationFacts | undefined): HeaderConfig {
  const hz = Number(config?.config.get('CONFIG_HZ') ?? 250);
  return { hz: Number.isFinite(hz) && hz > 0 ? hz : 250 };
}

const cache = new Map<number, string>();

/** The prelude text for a configuration. */
export function preludeText(config: HeaderConfig): string {
  let text = cache.get(config.hz);
  if (text === undefined) {
    text = headerModels.map((h) => `/* ${h.name} */\n${h.text(config)}`).join('\n');
    cache.set(config.hz, text);
  }
  return text;
}
