/**
 * `klp`, the command-line face of the analysis (bin/klp runs the bundle, dist/cli.js).
 * This file parses arguments and dispatches; `check.ts` does the work, `formats/` print.
 *
 * Exit status: 0 no errors found, 1 errors found, 2 bad usage, unreadable input or a kernel model
 * that does not load (with a one-line reason on stderr).
 */
import { version } from '../../../package.json';
import { installRootFromBundle } from '../protocol/diagnosticDocs';
import { checkPolicies, InputError, outputFormats, runCheck, type CheckOptions, type CheckPolicyName, type OutputFormat } from './check';
import { runModel, type ModelCommandOptions } from './model';
import { runSimulate, type SimulateOptions } from './simulate';

const help = `klp ${version} — checks Linux kernel livepatch modules

Usage:
  klp check <file or folder>... [--kernel <model.json|System.map>] [--format text|json|sarif]
            [--series <file>] [--scenario <file.klpsim>] [--policy refuse-conflicts]
  klp simulate <scenario.klpsim> [--kernel <model.json|System.map>] [--json]
  klp model capture -o <model.json>
  klp model import <System.map|kallsyms> [--modules <dir>] [--config <file>] -o <model.json>
  klp --help
  klp --version

klp check
  Analyses the given C files; folders are searched recursively for .c and .h files and the
  Kbuild/Makefile files that say which sources form one module. A patched_funcs.csv given on
  its own is checked with the fix folder it belongs to, and only its own findings are reported.

  --kernel <file>    kernel model to check against: model JSON or System.map
                     (default: the model embedded in klp)
  --format <format>  text (default): path:line:col: severity: message [CODE]
                     json:  an array of findings with 1-based positions
                     sarif: SARIF 2.1.0, for code-scanning services
  --series <file>    the load order of the patch series, oldest first, in the format of a
                     livepatch.series file (one module C file, Kbuild folder or name a line,
                     # comments, paths relative to the file); overrides series files found
                     near the modules
  --scenario <file.klpsim>
                     the modules a scenario loads (insmod, modprobe), in that order, are the
                     series where no series file orders them
  --policy refuse-conflicts
                     non-cumulative patches that change the same function are an error, not
                     a warning (as the livepatch.policy.refuseConflicts setting)
  Without a series, every other livepatch module is a possible predecessor (findings one
  step milder, naming the module they are about).

klp simulate
  Runs a scenario (insmod, modprobe, rmmod, echo > file, cat, grep, sleep, wait transition)
  against the simulated kernel, executing the modules' own C code, and prints each command,
  the kernel log lines it caused and its output, then the findings.

  --json             the structured event stream instead of the transcript

klp model
  capture: reads the running kernel (/proc/kallsyms, available_filter_functions, /proc/modules,
  /sys/kernel/livepatch, /proc/version, the config, tasks and their stacks) into a model file;
  what it cannot read is listed on stderr (most of it needs root).
  import: a System.map or kallsyms file, plus the symbol tables of the .ko/.ko.xz/.ko.zst files
  found below --modules (an unpacked distribution kernel package's lib/modules/<release>).

Exit status (check): 0 no errors found, 1 errors found, 2 bad usage or unreadable input.
Exit status (simulate): 0 the scenario ran, 2 bad input (scenario, model, unparsable module).
`;

/** A problem with the command line; printed as one line, exit 2. */
class UsageError extends Error {}

type Command =
  | { kind: 'help' }
  | { kind: 'version' }
  | { kind: 'check'; options: CheckOptions }
  | { kind: 'simulate'; options: SimulateOptions }
  | { kind: 'model'; options: ModelCommandOptions };

function parseModel(args: string[]): ModelCommandOptions {
  const [action, ...rest] = args;
  if (action !== 'capture' && action !== 'import') throw new UsageError(`'klp model' needs 'capture' or 'import'`);
  const options: Partial<ModelCommandOptions> = { action };
  for (let index = 0; index < rest.length; index++) {
    const arg = rest[index];
    const value = () => {
      const next = rest[++index];
      if (next === undefined || next === '') throw new UsageError(`option '${arg}' needs a value`);
      return next;
    };
    if (arg === '-o' || arg === '--output') options.output = value();
    else if (arg === '--modules' && action === 'import') options.modules = value();
    else if (arg === '--config' && action === 'import') options.config = value();
    else if (arg.startsWith('-')) throw new UsageError(`unknown option '${arg}' for 'klp model ${action}'`);
    else if (action === 'import' && options.input === undefined) options.input = arg;
    else throw new UsageError(`unexpected argument '${arg}'`);
  }
  if (!options.output) throw new UsageError(`'klp model ${action}' needs -o <model.json>`);
  if (action === 'import' && !options.input) throw new UsageError(`'klp model import' needs a System.map or kallsyms file`);
  return options as ModelCommandOptions;
}

function parseSimulate(args: string[]): SimulateOptions {
  let scenario: string | undefined;
  let kernel: string | undefined;
  let json = false;
  for (let index = 0; index < args.length; index++) {
    const arg = args[index];
    if (arg === '--json') json = true;
    else if (arg === '--kernel' || arg.startsWith('--kernel=')) {
      kernel = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : args[++index];
      if (!kernel) throw new UsageError(`option '--kernel' needs a file`);
    } else if (arg.startsWith('-')) throw new UsageError(`unknown option '${arg}' for 'klp simulate'`);
    else if (scenario === undefined) scenario = arg;
    else throw new UsageError(`'klp simulate' takes one scenario, got '${arg}' too`);
  }
  if (!scenario) throw new UsageError(`'klp simulate' needs a scenario file`);
  return { scenario, kernel, json };
}

