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
import { decodeFactsAndLayout } from './factsCodec';
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
  /** Workers this file was running in, alone, when they died. */
  crashes: number;
  /** Sent in a batch of its own: a worker died on a batch it was in, and the culprit is not known yet. */
  alone: boolean;
  signal?: AbortSignal;
  resolve(result: PooledFacts): void;
  reject(error: Error): void;
  settled: boolean;
}

const resolved = Promise.resolve();

function taskWithId(batch: Task[], id: number): Task | undefined {
  for (const task of batch) if (task.id === id) return task;
  return undefined;
}

function requestedFiles(batch: Task[]): FactsRequest['files'] {
  const files: FactsRequest['files'] = new Array(batch.length);
  for (let i = 0; i < batch.length; i++) files[i] = { id: batch[i].id, path: batch[i].path, text: batch[i].text };
  return files;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  dead: boolean;
  /** Batches sent to the worker, oldest (the one running) first. */
  batches: Task[][];
  timer: NodeJS.Timeout | undefined;
}

/**
 * Files travel in batches, one message each way per batch: a distribution tree's files are a few
 * KiB and parse in well under a millisecond, so a message per file costs both threads about as
 * much as the parse. Two batches are in flight per worker, so it never waits for this thread
 * between two. Capped in bytes too, so a crash or a timeout sends back little work, and big files
 * do not pile up in one worker's queue.
 */
const maxBatchesInFlight = 2;
const maxFilesPerBatch = 8;
const maxBatchBytes = 64 * 1024;
/** Files a caller should have requested ahead per worker: what is in flight, and the next batch ready to go. */
export const filesAheadPerWorker = (maxBatchesInFlight + 1) * maxFilesPerBatch;

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
  private dispatchScheduled = false;
  /** Unsettled tasks by the signal that cancels them: one listener per signal, not one per file. */
  private readonly bySignal = new WeakMap<AbortSignal, Set<Task>>();
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
      const task: Task = { id: this.nextId++, path, text, crashes: 0, alone: false, resolve, reject, settled: false };
      if (signal) {
        task.signal = signal;
        this.watch(signal).add(task);
      }
      this.queue.push(task);
      this.clearIdle();
      this.grow();
      this.scheduleDispatch();
    });
  }

  private watch(signal: AbortSignal): Set<Task> {
    let tasks = this.bySignal.get(signal);
    if (!tasks) {
      const watched = new Set<Task>();
      tasks = watched;
      this.bySignal.set(signal, watched);
      signal.addEventListener(
        'abort',
        () => {
          for (const task of [...watched]) {
            const queued = this.queue.indexOf(task);
            if (queued >= 0) this.queue.splice(queued, 1);
            // A file already sent runs to its end; its result is dropped.
            this.settle(task, undefined, abortReason(signal));
          }
        },
        { once: true },
      );
    }
    return tasks;
  }

  /** Requests made in the same turn (a caller queuing several files) go out as one batch. */
  private scheduleDispatch(): void {
    if (this.dispatchScheduled) return;
    this.dispatchScheduled = true;
    // Not queueMicrotask: it wraps each callback in an object of its own, whose short-lived
    // hidden class took this method's optimised code with it at every full collection.
    resolved.then(this.runScheduledDispatch);
  }

  // One closure for the pool's life: a closure made per call loses its optimised code at every
  // full collection once its last instance is gone, and is compiled again (factsCodec.ts).
  private readonly runScheduledDispatch = (): void => {
    this.dispatchScheduled = false;
    this.dispatch();
  };

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
      for (const task of slot.batches.splice(0).flat()) this.settle(task, undefined, error);
    }
    await Promise.all(slots.map((slot) => slot.worker.terminate().catch(() => undefined)));
  }

  private settle(task: Task, result: PooledFacts | undefined, error?: Error): void {
    if (task.settled) return;
    task.settled = true;
    if (task.signal) this.bySignal.get(task.signal)?.delete(task);
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
    return this.slots.reduce((n, s) => n + s.batches.length, 0);
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
    const slot: Slot = { worker, ready: false, dead: false, batches: [], timer: undefined };
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
      case 'batch': {
        // Workers answer batches in the order they were sent.
        const batch = slot.batches.shift();
        if (!batch) return;
        this.armTimer(slot);
        // The next batch goes out before this one is decoded: the worker gets back to work.
        this.dispatch();
        for (const reply of message.files) {
          const task = taskWithId(batch, reply.id);
          if (!task) continue;
          if (reply.kind === 'facts') {
            const { facts, layout } = decodeFactsAndLayout(reply.encoded);
            const result: PooledFacts = layout ? { facts, unparsable: reply.unparsable, layout } : { facts, unparsable: reply.unparsable };
            this.settle(task, result);
          } else {
            this.log(`facts of ${task.path} failed in a worker: ${reply.message}`);
            this.settle(task, undefined, new ExtractionFailedError(reply.message));
          }
        }
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
    // The oldest batch was running when the worker died; the others were only waiting behind it.
    const [running = [], ...waiting] = slot.batches.splice(0);
    const suspects = running.filter((t) => !t.settled);
    if (suspects.length === 1 && ++suspects[0].crashes >= 2) {
      const [culprit] = suspects;
      this.log(`the facts worker died twice on ${culprit.path}; the file is not analysed`);
      this.settle(culprit, { facts: emptyFacts(culprit.path), unparsable: 'the C parser stopped on this file (its worker thread died twice); not analysed' });
    }
    // Several suspects: any of them may have done it; each goes again on its own, so the next death names one.
    if (suspects.length > 1) for (const task of suspects) task.alone = true;
    this.queue.unshift(...suspects.filter((t) => !t.settled), ...waiting.flat().filter((t) => !t.settled));
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
      while (slot.batches.length < maxBatchesInFlight) {
        const batch = this.nextBatch();
        if (batch.length === 0) break;
        slot.batches.push(batch);
        const request: FactsRequest = { files: requestedFiles(batch) };
        slot.worker.postMessage(request);
        if (slot.batches.length === 1) this.armTimer(slot);
      }
    }
    this.updateRefs();
    if (this.queue.length === 0 && this.busyCount() === 0) this.scheduleIdle();
  }

  /** The next files to send together: up to the batch limits, a suspect of a crash alone. */
  private nextBatch(): Task[] {
    const batch: Task[] = [];
    let bytes = 0;
    while (this.queue.length > 0 && batch.length < maxFilesPerBatch && bytes < maxBatchBytes) {
      const task = this.queue[0];
      if (task.settled) {
        this.queue.shift();
        continue;
      }
      if (task.alone && batch.length > 0) break;
      this.queue.shift();
      batch.push(task);
      bytes += task.text.length;
      if (task.alone) break;
    }
    return batch;
  }

  /** Time limit of the batch a worker is running. */
  private armTimer(slot: Slot): void {
    clearTimeout(slot.timer);
    slot.timer = undefined;
    const running = slot.batches[0];
    if (!running) return;
    slot.timer = setTimeout(() => {
      this.log(`facts worker spent more than ${this.taskTimeoutMs} ms on ${running.map((t) => t.path).join(', ')}; stopping it`);
      void slot.worker.terminate();
      this.onDeath(slot, undefined);
    }, this.taskTimeoutMs);
    slot.timer.unref();
  }

  /** Busy workers keep the process alive (a CLI awaiting facts); idle ones do not. */
  private updateRefs(): void {
    for (const slot of this.slots) {
      if (slot.batches.length > 0 || this.queue.length > 0) slot.worker.ref();
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
