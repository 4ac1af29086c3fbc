/** Compiles interp fixtures and runs their functions on a fresh machine. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileProgram, Machine, ReferenceScheduler, type CompiledProgram, type MachineOptions, type ProgramHandle, type RunResult } from '../../../server/src/interp';
import type { Val } from '../../../server/src/interp/values';

export const interpFixtures = join(__dirname, '..', '..', 'fixtures', 'interp');

export function fixtureText(name: string): string {
  return readFileSync(join(interpFixtures, name), 'utf8');
}

/** Compiles fixture files (paths relative to the fixture folder) as one module. */
export async function compileFixture(moduleName: string, ...names: string[]): Promise<CompiledProgram> {
  const files: Record<string, string> = {};
  for (const n of names) files[n] = fixtureText(n);
  return compileProgram({ moduleName, files, mainFiles: names.filter((n) => n.endsWith('.c')) });
}

export async function compileSource(moduleName: string, source: string): Promise<CompiledProgram> {
  return compileProgram({ moduleName, files: { [`${moduleName}.c`]: source } });
}

export function noErrors(program: CompiledProgram): void {
  const errors = program.diagnostics.filter((d) => d.severity === 'error');
  assert.deepEqual(errors, [], 'compile errors');
}

export interface Loaded {
  machine: Machine;
  handle: ProgramHandle;
  scheduler: ReferenceScheduler;
  /** Calls a function on a fresh task and expects it to return. */
  call(name: string, ...args: Val[]): Val;
  run(name: string, ...args: Val[]): RunResult;
}

export function load(program: CompiledProgram, options: MachineOptions = {}): Loaded {
  const machine = new Machine(options);
  const scheduler = new ReferenceScheduler().attach(machine);
  const handle = machine.loadProgram(program);
  let n = 0;
  const run = (name: string, ...args: Val[]) => handle.callFunction(name, args, machine.createTask(`t${n++}`));
  return {
    machine, handle, scheduler, run,
    call(name, ...args) {
      const r = run(name, ...args);
      if (r.status !== 'returned') assert.fail(`${name}: ${r.status === 'faulted' ? `${r.fault.kind}: ${r.fault.message} at ${r.fault.line}` : r.status}`);
      return r.value;
    },
  };
}

export function printkLines(machine: Machine): string[] {
  return machine.events.filter((e) => e.kind === 'printk').map((e) => (e as { text: string }).text);
}
