/**
 * A small pool of worker threads that read the facts of files that are not open (the CLI's
 * batch, the server's background pass of the workspace), so that parsing a workspace uses every
 * core and leaves the main thread free to assemble, check and answer requests. Workers load
 * tree-sitter once and read files exactly as the main thread would (factsWorker.ts).
 *
 * Failure is contained: a worker that dies (a crash, the task time limit) is replaced and its
 * files are tried again, once; a file that kills two workers is reported unparsable. When no
 * worker can start at all, every request rejects with PoolUnavailableError and the caller reads
 * the files itself. Idle workers are stopped after a while and started again on demand.
 */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { emptyFacts } from '../model/fileFacts';
import type { LayoutFacts } from '../layouts/workspace';
import type { ParsedFacts } from '../parser/sourceFile';
import { compiledWasm } from '../parser/treeSitter';
import { decodeFacts } from './factsCodec';
import type { FactsReply, FactsRequest } from './factsWorker';

/** No worker can run (none started, or the pool was terminated): read the file in this thread. */
export class PoolUnavailableError extends Error {}

/** A worker could not extract this file (it threw): read it in this thread. */
export class ExtractionFailedError extends Error {}

export interface FactsWorkerPoolOptions {
  /** Number of workers (default: the available parallelism, at most 4). */
  size?: number;
  /** Where worker messages and failures are reported. */
  log?: (message: string) => void;
  /** Workers stop after this long without work (default 10 s). */
  idleMs?: number;
  /** A file a worker spends longer on is given up on and the worker replaced (default 60 s). */
  taskTimeoutMs?: number;
}

/** A file's facts as a worker read them, with its layout facts when it has any. */
export interface PooledFacts extends ParsedFacts {
  layout?: LayoutFacts;
}

interface Task {
  id: number;
  path: string;
  text: string;
  /** Workers this file was running in when they died. */
  crashes: number;
  resolve(result: PooledFacts): void;
  reject(error: Error): void;
  settled: boolean;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  dead: boolean;
  /** Sent to the worker, oldest (the one running) first. */
  inFlight: Task[];
  timer: NodeJS.Timeout | undefined;
}

/**
 * Files sent ahead to each worker, so it never waits for the main thread between two files: small
 * files (a distribution tree's are a few KiB, parsed in well under a millisecond) need several
 * queued, or the worker idles while this thread is busy elsewhere. Capped in bytes too, so a crash
 * or a timeout sends back little work, and big files do not pile up in one worker's queue.
 */
const maxInFlightPerWorker = 8;
const maxInFlightBytesPerWorker = 128 * 1024;

export function defaultPoolSize(): number {
  return Math.max(1, Math.min(4, availableParallelism()));
}

/**
 * The worker: the bundled dist/factsWorker.js, or the TypeScript entry through tsx when running
 * from sources. It gets the parser's compiled wasm modules, whose code threads share.
 */
function spawnWorker(): Worker {
  const options = { stdout: true, stderr: true, workerData: { wasm: compiledWasm() } } as const;
  if (__filename.endsWith('.ts')) {
    // Only from sources (tests): a bundle never takes this branch, so tsx stays out of it.
    const tsxRegister = 'tsx/cjs';
    const tsx = require.resolve(tsxRegister);
    const entry = join(__dirname, 'factsWorker.ts');
    return new Worker(`require(${JSON.stringify(tsx)}); require(${JSON.stringify(entry)});`, { ...options, eval: true });
  }
  return new Worker(join(__dirname, 'factsWorker.js'), options);
}

export class FactsWorkerPool {
  readonly size: number;
  private readonly slots: Slot[] = [];
  private readonly queue: Task[] = [];
  private nextId = 1;
  /** Workers that failed to load or died; past a limit no more are started. */
  private failures = 0;
  private everReady = false;
  private terminated = false;
  private idleTimer: NodeJS.Timeout | undefined;
  private readonly log: (message: string) => void;
  private readonly idleMs: number;
  private readonly taskTimeoutMs: number;
  /** Test hook: how workers are made. */
  spawn: () => Worker = spawnWorker;

  constructor(options: FactsWorkerPoolOptions = {}) {
    this.size = Math.max(1, options.size ?? defaultPoolSize());
    this.log = options.log ?? (() => {});
    this.idleMs = options.idleMs ?? 10_000;
    this.taskTimeoutMs = options.taskTimeoutMs ?? 60_000;
  }