function isOutputFormat(value: string): value is OutputFormat {
  return (outputFormats as readonly string[]).includes(value);
}

function isCheckPolicy(value: string): value is CheckPolicyName {
  return (checkPolicies as readonly string[]).includes(value);
}

function parseCheck(args: string[]): CheckOptions {
  const paths: string[] = [];
  let kernel: string | undefined;
  let format: OutputFormat = 'text';
  let series: string | undefined;
  let scenario: string | undefined;
  const policies: CheckPolicyName[] = [];
  let optionsEnded = false;
  for (let index = 0; index < args.length; index++) {
    const arg = args[index];
    if (optionsEnded || !arg.startsWith('-') || arg === '-') {
      paths.push(arg);
      continue;
    }
    if (arg === '--') {
      optionsEnded = true;
      continue;
    }
    const [name, inlineValue] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string => {
      if (inlineValue !== undefined) return inlineValue;
      const next = args[++index];
      if (next === undefined) throw new UsageError(`option '${name}' needs a value`);
      return next;
    };
    switch (name) {
      case '--kernel':
        kernel = value();
        if (kernel === '') throw new UsageError(`option '--kernel' needs a file`);
        break;
      case '--format': {
        const chosen = value();
        if (!isOutputFormat(chosen)) throw new UsageError(`unknown format '${chosen}' (expected ${outputFormats.join(', ')})`);
        format = chosen;
        break;
      }
      case '--series':
        series = value();
        if (series === '') throw new UsageError(`option '--series' needs a file`);
        break;
      case '--scenario':
        scenario = value();
        if (scenario === '') throw new UsageError(`option '--scenario' needs a file`);
        break;
      case '--policy': {
        const chosen = value();
        if (!isCheckPolicy(chosen)) throw new UsageError(`unknown policy '${chosen}' (expected ${checkPolicies.join(', ')})`);
        if (!policies.includes(chosen)) policies.push(chosen);
        break;
      }
      default:
        throw new UsageError(`unknown option '${arg}' for 'klp check'`);
    }
  }
  if (paths.length === 0) throw new UsageError(`'klp check' needs at least one file or folder`);
  return { paths, kernel, format, series, scenario, policies };
}

export function parseCommandLine(args: string[]): Command {
  const [first, ...rest] = args;
  if (first === undefined) throw new UsageError('missing command');
  if (first === '--help' || first === '-h' || first === 'help') return { kind: 'help' };
  if (first === '--version' || first === '-V') return { kind: 'version' };
  if (first === 'check') {
    if (rest.includes('--help') || rest.includes('-h')) return { kind: 'help' };
    return { kind: 'check', options: parseCheck(rest) };
  }
  if (first === 'model') {
    if (rest.includes('--help') || rest.includes('-h')) return { kind: 'help' };
    return { kind: 'model', options: parseModel(rest) };
  }
  if (first === 'simulate') {
    if (rest.includes('--help') || rest.includes('-h')) return { kind: 'help' };
    return { kind: 'simulate', options: parseSimulate(rest) };
  }
  if (first.startsWith('-')) throw new UsageError(`unknown option '${first}'`);
  throw new UsageError(`unknown command '${first}'`);
}

async function main(args: string[]): Promise<number> {
  let command: Command;
  try {
    command = parseCommandLine(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`klp: ${error.message} (see 'klp --help')\n`);
    return 2;
  }
  switch (command.kind) {
    case 'help':
      process.stdout.write(help);
      return 0;
    case 'version':
      process.stdout.write(`${version}\n`);
      return 0;
    case 'check':
      try {
        return await runCheck(command.options, {
          cwd: process.cwd(),
          toolVersion: version,
          installRoot: installRootFromBundle(__dirname),
          write: (text) => process.stdout.write(text),
          warn: (message) => process.stderr.write(`klp: warning: ${message}\n`),
        });
      } catch (error) {
        if (!(error instanceof InputError)) throw error;
        process.stderr.write(`klp: ${error.message}\n`);
        return 2;
      }
    case 'model':
      try {
        return runModel(command.options, {
          cwd: process.cwd(),
          write: (text) => process.stdout.write(text),
          warn: (text) => process.stderr.write(`klp: ${text}\n`),
        });
      } catch (error) {
        if (!(error instanceof InputError)) throw error;
        process.stderr.write(`klp: ${error.message}\n`);
        return 2;
      }
    case 'simulate':
      try {
        return await runSimulate(command.options, { cwd: process.cwd(), write: (text) => process.stdout.write(text) });
      } catch (error) {
        if (!(error instanceof InputError)) throw error;
        process.stderr.write(`klp: ${error.message}\n`);
        return 2;
      }
  }
}

// Exit through exitCode so that a large report on a pipe is written out completely.
main(process.argv.slice(2)).then(
  (status) => {
    process.exitCode = status;
  },
  (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`klp: internal error: ${message.split('\n')[0]}\n`);
    // KLP_DEBUG=1 shows where, for bug reports.
    if (process.env.KLP_DEBUG && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
    process.exitCode = 2;
  },
);
