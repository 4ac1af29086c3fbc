/**
 * `livepatch/runSimulation`: runs a `.klpsim` scenario, or one the editor generates, against the
 * kernel model in use and answers with the transcript and the findings, each placed at its
 * source line (or the scenario line) as a "livepatch-sim" diagnostic labelled with the scenario
 * and the step. Runs happen in a worker thread: the server keeps answering meanwhile, and a
 * cancelled request ends the thread at once. Progress goes to the client's work-done token.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { LSPErrorCodes, ResponseError, type CancellationToken, type ServerCapabilities } from 'vscode-languageserver';
import type { KernelModel } from '../../kernel/types';
import type { LivepatchModule } from '../../model/types';
import {
  RunSimulationRequest,
  type RunSimulationParams,
  type RunSimulationResult,
  type MessageLocation,
  type ScenarioSource,
  type SimulationDiagnostics,
  type SimulationEvent,
  type SimulationFinding,
} from '../../protocol/messages';
import type { ServerContext } from '../context';
import { describeError } from '../log';
import { pathFromUri } from '../uris';
import { defaultScenario, loadScenario, replaceScenario, type ScenarioModule } from './generatedScenarios';
import { runSimulationJob, type FindingStep, type SimulationJob, type SimulationOutcome, type TimelineSimEvent } from './simulationRunner';
import type { SourceRef } from '../../sim/events';
import type { KernelSource, WorkerJob, WorkerReply } from './simulationWorker';
import { isCumulative } from '../../checks/series';
import { ensureWorkspaceIndexed, koPathOf, workspaceSeries } from './workspaceModules';
import { useSimulatedScenario } from './scenarioSeries';

/** Diagnostic source of simulation findings, apart from the analysis' "livepatch". */
export const simulationDiagnosticSource = 'livepatch-sim';

/** An idle worker is ended after this long, giving its memory (a kernel model) back. */
const idleWorkerMs = 120_000;

class CancelledRun extends Error {}

/**
 * Runs jobs in worker threads: one idle worker is kept (with its kernel model loaded) for the
 * next run; runs that overlap get a worker each.
 */
export class SimulationHost {
  private idle: { worker: Worker; timer: NodeJS.Timeout } | undefined;
  private readonly running = new Set<Worker>();
  private nextId = 1;

  constructor(private readonly workerPath: string) {}

  /** The worker bundle next to the server bundle; absent when running from sources. */
  static bundled(): SimulationHost | undefined {
    const path = join(__dirname, 'simulationWorker.js');
    return existsSync(path) ? new SimulationHost(path) : undefined;
  }

  private take(): Worker {
    if (this.idle) {
      clearTimeout(this.idle.timer);
      const { worker } = this.idle;
      this.idle = undefined;
      return worker;
    }
    const worker = new Worker(this.workerPath, { resourceLimits: { maxOldGenerationSizeMb: 2048 } });
    // A worker must never keep the server process alive after the client is gone.
    worker.unref();
    return worker;
  }

  private release(worker: Worker): void {
    if (this.idle) {
      void worker.terminate();
      return;
    }
    const timer = setTimeout(() => {
      if (this.idle?.worker === worker) this.idle = undefined;
      void worker.terminate();
    }, idleWorkerMs);
    timer.unref();
    this.idle = { worker, timer };
  }

  run(job: SimulationJob, kernel: KernelSource, token: CancellationToken): Promise<SimulationOutcome> {
    if (token.isCancellationRequested) return Promise.reject(new CancelledRun());
    const worker = this.take();
    this.running.add(worker);
    const id = this.nextId++;
    return new Promise<SimulationOutcome>((resolve, reject) => {
      const finish = () => {
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        cancellation.dispose();
        this.running.delete(worker);
      };
      const onMessage = (reply: WorkerReply) => {
        if (reply.id !== id) return;
        finish();
        this.release(worker);
        if ('error' in reply) reject(new Error(reply.error));
        else resolve(reply.outcome);
      };
      const onError = (error: Error) => {
        finish();
        void worker.terminate();
        reject(error);
      };
      const onExit = (code: number) => {
        finish();
        reject(new Error(`the simulation worker exited (code ${code})`));
      };
      const cancellation = token.onCancellationRequested(() => {
        finish();
        void worker.terminate();
        reject(new CancelledRun());
      });
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      const message: WorkerJob = { ...job, id, kernel };
      worker.postMessage(message);
    });
  }

  dispose(): void {
    if (this.idle) {
      clearTimeout(this.idle.timer);
      void this.idle.worker.terminate();
      this.idle = undefined;
    }
    for (const worker of this.running) void worker.terminate();
    this.running.clear();
  }
}

/** How the worker finds the model the server uses (the server's copy has methods, so it is not sent). */
export function kernelSourceOf(model: KernelModel): KernelSource {
  return model.source === 'embedded default' || !existsSync(model.source) ? { kind: 'embedded' } : { kind: 'file', path: model.source };
}

export function scenarioModule(module: LivepatchModule): ScenarioModule {
  return { name: module.name, koPath: koPathOf(module), replace: isCumulative(module) };
}