  /** Whether requests can still be served (false once no worker could start, or after terminate). */
  get available(): boolean {
    return !this.terminated && !this.givenUp();
  }

  /** Whether workers are running (started by an earlier batch and not stopped for idleness). */
  get warm(): boolean {
    return this.slots.some((s) => s.ready && !s.dead);
  }

  /** Workers currently running (started or starting). */
  get workerCount(): number {
    return this.slots.length;
  }

  /**
   * The facts of one file. Rejects with PoolUnavailableError (no worker can run), with
   * ExtractionFailedError (extraction threw in the worker) or, once `signal` aborts, with its
   * reason; the caller reads the file itself in the first two cases.
   */
  extract(path: string, text: string, signal?: AbortSignal): Promise<PooledFacts> {
    if (!this.available) return Promise.reject(new PoolUnavailableError('the facts worker pool is not available'));
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    return new Promise<PooledFacts>((resolve, reject) => {
      const task: Task = { id: this.nextId++, path, text, crashes: 0, resolve, reject, settled: false };
      if (signal) {
        const onAbort = () => {
          const queued = this.queue.indexOf(task);
          if (queued >= 0) this.queue.splice(queued, 1);
          // A file already sent runs to its end; its result is dropped.
          this.settle(task, undefined, abortReason(signal));
        };
        signal.addEventListener('abort', onAbort, { once: true });
        const settle = task.resolve;
        const fail = task.reject;
        task.resolve = (result) => {
          signal.removeEventListener('abort', onAbort);
          settle(result);
        };
        task.reject = (error) => {
          signal.removeEventListener('abort', onAbort);
          fail(error);
        };
      }
      this.queue.push(task);
      this.clearIdle();
      this.grow();
      this.dispatch();
    });
  }

  /** Stops every worker; pending requests reject with PoolUnavailableError. */
  async terminate(): Promise<void> {
    if (this.terminated) return;
    this.terminated = true;
    this.clearIdle();
    const error = new PoolUnavailableError('the facts worker pool was terminated');
    for (const task of this.queue.splice(0)) this.settle(task, undefined, error);
    const slots = this.slots.splice(0);
    for (const slot of slots) {
      slot.dead = true;
      clearTimeout(slot.timer);
      for (const task of slot.inFlight.splice(0)) this.settle(task, undefined, error);
    }
    await Promise.all(slots.map((slot) => slot.worker.terminate().catch(() => undefined)));
  }

  private settle(task: Task, result: PooledFacts | undefined, error?: Error): void {
    if (task.settled) return;
    task.settled = true;
    // The text is not needed any more: do not keep it alive through the task.
    task.text = '';
    if (error) task.reject(error);
    else task.resolve(result!);
  }

  /** New workers may start until too many failed (fewer when none ever loaded). */
  private canStart(): boolean {
    return this.failures < (this.everReady ? this.size * 4 : this.size);
  }

  /** No worker runs and none may start: requests cannot be served. */
  private givenUp(): boolean {
    return !this.canStart() && this.slots.length === 0;
  }

  private grow(): void {
    while (!this.terminated && this.canStart() && this.slots.length < this.size && this.slots.length < this.queue.length + this.busyCount()) {
      this.start();
    }
  }

  private busyCount(): number {
    return this.slots.reduce((n, s) => n + s.inFlight.length, 0);
  }

  private start(): void {
    let worker: Worker;
    try {
      worker = this.spawn();
    } catch (error) {
      this.failures++;
      this.log(`facts worker could not start: ${(error as Error).message}`);
      this.failQueueIfGivenUp();
      return;
    }
    const slot: Slot = { worker, ready: false, dead: false, inFlight: [], timer: undefined };
    this.slots.push(slot);
    const forward = (stream: NodeJS.ReadableStream | null) => stream?.on('data', (chunk) => this.log(`facts worker: ${String(chunk).trimEnd()}`));
    forward(worker.stdout);
    forward(worker.stderr);
    worker.on('message', (message: FactsReply) => this.onMessage(slot, message));
    worker.on('error', (error) => this.onDeath(slot, `facts worker failed: ${error.stack ?? error.message}`));
    worker.on('exit', (code) => this.onDeath(slot, `facts worker exited (code ${code})`));
  }

