/**
 * current, kthreads and waking: thread creation and waking are requests to the Scheduler,
 * which owns the run queue. kthread_stop() blocks the caller on `task-exit:<id>` until the
 * thread function returns (the scheduler wakes that channel when a task exits).
 */
import { fault } from '../fault';
import type { HostFunction, HostReturn } from '../host';
import type { Machine } from '../machine';
import type { Task } from '../task';
import { formatKernel } from './format';
import { EINTR, block, formatContext, host, num, scheduler } from './support';

function taskAt(m: Machine, address: number, what: string): Task {
  const t = m.taskByAddress(address);
  if (!t) fault(address === 0 ? 'null-dereference' : 'bad-pointer', `${what}: not a task_struct (${address})`);
  return t;
}

export const kthreadApi: HostFunction[] = [
  host('get_current', (_m, t) => t.address),
  host('kthread_create', (m, t, a) => {
    const name = formatKernel(formatContext(m), m.memory.cstring(num(a[2])), a, 3).slice(0, 15);
    const thread = scheduler(m, 'kthread_create').createThread(num(a[0]), a[1], name, t);
    return thread.address;
  }),
  host('wake_up_process', (m, _t, a) => (scheduler(m, 'wake_up_process').wakeUp(taskAt(m, num(a[0]), 'wake_up_process')) ? 1 : 0)),
  host('kthread_should_stop', (_m, t) => (t.shouldStop ? 1 : 0)),
  host('kthread_should_park', () => 0),
  host('kthread_stop', (m, t, a, site): HostReturn => {
    const thread = taskAt(m, num(a[0]), 'kthread_stop');
    const s = scheduler(m, 'kthread_stop');
    thread.shouldStop = true;
    if (thread.state === 'idle' && thread.frames.length === 0) {
      // Not started yet: kthread() sees the stop flag and never calls the thread function.
      thread.state = 'exited';
      thread.exitValue = -EINTR;
      return -EINTR;
    }
    const result = (): HostReturn => {
      if (thread.state === 'exited' || thread.state === 'faulted') return Number(thread.exitValue ?? 0) | 0;
      return block(m, t, site, { channel: `task-exit:${thread.id}`, what: `kthread_stop(${thread.name})` }, result);
    };
    s.wakeUp(thread);
    return result();
  }),
  host('task_pid_nr', (m, _t, a) => {
    const type = m.kernel.types().get('task_struct');
    const fld = type?.field('pid');
    return fld ? m.memory.s32(num(a[0]) + fld.offset) : 0;
  }),
  host('signal_pending', () => 0),
  host('fatal_signal_pending', () => 0),
  host('in_interrupt', () => 0),
  host('in_atomic', (_m, t) => (t.atomicDepth > 0 ? 1 : 0)),
  host('in_task', () => 1),
  host('smp_processor_id', () => 0),
  host('raw_smp_processor_id', () => 0),
  host('set_user_nice', () => 0),
  host('kthread_bind', () => 0),
];
