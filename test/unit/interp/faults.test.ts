import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import type { CompiledProgram, RunResult } from '../../../server/src/interp';
import { compileFixture, load } from './helpers';

let program: CompiledProgram;
before(async () => {
  program = await compileFixture('faulty', 'faults.c');
});

function faultOf(r: RunResult) {
  assert.equal(r.status, 'faulted', `expected a fault, got ${r.status}`);
  return (r as Extract<RunResult, { status: 'faulted' }>).fault;
}

test('use after free and double free are caught at the faulting line', () => {
  const m = load(program);
  const uaf = faultOf(m.run('use_after_free'));
  assert.equal(uaf.kind, 'use-after-free');
  assert.equal(uaf.function, 'use_after_free');
  assert.equal(uaf.line, 19);
  assert.match(uaf.message, /kmalloc\(16\) block from use_after_free/);
  const df = faultOf(m.run('double_free'));
  assert.equal(df.kind, 'double-free');
  assert.equal(df.line, 27);
  assert.equal(df.stack[0].function, 'double_free');
  assert.equal(faultOf(m.run('free_global')).kind, 'invalid-free');
});

test('NULL dereference reports file, line and stack', () => {
  const m = load(program);
  const f = faultOf(m.run('null_deref', 0));
  assert.equal(f.kind, 'null-dereference');
  assert.equal(f.file, 'faults.c');
  assert.equal(f.line, 43);
  assert.equal(f.module, 'faulty');
  assert.deepEqual(f.stack.map((s) => s.function), ['null_deref']);
  assert.equal(faultOf(m.run('call_null_pointer')).kind, 'null-dereference');
});

test('out-of-bounds accesses of globals and heap blocks fault', () => {
  const m = load(program);
  assert.equal(m.call('out_of_bounds', 3), 0);
  const f = faultOf(m.run('out_of_bounds', 4));
  assert.equal(f.kind, 'out-of-bounds');
  assert.match(f.message, /'table' of faulty/);
  const h = faultOf(m.run('heap_overflow'));
  assert.equal(h.kind, 'out-of-bounds');
  assert.equal(h.line, 57);
});

test('an infinite loop hits the step budget naming the function and line', () => {
  const m = load(program, { budgets: { steps: 100_000 } });
  const f = faultOf(m.run('spin_forever'));
  assert.equal(f.kind, 'step-budget');
  assert.equal(f.function, 'spin_forever');
  assert.ok(f.line >= 65 && f.line <= 66, `line ${f.line}`);
});

test('unbounded recursion hits the call-depth budget', () => {
  const m = load(program, { budgets: { callDepth: 50 } });
  const f = faultOf(m.run('recurse', 0));
  assert.equal(f.kind, 'call-depth');
  assert.equal(f.stack.length, 50);
  assert.ok(f.stack.every((s) => s.function === 'recurse'));
});

test('allocations beyond the memory budget fault', () => {
  const m = load(program, { memoryBytes: 64 * 1024 });
  const f = faultOf(m.run('eat_memory'));
  assert.equal(f.kind, 'memory-budget');
  assert.equal(f.function, 'eat_memory');
});

test('unknown kernel functions and globals fault as not modeled at the use', () => {
  const m = load(program);
  const f = faultOf(m.run('calls_unknown', 1));
  assert.equal(f.kind, 'not-modeled');
  assert.equal(f.message, 'not modeled: some_kernel_helper');
  assert.equal(f.line, 91);
  const g = faultOf(m.run('reads_unknown_global'));
  assert.equal(g.kind, 'not-modeled');
  assert.equal(g.message, 'not modeled: some_kernel_counter');
});

test('division by zero, writes to string literals, dangling stack pointers, BUG_ON', () => {
  const m = load(program);
  assert.equal(faultOf(m.run('divide', 1, 0)).kind, 'division-by-zero');
  assert.equal(m.call('divide', 7, 2), 3);
  assert.equal(faultOf(m.run('write_literal')).kind, 'read-only');
  const dangling = faultOf(m.run('stack_use_after_return'));
  assert.equal(dangling.kind, 'use-after-free');
  assert.match(dangling.message, /stack frame of dangling/);
  assert.equal(m.call('bug_on', 1), 1);
  const bug = faultOf(m.run('bug_on', 2));
  assert.equal(bug.kind, 'bug');
  assert.match(bug.message, /kernel BUG at faults.c:142/);
});

test('a function that cannot be compiled faults when called; the rest still runs', () => {
  const diag = program.diagnostics.find((d) => d.message.startsWith('broken_function'));
  assert.ok(diag, 'diagnostic for broken_function');
  assert.equal(diag.line, 132);
  const m = load(program);
  const f = faultOf(m.run('broken_function'));
  assert.equal(f.kind, 'not-modeled');
  assert.equal(f.line, 132);
  assert.equal(m.call('still_works'), 7);
});
