/**
 * Custom LSP messages between the Livepatch client and server, declared once as typed
 * `RequestType`s so both sides agree on the method name and the payload.
 *
 * Imported by the VS Code client too: only protocol types here, no server code.
 */
import { NotificationType, RequestType, RequestType0 } from 'vscode-languageserver-protocol';

/** What the server checks sources against, as reported by `livepatch/kernelModelInfo`. */
export interface KernelModelInfo {
  /** Kernel release, e.g. "6.8.0-31-generic". */
  release: string;
  architecture: string;
  /** Where the model came from: a file path, or "embedded default". */
  source: string;
  /** Number of objects (vmlinux plus modules) the model describes. */
  objectCount: number;
  /** Total number of kallsyms entries over all objects. */
  symbolCount: number;
  /** The `livepatch.kernelModel` setting as configured ("" for the embedded default). */
  configuredPath: string;
  /**
   * Why the configured model is not the one in use (empty when it loaded). When this is not
   * empty the server keeps checking against the previous model, described by the other fields.
   */
  loadErrors: string[];
}

/**
 * `livepatch/kernelModelInfo`: sent by the client when the user runs
 * "Livepatch: Show Kernel Model Info" (and by tests), so that the user can see which kernel the
 * diagnostics, hovers and completions are about and whether the configured model failed to load.
 * The server answers from its current state; it never reloads the model for this request.
 */
export const KernelModelInfoRequest = new RequestType0<KernelModelInfo, void>('livepatch/kernelModelInfo');

// ---- The editor: simulation, scenarios, the Livepatch tree, the kernel model status -----------

/** A position range as LSP has it (0-based lines, UTF-16 characters). */
export interface MessageRange {
  start: { line: number; character: number };
  end: { line: number; character: number };
}

/** A place in a document, for navigation from the tree and the transcript. */
export interface MessageLocation {
  uri: string;
  range: MessageRange;
}

/**
 * Which scenario `livepatch/runSimulation` runs.
 *
 * - `file`: a `.klpsim` file; its open text is used when the editor has it open (unsaved edits
 *   included). Modules are always read from disk, so the client saves them first.
 * - `default`: generated — load every livepatch module of the workspace in series order (natural
 *   order of module names, so v2 comes before v10), waiting for each transition, then disable
 *   what is still enabled (newest first) and remove them all.
 * - `load`: generated for one module (the "Simulate load" code lens): insmod it, wait for its
 *   transition.
 * - `replace`: generated (the "Simulate replace of ..." code lens): load `predecessor` (a module
 *   name), then the module at `moduleUri`, waiting for each transition.
 */
export type ScenarioSource =
  | { kind: 'file'; uri: string }
  | { kind: 'default' }
  | { kind: 'load'; moduleUri: string }
  | { kind: 'replace'; moduleUri: string; predecessor: string };

export interface RunSimulationParams {
  scenario: ScenarioSource;
  /** Client-created `$/progress` token (LSP work-done progress for this request). */
  workDoneToken?: string | number;
}

/** Which scenario line was running when a finding was made. */
export interface SimulationStep {
  /** 1-based line of the scenario text (`scenarioText`). */
  line: number;
  /** The command as written. */
  text: string;
}

export interface SimulationFinding {
  /** SIM-* code. */
  code: string;
  severity: 'error' | 'warning' | 'information';
  message: string;
  /** Where in the module sources it happened, when the simulator knows. */
  location?: MessageLocation;
  /**
   * The step the finding belongs to; "end" for what is left at the end of the scenario,
   * "compile" for problems found while compiling the modules, undefined when unknown.
   */
  step?: SimulationStep | 'end' | 'compile';
}

/** LSP diagnostics for one document (source "livepatch-sim"), ready for a diagnostic collection. */
export interface SimulationDiagnostics {
  uri: string;
  diagnostics: {
    range: MessageRange;
    /** LSP DiagnosticSeverity: 1 error, 2 warning, 3 information, 4 hint. */
    severity: 1 | 2 | 3 | 4;
    source: string;
    code: string;
    message: string;
  }[];
}

/** A task that kept a transition from completing, with its stack (innermost first). */
export interface SimulationStalledTask {
  pid: number;
  comm: string;
  stack: { function: string; object: string; location?: MessageLocation }[];
}

/**
 * One event of a simulation run, for the timeline (the simulator's event stream without the
 * log and output lines, which the transcript has). `time` is virtual time in seconds; locations
 * are the source lines that caused the event, where the simulator knows them.
 */
