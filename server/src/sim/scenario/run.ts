/**
 * Runs a parsed scenario against a Simulator and collects, per command, the kernel log lines it
 * caused and the command's own output, as a shell session on a real machine would show them.
 */
import { dirname, resolve } from 'node:path';
import type { CompiledProgram } from '../../interp/program';
import type { KernelModel } from '../../kernel/types';
import { loadCLanguage } from '../../parser/treeSitter';
import type { ConfigurationFacts } from '../../preprocess/conditionals';
import { KERN_WARNING } from '../log';
import { loadModule, strerror, unloadModule, type CommandOutput } from '../modules';
import { pointerText } from '../shadow';
import { Simulator, type SimFinding } from '../simulator';
import { listDirectory, readFile, writeFile } from '../sysfs';
import { objectDisplayName } from '../types';
import { compileModule, moduleByName, moduleForKo, moduleGeneratedByKlpBuild, type ModuleSource } from './modules';
import { isDirective, type ScenarioLine } from './parse';
import { applyScenarioSetup } from './setup';
import type { StalledTask } from '../events';

export interface TranscriptEntry {
  line: ScenarioLine;
  log: string[];
  stdout: string[];
  stderr: string[];
}

export interface ScenarioResult {
  entries: TranscriptEntry[];
  findings: SimFinding[];
  simulator: Simulator;
  /** Problems that make the scenario unusable (unparsable module, missing file): exit 2. */
  inputErrors: { message: string; line: number; column: number }[];
}

export interface RunOptions {
  scenarioPath: string;
  kernel: KernelModel;
  /** How long `wait transition` waits before calling the transition stalled (seconds). */
  maxWaitSeconds?: number;
}

/**
 * The shell the scenario's commands are typed into: started before the scenario's own
 * processes (which get pids from 1000 on), it runs the `echo` builtin itself.
 */
const loginShell = { comm: 'bash', pid: 999, kind: 'user' as const };

export function configurationOf(kernel: KernelModel): ConfigurationFacts {
  const v = kernel.version;
  return { config: kernel.config, versionCode: (v.major << 16) + (v.minor << 8) + Math.min(v.patch, 255), architecture: kernel.architecture };
}

