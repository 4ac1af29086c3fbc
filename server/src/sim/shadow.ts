/**
 * kernel/livepatch/shadow.c (reference 7): the global `<obj, id>` store. Variables outlive the
 * patch that made them unless someone frees them; what is left at the end of a scenario is a
 * finding with its allocation site.
 */
import { CallRequest, type HostReturn } from '../interp/host';
import { hashPointer } from '../interp/kernelApi/format';
import type { SourceLoc } from '../interp/program';
import type { Simulator } from './simulator';

export interface ShadowVariable {
  obj: number;
  id: number;
  data: number;
  size: number;
  /** Where it was allocated, and by which module's code. */
  site: SourceLoc;
  module: string | undefined;
}

export function pointerText(address: number): string {
  return hashPointer(address).toString(16).padStart(16, '0');
}

export class ShadowStore {
  private readonly variables = new Map<string, ShadowVariable>();

  constructor(private readonly sim: Simulator) {}

  private key(obj: number, id: number): string {
    return `${obj}:${id}`;
  }

  get(obj: number, id: number): ShadowVariable | undefined {
    return this.variables.get(this.key(obj, id));
  }

  all(): ShadowVariable[] {
    return [...this.variables.values()];
  }

  /**
   * klp_shadow_alloc / klp_shadow_get_or_alloc. The ctor runs on the caller's task through a
   * CallRequest, as the kernel runs it in the caller's context.
   */
  alloc(obj: number, id: number, size: number, ctor: number, ctorData: number, warnOnExist: boolean, site: SourceLoc, module: string | undefined): HostReturn {
    const sim = this.sim;
    const existing = this.get(obj, id);
    if (existing) {
      if (!warnOnExist) return existing.data;
      sim.warnSplat(`Duplicate shadow variable <${pointerText(obj)}, ${id.toString(16)}>`, 'kernel/livepatch/shadow.c:120', '__klp_shadow_get_or_alloc+0x1a3/0x220');
      sim.events.push({ kind: 'shadow', time: sim.seconds(), action: 'duplicate', id, object: pointerText(obj), source: { file: site.file, line: site.line } });
      return 0;
    }
    const block = sim.machine.memory.alloc(Math.max(1, size), 'heap', `shadow variable <${pointerText(obj)}, ${id.toString(16)}>`, module);
    const variable: ShadowVariable = { obj, id, data: block.base, size, site, module };
    const insert = (): number => {
      this.variables.set(this.key(obj, id), variable);
      sim.events.push({ kind: 'shadow', time: sim.seconds(), action: 'alloc', id, object: pointerText(obj), size, source: { file: site.file, line: site.line } });
      return block.base;
    };
    if (!ctor) return insert();
    return new CallRequest(ctor, [obj, block.base, ctorData], (value) => {
      const ret = Number(value) | 0;
      if (ret !== 0) {
        sim.machine.memory.free(block);
        sim.log.klp(3, `Failed to construct shadow variable <${pointerText(obj)}, ${id.toString(16)}> (${ret})`);
        sim.events.push({ kind: 'shadow', time: sim.seconds(), action: 'ctor-failed', id, object: pointerText(obj), source: { file: site.file, line: site.line } });
        return 0;
      }
      return insert();
    });
  }

  /** klp_shadow_free / klp_shadow_free_all: remove, run the dtor, free the memory. */
  free(matches: (v: ShadowVariable) => boolean, dtor: number): HostReturn {
    const victims = this.all().filter(matches);
    const step = (index: number): HostReturn => {
      if (index >= victims.length) return 0;
      const v = victims[index];
      this.variables.delete(this.key(v.obj, v.id));
      const release = (): HostReturn => {
        const block = this.sim.machine.memory.blockAt(v.data);
        if (block && !block.freed) this.sim.machine.memory.free(block);
        this.sim.events.push({ kind: 'shadow', time: this.sim.seconds(), action: 'free', id: v.id, object: pointerText(v.obj) });
        return step(index + 1);
      };
      return dtor ? new CallRequest(dtor, [v.obj, v.data], release) : release();
    };
    return step(0);
  }
}
