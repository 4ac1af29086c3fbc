/**
 * A simple Scheduler for tests and tools: one CPU, virtual time in jiffies, FIFO order.
 * Tasks run until they block; time jumps to the next timer when nothing can run. Work items
 * run one at a time on a single worker task ("kworker/0:1"). runFor()/runUntilIdle() drive it.
 */
import type { Fault } from '../fault';
import type { Scheduler, WakeReason } from '../host';
import { startWork } from '../kernelApi/workqueue';
import type { Machine, RunResult } from '../machine';
import type { Task } from '../task';
import type { Val } from '../values';

interface PendingWork {
  fn: number;
  due: number;
  seq: number;
}

export class ReferenceScheduler implements Scheduler {
  time = 0;
  machine!: Machine;
  /** Faults of tasks run by the scheduler, in order. */
  readonly faults: { task: Task; fault: Fault }[] = [];
  /** Outcomes of every run the scheduler made (for tests). */
  readonly log: { time: number; task: string; status: RunResult['status'] }[] = [];
  private readonly starts = new Map<Task, { entry: number; arg: Val; woken: boolean }>();
  private readonly woken = new Map<Task, WakeReason>();
  private readonly works = new Map<number, PendingWork>();
  private running: number | undefined;
  private worker: Task | undefined;
  private seq = 0;

  attach(machine: Machine): this {
    this.machine = machine;
    machine.env.scheduler = this;
    return this;
  }

  now(): number {
    return this.time;
  }

  createThread(entry: number, arg: Val, name: string): Task {
    const t = this.machine.createTask(name, 'kthread');
    this.starts.set(t, { entry, arg, woken: false });
    return t;
  }

  wakeUp(task: Task): boolean {
    const start = this.starts.get(task);
    if (start) {
      if (start.woken) return false;
      start.woken = true;
      return true;
    }
    if (task.state !== 'blocked' || this.woken.has(task)) return false;
    this.woken.set(task, 'woken');
    return true;
  }

  wake(channel: string, count = Infinity): void {
    let n = 0;
    for (const t of this.machine.tasks) {
      if (n >= count) break;
      if (t.state === 'blocked' && t.blocked?.reason.channel === channel && !this.woken.has(t)) {
        this.woken.set(t, 'woken');
        n++;
      }
    }
  }

  queueWork(work: number, fn: number, delayTicks: number): boolean {
    if (this.works.has(work)) return false;
    this.works.set(work, { fn, due: this.time + delayTicks, seq: this.seq++ });
    return true;
  }
  modifyWork(work: number, fn: number, delayTicks: number): boolean {
    const pending = this.works.has(work);
    this.works.set(work, { fn, due: this.time + delayTicks, seq: this.seq++ });
    return pending;
  }
  cancelWork(work: number): boolean {
    return this.works.delete(work);
  }
  workRunning(work: number): boolean {
    return this.running === work;
  }
  workPending(work: number): boolean {
    return this.works.has(work);
  }
  anyWork(): boolean {
    return this.works.size > 0 || this.running !== undefined;
  }

  /** Runs until nothing is left to do or `ticks` of virtual time have passed. */
  runFor(ticks: number): void {
    const end = this.time + ticks;
    for (let rounds = 0; rounds < 1_000_000; rounds++) {
      this.runReady();
      const next = this.nextEvent();
      if (next === undefined) return;
      if (next > end) {
        this.time = end;
        return;
      }
      this.time = Math.max(next, this.time + (next <= this.time ? 1 : 0));
      if (this.time > end) {
        this.time = end;
        return;
      }
    }
  }

  runUntilIdle(maxTicks = 1_000_000): void {
    this.runFor(maxTicks);
  }

  /** Earliest time something becomes runnable. */
  private nextEvent(): number | undefined {
    let next: number | undefined;
    const consider = (t: number) => {
      next = next === undefined ? t : Math.min(next, t);
    };
    for (const t of this.machine.tasks) {
      if (t.state !== 'blocked' || !t.blocked) continue;
      if (this.woken.has(t)) consider(this.time);
      else if (t.blocked.reason.until !== undefined) consider(t.blocked.reason.until);
    }
    if (this.running === undefined) for (const w of this.works.values()) consider(w.due);
    return next;
  }

  /** Runs every task that can run at the current time, each at most once per pass. */
  private runReady(): void {
    const ran = new Set<Task>();
    for (;;) {
      const pick = this.pickReady(ran);
      if (!pick) return;
      ran.add(pick.task);
      this.record(pick.task, pick.run());
    }
  }

  private pickReady(ran: Set<Task>): { task: Task; run: () => RunResult } | undefined {
    for (const [task, start] of this.starts) {
      if (!start.woken || ran.has(task)) continue;
      this.starts.delete(task);
      if (task.state !== 'idle') continue; // stopped before it ran
      return { task, run: () => this.machine.callFunction(start.entry, [start.arg], task) };
    }
    for (const task of this.machine.tasks) {
      if (task.state !== 'blocked' || ran.has(task) || !task.blocked) continue;
      const reason = this.woken.get(task);
      const until = task.blocked.reason.until;
      if (reason !== undefined || (until !== undefined && until <= this.time)) {
        this.woken.delete(task);
        return { task, run: () => this.machine.resume(task, reason ?? 'timeout') };
      }
    }
    if (this.running === undefined) {
      let best: [number, PendingWork] | undefined;
      for (const entry of this.works) if (entry[1].due <= this.time && (!best || entry[1].seq < best[1].seq)) best = entry;
      if (best) {
        const [work] = best;
        this.works.delete(work);
        const worker = this.workerTask();
        if (ran.has(worker)) return undefined;
        this.running = work;
        const fn = startWork(this.machine, work);
        return { task: worker, run: () => this.machine.callFunction(fn, [work], worker) };
      }
    }
    return undefined;
  }

  private workerTask(): Task {
    if (!this.worker || this.worker.state === 'faulted') this.worker = this.machine.createTask('kworker/0:1', 'worker');
    return this.worker;
  }

  private record(task: Task, result: RunResult): void {
    this.log.push({ time: this.time, task: task.name, status: result.status });
    if (result.status === 'blocked') return;
    if (result.status === 'faulted') this.faults.push({ task, fault: result.fault });
    if (task === this.worker && this.running !== undefined) {
      const work = this.running;
      this.running = undefined;
      // The worker is reusable once its work function finished.
      task.state = 'idle';
      this.wake(`work-done:${work}`);
      if (!this.anyWork()) this.wake('workqueue-idle');
      return;
    }
    this.wake(`task-exit:${task.id}`);
  }
}