export async function runScenario(lines: ScenarioLine[], options: RunOptions): Promise<ScenarioResult> {
  // The kernel header types (task_struct for every process a command starts) are compiled
  // with the C parser, which must be loaded even when the scenario loads no module.
  await loadCLanguage();
  // The scenario's own `kernel`/`task` directives refine (or replace) the caller's model.
  const setup = applyScenarioSetup(lines, options.scenarioPath, options.kernel);
  const kernel = setup.kernel;
  const sim = new Simulator(kernel);
  const root = dirname(resolve(options.scenarioPath));
  const entries: TranscriptEntry[] = [];
  const inputErrors: ScenarioResult['inputErrors'] = [...setup.errors];
  if (inputErrors.length) return { entries, findings: sim.findings, simulator: sim, inputErrors };
  lines = lines.filter((l) => !isDirective(l.command));
  const compiled = new Map<string, CompiledProgram>();
  const config = configurationOf(kernel);

  // Compile every module up front: an unparsable module is bad input and nothing runs.
  const sources = new Map<ScenarioLine, ModuleSource>();
  for (const line of lines) {
    const c = line.command;
    if (c.kind !== 'insmod' && c.kind !== 'modprobe') continue;
    const source = c.kind === 'insmod' ? moduleForKo(resolve(root, c.path)) : moduleByName(root, c.name);
    if (!source) {
      if (c.kind === 'insmod') inputErrors.push({ message: `insmod: no source for ${c.path} (expected ${c.path.replace(/\.ko$/, '.c')} or a Kbuild module of that name)`, line: line.line, column: 1 });
      continue;
    }
    sources.set(line, source);
    const key = `${source.folder}::${source.name}`;
    if (compiled.has(key)) continue;
    const program = await compileModule(source, config);
    const fatal = program.diagnostics.filter((d) => d.severity === 'error' && /could not parse/.test(d.message));
    for (const d of fatal) inputErrors.push({ message: `${d.file}:${d.line}:${d.column}: ${d.message}`, line: line.line, column: 1 });
    for (const d of program.diagnostics.filter((x) => x.severity === 'error' && !fatal.includes(x))) {
      sim.findings.push({ code: 'SIM-COMPILE', severity: 'warning', message: `${d.message} (that code faults if it runs)`, source: { file: d.file, line: d.line } });
    }
    compiled.set(key, program);
    for (const symbol of program.exports) sim.moduleExports.set(symbol, program.moduleName);
  }
  if (inputErrors.length) return { entries, findings: sim.findings, simulator: sim, inputErrors };

  for (const line of lines) {
    const c = line.command;
    const logStart = sim.log.lines.length;
    const out: CommandOutput = { stdout: [], stderr: [] };
    sim.events.push({ kind: 'command', time: sim.seconds(), text: line.text, line: line.line });
    switch (c.kind) {
      case 'insmod':
      case 'modprobe': {
        const source = sources.get(line);
        if (!source) {
          out.stderr.push(`modprobe: FATAL: Module ${c.kind === 'modprobe' ? c.name : ''} not found in directory /lib/modules/${kernel.release}`);
          break;
        }
        const program = compiled.get(`${source.folder}::${source.name}`)!;
        const generatedBy = moduleGeneratedByKlpBuild(source) ? 'klp-build' : undefined;
        loadModule(sim, program, c.params, c.kind === 'insmod' ? { name: 'insmod', path: c.path } : { name: 'modprobe', path: c.name }, out, source.mainFiles[0], generatedBy);
        break;
      }
      case 'rmmod':
        unloadModule(sim, c.name, out);
        break;
      case 'echo': {
        if (c.file === '/dev/kmsg') {
          sim.log.print(KERN_WARNING, c.value);
          break;
        }
        // echo is a shell builtin: the write (and the callbacks it triggers) runs in the shell.
        const errno = sim.inProcess(loginShell, () => writeFile(sim, c.file, c.value));
        if (errno === -2 || errno === -13) out.stderr.push(`bash: ${c.file}: ${strerror(errno)}`);
        else if (errno < 0) out.stderr.push(`bash: echo: write error: ${strerror(errno)}`);
        break;
      }
      case 'cat':
      case 'grep': {
        const task = sim.newTask(c.kind, 'user');
        const result = readFile(sim, c.file, task);
        task.data.finished = true;
        sim.transition?.taskExit(sim.viewOf(task));
        if (!result.ok) {
          out.stderr.push(`${c.kind}: ${c.file}: ${strerror(result.errno)}`);
          break;
        }
        let text = result.text.replace(/\n$/, '').split('\n');
        if (result.text === '') text = [];
        if (c.kind === 'grep') {
          let pattern: RegExp;
          try {
            pattern = new RegExp(c.pattern);
          } catch {
            pattern = new RegExp(c.pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
          }
          text = text.filter((l) => pattern.test(l));
        }
        if (c.toKmsg) for (const l of text) sim.log.print(KERN_WARNING, l);
        else out.stdout.push(...text);
        break;
      }
      case 'ls': {
        const listed = listDirectory(sim, c.dir);
        if (listed.ok) out.stdout.push(...listed.names);
        else out.stderr.push(`ls: cannot access '${c.dir}': ${strerror(listed.errno)}`);
        break;
      }
      case 'sleep':
        sim.advanceTo(sim.jiffies + Math.round(c.seconds * sim.hz));
        break;
      case 'wait-transition':
        waitTransition(sim, c.patch, options.maxWaitSeconds ?? 120, out);
        break;
      case 'sysctl':
        runSysctl(sim, c.key, c.value, out);
        break;
    }
    sim.settle();
    entries.push({ line, log: sim.log.lines.slice(logStart).map((l) => l.text), stdout: out.stdout, stderr: out.stderr });
    for (const text of out.stdout) sim.events.push({ kind: 'output', time: sim.seconds(), stream: 'stdout', text });
    for (const text of out.stderr) sim.events.push({ kind: 'output', time: sim.seconds(), stream: 'stderr', text });
  }
  endOfScenarioFindings(sim);
  return { entries, findings: sim.findings, simulator: sim, inputErrors };
}

/**
 * procps-ng's sysctl (reference 15): the key names a file below /proc/sys (dots or slashes);
 * it prints `key = value` on success and its own error lines otherwise.
 */
function runSysctl(sim: Simulator, key: string, value: string | undefined, out: CommandOutput): void {
  const path = `/proc/sys/${key.replace(/\./g, '/')}`;
  const shown = key.replace(/\//g, '.');
  // A process of its own, which exits when done (a pending task switches there, 5.5).
  const task = sim.newTask('sysctl', 'user');
  const view = sim.viewOf(task);
  const cannotStat = (errno: number) => out.stderr.push(`sysctl: cannot stat ${path}: ${strerror(errno)}`);
  if (value !== undefined) {
    const errno = sim.inProcess({ comm: view.comm, pid: view.pid, kind: 'user' }, () => writeFile(sim, path, value));
    if (errno === -2) cannotStat(errno);
    else if (errno < 0) out.stderr.push(`sysctl: setting key "${shown}": ${strerror(errno)}`);
    else out.stdout.push(`${shown} = ${value}`);
  } else {
    const result = readFile(sim, path, task);
    if (!result.ok) cannotStat(result.errno);
    else out.stdout.push(`${shown} = ${result.text.replace(/\n$/, '')}`);
  }
  task.data.finished = true;
  sim.transition?.taskExit(view);
}

/** Runs virtual time until the patch's transition is over, or reports it stalled. */
function waitTransition(sim: Simulator, patch: string, maxSeconds: number, out: CommandOutput): void {
  const deadline = sim.jiffies + maxSeconds * sim.hz;
  while (sim.transition && sim.transition.patch.name === patch && sim.jiffies < deadline) {
    sim.advanceTo(Math.min(deadline, sim.jiffies + sim.hz));
  }
  const transition = sim.transition;
  if (!transition || transition.patch.name !== patch) return;
  const blockers = transition.blockers();
  out.stdout.push(`klp-simulate: transition of '${patch}' stalled after ${maxSeconds} s: ${blockers.length} task${blockers.length === 1 ? '' : 's'} not switched`);
  for (const task of blockers) {
    out.stdout.push(`klp-simulate:   ${task.comm}:${task.pid} (patch_state ${task.patchState})`);
    for (const entry of task.stack()) out.stdout.push(`klp-simulate:     ${entry.function}${entry.object === 'vmlinux' ? '' : ` [${entry.object}]`}${entry.file ? ` (${entry.file}:${entry.line})` : ''}`);
  }
  const stalled: StalledTask[] = blockers.map((task) => ({
    pid: task.pid,
    comm: task.comm,
    stack: task.stack().map((entry) => ({ function: entry.function, object: entry.object, source: entry.file && entry.line ? { file: entry.file, line: entry.line } : undefined })),
  }));
  sim.events.push({ kind: 'transition', time: sim.seconds(), patch, phase: 'stalled', target: transition.target === 1 ? 'patched' : 'unpatched', blockers: stalled });
  sim.findings.push({ code: 'SIM-STALLED', severity: 'warning', message: `transition of '${patch}' stalled: ${blockers.map((t) => `${t.comm}:${t.pid}`).join(', ')}` });
}

/** What is left behind when the scenario ends (issue: leaks, states, stalls, modules). */
function endOfScenarioFindings(sim: Simulator): void {
  for (const v of sim.shadows.all()) {
    sim.findings.push({
      code: 'SIM-SHADOW-LEAK',
      severity: 'warning',
      message: `shadow variable <${pointerText(v.obj)}, ${v.id.toString(16)}> (${v.size} bytes) allocated${v.module ? ` by ${v.module}` : ''} is still allocated at the end of the scenario`,
      source: { file: v.site.file, line: v.site.line },
    });
  }
  for (const patch of sim.patches) {
    for (const state of patch.states) {
      sim.findings.push({ code: 'SIM-STATE-LEFT', severity: 'information', message: `state ${state.id.toString(16)} version ${state.version} of '${patch.name}' is still set up at the end of the scenario` });
    }
  }
  if (sim.transition) sim.findings.push({ code: 'SIM-STALLED', severity: 'warning', message: `the transition of '${sim.transition.patch.name}' has not completed at the end of the scenario` });
  for (const module of sim.modules.values()) {
    if (module.forced) sim.findings.push({ code: 'SIM-FORCED', severity: 'warning', message: `module ${module.name} was involved in a forced transition and can never be removed` });
  }
  for (const patch of sim.patches) {
    for (const object of patch.objects) {
      if (object.name !== null && !object.everLoaded) {
        sim.findings.push({ code: 'SIM-OBJECT-NEVER-LOADED', severity: 'information', message: `object '${objectDisplayName(object)}' of '${patch.name}' was never patched: the module did not load during the scenario` });
      }
    }
  }
}
