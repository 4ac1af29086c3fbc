/**
 * Micro benchmark of the dispatch loop for the bench script: a counting loop
 * (`for (i = 0; i < n; i++) sum += i;`), reported as simple C statements per second (one
 * statement per iteration: the loop body; the increment and test are not counted).
 */
import { compileProgramSync } from './compiler/compile';
import { Machine } from './machine';

const source = `
unsigned long bench_loop(int n)
{
	unsigned long sum = 0;
	int i;

	for (i = 0; i < n; i++)
		sum += i;
	return sum;
}
`;

/** Requires the C grammar to be loaded (await loadCLanguage() from parser/treeSitter first). */
export function measureInterpreterSpeed(iterations = 2_000_000): { statementsPerSecond: number } {
  const program = compileProgramSync({ moduleName: 'bench', files: { 'bench.c': source } });
  const machine = new Machine({ budgets: { steps: iterations * 10 } });
  const handle = machine.loadProgram(program);
  const task = machine.createTask('bench');
  // Warm up so the closures are optimised before timing.
  handle.callFunction('bench_loop', [100_000], task);
  const start = process.hrtime.bigint();
  const result = handle.callFunction('bench_loop', [iterations], machine.createTask('bench'));
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (result.status !== 'returned') throw new Error(`benchmark did not return: ${result.status}`);
  return { statementsPerSecond: Math.round(iterations / seconds) };
}