export type SimulationEvent =
  /** A scenario command started; `line` is 1-based in `scenarioText`. */
  | { kind: 'command'; time: number; text: string; line: number }
  /** `comm`/`pid`: the process the callback ran in, when the simulator says. */
  | { kind: 'callback'; time: number; patch: string; object: string; callback: string; function: string; result?: number; location?: MessageLocation; comm?: string; pid?: number }
  | {
      kind: 'transition';
      time: number;
      patch: string;
      phase: 'init' | 'start' | 'complete' | 'cancel' | 'reverse' | 'force' | 'signal' | 'stalled';
      target: 'patched' | 'unpatched';
      /** For `stalled`: the tasks not switched. */
      blockers?: SimulationStalledTask[];
    }
  | { kind: 'task-switch'; time: number; patch: string; pid: number; comm: string; state: number; how: 'stack-check' | 'exit' | 'idle' | 'signal' | 'force' | 'schedule' }
  | { kind: 'shadow'; time: number; action: 'alloc' | 'free' | 'duplicate' | 'ctor-failed'; id: number; object: string; size?: number; location?: MessageLocation }
  | { kind: 'state'; time: number; action: 'installed' | 'removed' | 'replaced'; patch: string; id: number; version: number }
  | { kind: 'module'; time: number; action: 'load' | 'unload' | 'load-failed'; module: string }
  | { kind: 'patch'; time: number; action: 'enabled' | 'disabled' | 'replaced' | 'freed'; patch: string }
  | { kind: 'fault'; time: number; task: string; message: string; location?: MessageLocation; stack: string[] };

export interface RunSimulationResult {
  /** Short description of the scenario: the file name, "default scenario", "load <module>". */
  label: string;
  /** The `.klpsim` file, for `file` scenarios. */
  scenarioUri?: string;
  /** The scenario as it ran (generated scenarios included), so the user can save or rerun it. */
  scenarioText: string;
  /** The dmesg-form transcript (`klp simulate` output), findings at the end. */
  transcript: string;
  findings: SimulationFinding[];
  /**
   * Findings as diagnostics: at their source lines in the modules, and problems of the scenario
   * itself (unparsable lines, modules without source, findings without a source location) on the
   * scenario file's lines. Messages name the scenario and the step.
   */
  diagnostics: SimulationDiagnostics[];
  /** Why nothing ran (bad scenario lines, modules without source); empty when it ran. */
  inputErrors: { message: string; line: number; column: number }[];
  /** The kernel model the simulation ran against. */
  kernel: { release: string; architecture: string; source: string };
  /** Wall-clock duration of the run in milliseconds. */
  durationMs: number;
  /** The run's events in order, for the timeline (absent from servers that predate it). */
  events?: SimulationEvent[];
  /** Set when the run had more events than the response carries (the first ones are kept). */
  eventsTruncated?: boolean;
}

/**
 * `livepatch/runSimulation`: sent by the client for "Livepatch: Run Simulation" and the
 * simulation code lenses. The server runs the scenario against the kernel model in use — in a
 * worker thread, so the server keeps answering and the run can be cancelled (`$/cancelRequest`
 * ends it at once; the request then fails with RequestCancelled) — and reports work-done progress
 * on `workDoneToken`. Simulation findings are returned (not published), so the client keeps them
 * in a diagnostic collection of their own until the next run.
 */
export const RunSimulationRequest = new RequestType<RunSimulationParams, RunSimulationResult, void>('livepatch/runSimulation');

/** One `klp_func` entry in the tree. */
export interface TreeFunction {
  oldName: string;
  newFunc?: string;
  oldSympos?: number;
  location: MessageLocation;
}

export interface TreeCallback {
  kind: 'pre_patch' | 'post_patch' | 'pre_unpatch' | 'post_unpatch';
  function: string;
  location: MessageLocation;
}

export interface TreeObject {
  /** "vmlinux" or the module name; "(unknown)" when it cannot be evaluated. */
  name: string;
  location: MessageLocation;
  functions: TreeFunction[];
  callbacks: TreeCallback[];
}

export interface TreeState {
  /** The id as written (a macro name or a number). */
  id: string;
  value?: number;
  version?: number;
  location: MessageLocation;
}

export interface TreeShadowId {
  /** The id as written in the calls (a macro name or a number). */
  id: string;
  value?: number;
  /** The shadow API functions called with it, e.g. ["klp_shadow_get_or_alloc"]. */
  apis: string[];
  /** The first call using it. */
  location: MessageLocation;
}

export interface TreePatch {
  /** Kernel module name (the sysfs directory under /sys/kernel/livepatch). */
  module: string;
  /** Variable name of the `struct klp_patch`. */
  variable: string;
  replace?: boolean;
  location: MessageLocation;
  objects: TreeObject[];
  states: TreeState[];
  /** Shadow variable ids the module uses. */
  shadowIds: TreeShadowId[];
}

/**
 * `livepatch/patches`: sent by the client to fill the "Livepatch" tree view (on start, when
 * documents change and on refresh). The server answers with every `struct klp_patch` of the
 * workspace modules it knows, in series order.
 */
export const LivepatchPatchesRequest = new RequestType0<TreePatch[], void>('livepatch/patches');

/**
 * `livepatch/kernelModelChanged`: sent by the server after the kernel model in use or its load
 * errors changed (a new `livepatch.kernelModel`), so the client's status bar shows the active
 * model without asking.
 */
export const KernelModelChangedNotification = new NotificationType<KernelModelInfo>('livepatch/kernelModelChanged');
