/**
 * Entry point of the simulation worker thread (bundled to dist/simulationWorker.js). The server
 * posts one job at a time; the worker answers with the outcome. A run the user cancels ends the
 * thread, which is the only way to stop interpreted module code in the middle of a command.
 * The worker keeps the last kernel model it loaded, so consecutive runs do not load it again.
 */
import { statSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { defaultKernelModel, loadKernelModelFile } from '../../kernel/load';
import type { KernelModel } from '../../kernel/types';
import { runSimulationJob, type SimulationJob, type SimulationOutcome } from './simulationRunner';

/** Which model to simulate against: the server's model is described, not sent (it has methods). */
export type KernelSource = { kind: 'embedded' } | { kind: 'file'; path: string };

export interface WorkerJob extends SimulationJob {
  id: number;
  kernel: KernelSource;
}

export type WorkerReply = { id: number; outcome: SimulationOutcome } | { id: number; error: string };

let cached: { key: string; model: KernelModel } | undefined;

function kernelFor(source: KernelSource): KernelModel {
  if (source.kind === 'embedded') return defaultKernelModel();
  const key = `${source.path}@${statSync(source.path).mtimeMs}`;
  if (cached?.key === key) return cached.model;
  const loaded = loadKernelModelFile(source.path);
  if (!loaded.model) throw new Error(`cannot load kernel model ${source.path}: ${loaded.errors[0]?.message ?? 'unknown error'}`);
  cached = { key, model: loaded.model };
  return loaded.model;
}

const port = parentPort;
if (port) {
  port.on('message', (job: WorkerJob) => {
    void (async () => {
      let reply: WorkerReply;
      try {
        reply = { id: job.id, outcome: await runSimulationJob(job, kernelFor(job.kernel)) };
      } catch (error) {
        reply = { id: job.id, error: error instanceof Error ? (error.stack ?? error.message) : String(error) };
      }
      port.postMessage(reply);
    })();
  });
}