  private onMessage(slot: Slot, message: FactsReply): void {
    if (slot.dead) return;
    switch (message.kind) {
      case 'ready':
        slot.ready = true;
        this.everReady = true;
        this.dispatch();
        return;
      case 'fatal':
        this.log(`facts worker could not load the parser: ${message.message}`);
        void slot.worker.terminate();
        this.onDeath(slot, undefined);
        return;
      case 'log':
        this.log(message.message);
        return;
      case 'facts':
      case 'failed': {
        const index = slot.inFlight.findIndex((t) => t.id === message.id);
        if (index < 0) return;
        const [task] = slot.inFlight.splice(index, 1);
        this.armTimer(slot);
        if (message.kind === 'facts') {
          const result: PooledFacts = { facts: decodeFacts(message.encoded), unparsable: message.unparsable };
          if (message.layout) result.layout = message.layout;
          this.settle(task, result);
        } else {
          this.log(`facts of ${task.path} failed in a worker: ${message.message}`);
          this.settle(task, undefined, new ExtractionFailedError(message.message));
        }
        this.dispatch();
        return;
      }
    }
  }

  private onDeath(slot: Slot, reason: string | undefined): void {
    if (slot.dead) return;
    slot.dead = true;
    clearTimeout(slot.timer);
    const index = this.slots.indexOf(slot);
    if (index >= 0) this.slots.splice(index, 1);
    if (this.terminated) return;
    this.failures++;
    if (reason) this.log(reason);
    // The oldest file was running when the worker died; the others were only waiting behind it.
    const [running, ...waiting] = slot.inFlight.splice(0);
    if (running) {
      running.crashes++;
      if (running.crashes >= 2) {
        this.log(`the facts worker died twice on ${running.path}; the file is not analysed`);
        this.settle(running, { facts: emptyFacts(running.path), unparsable: 'the C parser stopped on this file (its worker thread died twice); not analysed' });
      } else {
        this.queue.unshift(running);
      }
    }
    this.queue.unshift(...waiting.filter((t) => !t.settled));
    this.failQueueIfGivenUp();
    this.grow();
    this.dispatch();
  }

  private failQueueIfGivenUp(): void {
    if (!this.givenUp()) return;
    const error = new PoolUnavailableError('no facts worker could run');
    for (const task of this.queue.splice(0)) this.settle(task, undefined, error);
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (!slot.ready || slot.dead) continue;
      let bytes = slot.inFlight.reduce((sum, t) => sum + t.text.length, 0);
      while (slot.inFlight.length < maxInFlightPerWorker && (slot.inFlight.length === 0 || bytes < maxInFlightBytesPerWorker)) {
        const task = this.nextTask();
        if (!task) break;
        slot.inFlight.push(task);
        bytes += task.text.length;
        const request: FactsRequest = { id: task.id, path: task.path, text: task.text };
        slot.worker.postMessage(request);
        if (slot.inFlight.length === 1) this.armTimer(slot);
      }
    }
    this.updateRefs();
    if (this.queue.length === 0 && this.busyCount() === 0) this.scheduleIdle();
  }

  private nextTask(): Task | undefined {
    let task = this.queue.shift();
    while (task && task.settled) task = this.queue.shift();
    return task;
  }

  /** Time limit of the file a worker is running. */
  private armTimer(slot: Slot): void {
    clearTimeout(slot.timer);
    slot.timer = undefined;
    const running = slot.inFlight[0];
    if (!running) return;
    slot.timer = setTimeout(() => {
      this.log(`facts worker spent more than ${this.taskTimeoutMs} ms on ${running.path}; stopping it`);
      void slot.worker.terminate();
      this.onDeath(slot, undefined);
    }, this.taskTimeoutMs);
    slot.timer.unref();
  }

  /** Busy workers keep the process alive (a CLI awaiting facts); idle ones do not. */
  private updateRefs(): void {
    for (const slot of this.slots) {
      if (slot.inFlight.length > 0 || this.queue.length > 0) slot.worker.ref();
      else slot.worker.unref();
    }
  }

  private scheduleIdle(): void {
    if (this.idleTimer || this.slots.length === 0) return;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      if (this.queue.length > 0 || this.busyCount() > 0) return;
      for (const slot of this.slots.splice(0)) {
        slot.dead = true;
        clearTimeout(slot.timer);
        void slot.worker.terminate();
      }
    }, this.idleMs);
    this.idleTimer.unref();
  }

  private clearIdle(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }
}

function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  const error = new Error('aborted');
  error.name = 'AbortError';
  return error;
}
