/**
 * # The C interpreter for kernel modules
 *
 * Runs the modules' own C code (init/exit, livepatch callbacks, patched functions, kthreads,
 * work items) against a modelled kernel, sandboxed and bounded.
 *
 * ## Compile
 * `compileProgram({ moduleName, files, mainFiles?, config? }): Promise<CompiledProgram>`
 * (`compileProgramSync` once `loadCLanguage()` has resolved). Each .c file is a translation
 * unit: kernel header prelude (kernelHeaders/) + the file + its `#include "local.h"` headers,
 * preprocessed against `config` (CONFIG_*, LINUX_VERSION_CODE, CONFIG_HZ → HZ), parsed with
 * tree-sitter, compiled to per-function instruction arrays whose expressions are closures.
 * `program.diagnostics` lists problems with file/line/column; a function that cannot be
 * compiled still exists and faults ('compile-error' or 'not-modeled') when called.
 *
 * ## Machine
 * `new Machine({ env?, memoryBytes?, budgets?: { steps, callDepth }, hz? })` — one address
 * space shared by all loaded programs.
 * - `loadProgram(program, { moduleName? }): ProgramHandle` → `functionAddress(name)`,
 *   `globalAddress(name)` (static locals as "fn.var"), `callFunction(nameOrAddress, args, task)`,
 *   `initFunction`/`exitFunction` (module_init/exit), `thisModule` (struct module address),
 *   `params` / `getParam(name)` / `setParam(name, text)` (sysfs semantics, returns 0/-errno),
 *   `modinfo`, `exports`.
 * - `unloadProgram(handle)`: frees its memory; later accesses fault 'use-after-free', calls
 *   into it fault likewise.
 * - `createTask(name, kind?, pid?): Task` (with a struct task_struct: comm, pid).
 * - `callFunction(addressOrName, args, task, budgets?): RunResult` and
 *   `resume(task, wake?, budgets?): RunResult` where RunResult is `returned` (value),
 *   `blocked` (BlockRequest: until / channel / what) or `faulted` (Fault).
 * - `stackOf(task)` / `task.stack()`: frames innermost first {function, module, file, line,
 *   column, address, host}; works while the task is blocked.
 * - `hook(address)` / `unhook(address)`: calls of hooked functions (direct, through pointers,
 *   from other modules or from the host) ask `env.redirect(callee, task)` which implementation
 *   this task reaches — the livepatch ftrace handler.
 * - Memory: `readCString`, `readPointer`, `readInt(addr, 'unsigned long')`,
 *   `writeInt`, `readStruct(addr, 'klp_patch')` (fields by name: numbers/bigints, char arrays
 *   as strings, nested structs as objects), `writeField(addr, tag, 'a.b', v)`,
 *   `fieldAddress(addr, tag, path)`, `structType(tag)`, `allocKernel(size, label)`,
 *   `memory` (raw checked access).
 * - `functionAt(address)`, `functionAddress(name, module?)`, `events` (printk, warnings, lock
 *   misuse, sleep-in-atomic), `kernel` (jiffies, taints, seq_file buffers via
 *   `kernel.createSeqFile()` / `kernel.seqFileText(addr)`).
 *
 * ## Host interface (host.ts)
 * `HostEnvironment { resolve?(name, fromModule), global?(name, fromModule), redirect?(callee,
 * task), event?(event), scheduler? }`. Names no loaded program exports resolve through
 * `resolve`/`global` first, then the built-in kernel API models (kernelApi/); anything else
 * faults "not modeled: <name>" at the use. A HostFunction `call(machine, task, args, site)`
 * returns a value, a `BlockRequest` (suspend the task; `onResume(wake)` yields the result) or
 * a `CallRequest` (call a C function first; `then(value)` continues) — so host code can call
 * module callbacks without JS recursion. `Scheduler` receives thread, wake and workqueue
 * requests; `ReferenceScheduler` (testing/) is a simple virtual-time implementation.
 *
 * ## Values and limits
 * Integers are JS numbers while safe, bigints beyond 2^53 (values.ts); pointers are numbers.
 * Budgets: `steps` per callFunction/resume run (≈ statements), `callDepth` per task, and
 * `memoryBytes` of live kmalloc/vmalloc memory; exceeding one faults. Faults carry kind,
 * message, function, module, file, line, column and the stack. Not supported: floating
 * point, va_list, inline assembly, _Generic, bit-fields wider than 32 bits, variable-length
 * arrays, packed/aligned attributes (ignored). Arrays inside structs are not bounded on
 * their own (only whole allocations are).
 */
export { compileProgram, compileProgramSync, defaultConfig, type CompileOptions } from './compiler/compile';
export { Machine, type Budgets, type MachineOptions, type RunResult } from './machine';
export { ProgramHandle, type LoadOptions, type ModuleParam } from './loader';
export { Task, type TaskState } from './task';
export { BlockRequest, CallRequest } from './host';
export type {
  BlockReason, FunctionIdentity, HostEnvironment, HostFunction, HostReturn, MachineEvent, Scheduler, WakeReason,
} from './host';
export type { Fault, FaultKind, StackFrame } from './fault';
export { fault, FaultSignal } from './fault';
export type { CompiledProgram, SourceLoc } from './program';
export type { Diagnostic } from './compiler/preprocessor';
export type { Val } from './values';
export { ReferenceScheduler } from './testing/referenceScheduler';
export { measureInterpreterSpeed } from './benchmark';
export { hashPointer } from './kernelApi/format';
export { startWork } from './kernelApi/workqueue';
