/**
 * Kernel-side data of a machine: jiffies, the system workqueues, task_structs, seq_file
 * buffers, taint flags, and the struct layouts of the kernel header model (compiled once per
 * process from the prelude).
 */
import { compileProgramSync } from '../compiler/compile';
import type { Machine } from '../machine';
import type { CompiledProgram } from '../program';
import { Bool, Char, Int, Long, LLong, Short, SChar, UChar, UInt, ULong, ULLong, UShort, type CType, type StructType } from '../types';

let headerProgram: CompiledProgram | undefined;

/** The kernel header model compiled on its own (needs the C grammar loaded). */
export function kernelHeaderProgram(): CompiledProgram {
  headerProgram ??= compileProgramSync({ moduleName: 'kernel', files: { '<kernel>.c': '' } });
  return headerProgram;
}

const scalarTypes: Record<string, CType> = {
  char: Char, 'signed char': SChar, 'unsigned char': UChar, short: Short, 'unsigned short': UShort, int: Int,
  'unsigned int': UInt, unsigned: UInt, long: Long, 'unsigned long': ULong, 'long long': LLong,
  'unsigned long long': ULLong, bool: Bool, _Bool: Bool, size_t: ULong, ssize_t: Long, u8: UChar, s8: SChar,
  u16: UShort, s16: Short, u32: UInt, s32: Int, u64: ULLong, s64: LLong, pid_t: Int, gfp_t: UInt,
};

const workqueues = ['system_wq', 'system_highpri_wq', 'system_long_wq', 'system_unbound_wq', 'system_freezable_wq', 'system_power_efficient_wq'];

export class KernelData {
  readonly taints = new Set<string>();
  /** Text written to each seq_file, by its address. */
  readonly seqText = new Map<number, string>();
  /** charp parameter strings allocated by parameter writes (freed when replaced). */
  readonly paramStrings = new Set<number>();
  hz = 250;
  private readonly symbols = new Map<string, number>();
  private jiffiesCell = 0;

  constructor(private readonly machine: Machine) {}

  types(): Map<string, StructType> {
    return kernelHeaderProgram().types;
  }
  typedefs(): Map<string, CType> {
    return kernelHeaderProgram().typedefs;
  }
  scalarTypes(): Record<string, CType> {
    return scalarTypes;
  }

  /** Address of a kernel data symbol modelled here (jiffies, system workqueues). */
  address(name: string): number | undefined {
    const known = this.symbols.get(name);
    if (known !== undefined) return known;
    if (name === 'jiffies' || name === 'jiffies_64') {
      if (this.jiffiesCell === 0) {
        this.jiffiesCell = this.machine.allocKernel(8, 'jiffies');
        this.refreshJiffies();
      }
      this.symbols.set(name, this.jiffiesCell);
      return this.jiffiesCell;
    }
    if (workqueues.includes(name)) {
      const wq = this.machine.allocKernel(64, `workqueue ${name}`);
      const cell = this.machine.allocKernel(8, name);
      this.machine.memory.w64(cell, wq);
      this.symbols.set(`${name}:object`, wq);
      this.symbols.set(name, cell);
      return cell;
    }
    return undefined;
  }

  /** Writes Scheduler.now() into jiffies (before each run; time does not move during one). */
  refreshJiffies(): void {
    if (this.jiffiesCell === 0) return;
    const now = this.machine.env.scheduler?.now() ?? 0;
    this.machine.memory.w64(this.jiffiesCell, now);
  }

  /** A zeroed struct task_struct with comm, pid and flags set. */
  newTaskStruct(name: string, pid: number, kind: string): number {
    const type = this.types().get('task_struct');
    const size = type?.size ?? 128;
    const address = this.machine.allocKernel(size, `task_struct of ${name}`);
    if (type) {
      const m = this.machine.memory;
      const comm = type.field('comm');
      if (comm) m.writeBytes(address + comm.offset, Buffer.from(name.slice(0, 15), 'latin1'));
      const pidField = type.field('pid');
      if (pidField) m.w32(address + pidField.offset, pid);
      const tgid = type.field('tgid');
      if (tgid) m.w32(address + tgid.offset, pid);
      const flags = type.field('flags');
      if (flags && kind !== 'user') m.w32(address + flags.offset, 0x00200000);
      const patchState = type.field('patch_state');
      if (patchState) m.w32(address + patchState.offset, -1);
    }
    return address;
  }

  /** A seq_file the simulator passes to a show() function; read the text with seqFileText. */
  createSeqFile(): number {
    const type = this.types().get('seq_file');
    const address = this.machine.allocKernel(type?.size ?? 32, 'seq_file');
    this.seqText.set(address, '');
    return address;
  }
  seqFileText(address: number): string {
    return this.seqText.get(address) ?? '';
  }
}