interface ResolvedScenario {
  label: string;
  text: string;
  /** Absolute path the scenario runs from (a generated one: a file that does not exist). */
  path: string;
  /** Set for `.klpsim` files: their problems become diagnostics on their lines. */
  fileUri?: string;
}

function failure(message: string): ResponseError<void> {
  return new ResponseError(LSPErrorCodes.RequestFailed, message);
}

async function resolveScenario(context: ServerContext, source: ScenarioSource): Promise<ResolvedScenario> {
  switch (source.kind) {
    case 'file': {
      const path = pathFromUri(source.uri);
      const open = context.documents.getScenarioByUri(source.uri);
      let text = open?.document.getText();
      if (text === undefined) {
        try {
          text = readFileSync(path, 'utf8');
        } catch (error) {
          throw failure(`cannot read scenario ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
        }
      }
      return { label: basename(path), text, path, fileUri: open?.uri ?? source.uri };
    }
    case 'default': {
      const modules = await workspaceSeries(context);
      if (modules.length === 0) throw failure('the workspace has no livepatch module to simulate');
      const base = context.workspaceFolders.find((folder) => modules[0].files[0].startsWith(folder)) ?? dirname(modules[0].files[0]);
      return { label: 'default scenario', text: defaultScenario(modules.map(scenarioModule), base), path: join(base, 'default.klpsim') };
    }
    case 'load':
    case 'replace': {
      const module = context.analyzer.moduleOf(pathFromUri(source.moduleUri));
      if (!module || !module.isLivepatch) throw failure(`${pathFromUri(source.moduleUri)} is not part of a livepatch module`);
      const base = dirname(module.files[0]);
      const path = join(base, `${module.name}.klpsim`);
      if (source.kind === 'load') return { label: `load ${module.name}`, text: loadScenario(scenarioModule(module), base), path };
      await ensureWorkspaceIndexed(context);
      const predecessor = context.analyzer.modules().find((other) => other.isLivepatch && other.name === source.predecessor);
      if (!predecessor) throw failure(`the workspace has no livepatch module named ${source.predecessor}`);
      return {
        label: `${module.name} replaces ${predecessor.name}`,
        text: replaceScenario(scenarioModule(predecessor), scenarioModule(module), base),
        path,
      };
    }
  }
}

/** Text of a file as the editor has it (open document), as the analyzer knows it, or from disk. */
function textOf(context: ServerContext, path: string): string | undefined {
  const open = context.documents.get(path) ?? context.documents.getScenario(path);
  if (open) return open.document.getText();
  const known = context.analyzer.textOf(path);
  if (known !== undefined) return known;
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** The non-blank part of a 0-based line (the whole line start when the text is unknown). */
function lineRange(lines: string[] | undefined, line: number): SimulationDiagnostics['diagnostics'][number]['range'] {
  const text = lines?.[line] ?? '';
  const start = text.length - text.trimStart().length;
  return { start: { line, character: start }, end: { line, character: text.trimEnd().length } };
}

const severities = { error: 1, warning: 2, information: 3 } as const;

function stepLabel(step: FindingStep): string {
  if (step === 'end') return 'at the end of the scenario';
  if (step === 'compile') return 'while compiling the modules';
  if (step) return `step ${step.line}: ${step.text}`;
  return 'step unknown';
}

/** Groups findings and scenario problems into diagnostics per document. */
function diagnosticsOf(
  context: ServerContext,
  scenario: ResolvedScenario,
  findings: SimulationOutcome['findings'],
  inputErrors: SimulationOutcome['inputErrors'],
): SimulationDiagnostics[] {
  const byUri = new Map<string, SimulationDiagnostics>();
  const linesCache = new Map<string, string[] | undefined>();
  const linesOf = (path: string) => {
    if (!linesCache.has(path)) linesCache.set(path, textOf(context, path)?.split(/\r?\n/));
    return linesCache.get(path);
  };
  const add = (uri: string, diagnostic: SimulationDiagnostics['diagnostics'][number]) => {
    let entry = byUri.get(uri);
    if (!entry) byUri.set(uri, (entry = { uri, diagnostics: [] }));
    entry.diagnostics.push(diagnostic);
  };
  const scenarioLines = scenario.text.split(/\r?\n/);
  const lastCommandLine = (() => {
    for (let index = scenarioLines.length - 1; index >= 0; index--) if (!/^\s*(#.*)?$/.test(scenarioLines[index])) return index;
    return 0;
  })();
  const label = `simulation "${scenario.label}"`;

  for (const finding of findings) {
    const common = { severity: severities[finding.severity] ?? 1, source: simulationDiagnosticSource, code: finding.code };
    const message = `${finding.message} (${label}, ${stepLabel(finding.step)})`;
    if (finding.source) {
      const line = Math.max(0, finding.source.line - 1);
      add(context.documents.uriOf(finding.source.file), { ...common, message, range: lineRange(linesOf(finding.source.file), line) });
    } else if (scenario.fileUri) {
      const step = finding.step;
      const line = typeof step === 'object' ? step.line - 1 : lastCommandLine;
      add(scenario.fileUri, { ...common, message, range: lineRange(scenarioLines, line) });
    }
  }
  if (scenario.fileUri) {
    for (const error of inputErrors) {
      const line = Math.max(0, error.line - 1);
      const range = lineRange(scenarioLines, line);
      range.start.character = Math.max(0, error.column - 1);
      if (range.end.character < range.start.character) range.end.character = range.start.character;
      add(scenario.fileUri, { range, severity: 1, source: simulationDiagnosticSource, code: 'SIM-INPUT', message: `${error.message} (${label}: nothing ran)` });
    }
  }
  return [...byUri.values()];
}

function findingOf(context: ServerContext, finding: SimulationOutcome['findings'][number]): SimulationFinding {
  const result: SimulationFinding = { code: finding.code, severity: finding.severity, message: finding.message };
  if (finding.source) {
    const line = Math.max(0, finding.source.line - 1);
    result.location = { uri: context.documents.uriOf(finding.source.file), range: { start: { line, character: 0 }, end: { line, character: 0 } } };
  }
  if (finding.step) result.step = finding.step;
  return result;
}

/** A source line of the simulator (1-based) as a location in the editor's terms. */
function locationOf(uriOf: (path: string) => string, source: SourceRef | undefined): MessageLocation | undefined {
  if (!source) return undefined;
  const line = Math.max(0, source.line - 1);
  return { uri: uriOf(source.file), range: { start: { line, character: 0 }, end: { line, character: 0 } } };
}

/**
 * A simulator event for the timeline: source files become URIs (`uriOf`: the open document's
 * URI for a path, so the editor matches it), stalled tasks carry their stacks.
 */
export function simulationEventOf(event: TimelineSimEvent, uriOf: (path: string) => string): SimulationEvent {
  switch (event.kind) {
    case 'callback':
    case 'shadow':
    case 'fault': {
      const { source, ...rest } = event;
      const location = locationOf(uriOf, source);
      return location ? { ...rest, location } : rest;
    }
    case 'transition': {
      const { blockers, ...rest } = event;
      if (!blockers) return rest;
      return {
        ...rest,
        blockers: blockers.map((task) => ({
          pid: task.pid,
          comm: task.comm,
          stack: task.stack.map((frame) => {
            const location = locationOf(uriOf, frame.source);
            return location ? { function: frame.function, object: frame.object, location } : { function: frame.function, object: frame.object };
          }),
        })),
      };
    }
    default:
      return event;
  }
}

export function register(context: ServerContext): ServerCapabilities {
  const host = SimulationHost.bundled();

  async function run(params: RunSimulationParams, token: CancellationToken): Promise<RunSimulationResult> {
    const progress = context.connection.window.attachWorkDoneProgress(params.workDoneToken);
    progress.begin('Livepatch simulation', undefined, 'preparing the scenario', true);
    try {
      const scenario = await resolveScenario(context, params.scenario);
      // The simulated scenario's load order is a source of the series order (scenarioSeries.ts).
      if (params.scenario.kind === 'file' || params.scenario.kind === 'replace') useSimulatedScenario(context, scenario);
      const kernel = context.kernel.model;
      progress.report(`running ${scenario.label} against ${kernel.release}`);
      const started = Date.now();
      const job: SimulationJob = { scenarioText: scenario.text, scenarioPath: scenario.path };
      const outcome = host ? await host.run(job, kernelSourceOf(kernel), token) : await runSimulationJob(job, kernel);
      if (token.isCancellationRequested) throw new CancelledRun();
      const durationMs = Date.now() - started;
      context.log.info(`simulated ${scenario.label} in ${durationMs} ms: ${outcome.findings.length} findings`);
      return {
        label: scenario.label,
        scenarioUri: scenario.fileUri,
        scenarioText: scenario.text,
        transcript: outcome.transcript,
        findings: outcome.findings.map((finding) => findingOf(context, finding)),
        diagnostics: diagnosticsOf(context, scenario, outcome.findings, outcome.inputErrors),
        inputErrors: outcome.inputErrors,
        kernel: { release: kernel.release, architecture: kernel.architecture, source: kernel.source },
        durationMs,
        events: outcome.events.map((event) => simulationEventOf(event, (path) => context.documents.uriOf(path))),
        eventsTruncated: outcome.eventsTruncated,
      };
    } finally {
      progress.done();
    }
  }

  context.connection.onRequest(RunSimulationRequest, async (params, token) => {
    try {
      return await run(params, token);
    } catch (error) {
      if (error instanceof CancelledRun) {
        context.log.info('simulation cancelled');
        return new ResponseError(LSPErrorCodes.RequestCancelled, 'the simulation was cancelled');
      }
      if (error instanceof ResponseError) return error;
      context.log.error(`livepatch/runSimulation failed: ${describeError(error)}`);
      return failure(`the simulation failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
    }
  });

  context.onShutdown(() => host?.dispose());
  return {};
}
