/**
 * The `tasks` section of the kernel model (the machine's background tasks the livepatch
 * transition checks): accepted with every field the simulator reads, refused with a JSON path
 * for values the simulator could not use.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { kernelModelFromJson } from '../../../server/src/kernel/load';

const small = JSON.parse(readFileSync(join(__dirname, '../../fixtures/kernel/model-small.json'), 'utf8')) as Record<string, unknown>;

function withTasks(tasks: unknown): ReturnType<typeof kernelModelFromJson> {
  return kernelModelFromJson({ ...small, tasks }, 'test');
}

describe('model tasks', () => {
  test('a task list with running, offline, unreliable and module frames is accepted and kept', () => {
    const tasks = [
      { pid: 0, comm: 'swapper/1', kind: 'idle', offline: true, stack: [] },
      { pid: 93, comm: 'kswapd0', kind: 'kthread', interruptible: true, stack: ['kswapd', 'kthread', 'ret_from_fork'] },
      { pid: 845, comm: 'stress-ng', kind: 'user', state: 'R', running: true, stack: [] },
      { pid: 870, comm: 'backupd', kind: 'user', reliableStack: false, stack: ['worker_fn [klp_worker]', 'pipe_read'] },
    ];
    const result = withTasks(tasks);
    assert.deepEqual(result.errors, []);
    assert.deepEqual(result.model?.raw.tasks, tasks);
  });

  test('an unknown kind, an empty comm and a missing stack are refused at their paths', () => {
    const result = withTasks([
      { pid: 5, comm: 'daemon', kind: 'process', stack: [] },
      { pid: 6, comm: '', kind: 'user', stack: [] },
      { pid: 7, comm: 'nostack', kind: 'user' },
    ]);
    const paths = result.errors.map((e) => e.jsonPath);
    assert.ok(paths.includes('/tasks/0/kind'), paths.join(', '));
    assert.ok(paths.includes('/tasks/1/comm'), paths.join(', '));
    assert.ok(paths.some((p) => p === '/tasks/2' || p === '/tasks/2/stack'), paths.join(', '));
    assert.equal(result.model, undefined);
  });

  test('a misspelled task field and a malformed module frame are errors, not silently ignored', () => {
    const result = withTasks([{ pid: 9, comm: 'x', kind: 'user', stack: ['f [bad module]'], runing: true }]);
    const paths = result.errors.map((e) => e.jsonPath);
    assert.ok(paths.includes('/tasks/0/stack/0'), paths.join(', '));
    assert.ok(result.errors.some((e) => /runing/.test(e.message) || e.jsonPath.endsWith('runing')), JSON.stringify(result.errors));
  });

  test('tasks must be a list', () => {
    const result = withTasks({ systemd: { pid: 1 } });
    assert.deepEqual(result.errors.map((e) => e.jsonPath), ['/tasks']);
  });
});
