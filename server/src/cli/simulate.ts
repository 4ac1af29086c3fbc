/**
 * `klp simulate <scenario> [--kernel <model>] [--json]`: runs a .klpsim scenario against the
 * simulated kernel and prints the transcript (or the JSON event stream). Exit 0 when the scenario
 * ran (even if the kernel refused something), 2 for bad input.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseScenario } from '../sim/scenario/parse';
import { runScenario } from '../sim/scenario/run';
import { formatJson, formatTranscript } from '../sim/scenario/transcript';
import { InputError, loadKernel } from './check';

export interface SimulateOptions {
  scenario: string;
  kernel?: string;
  json: boolean;
}

export async function runSimulate(options: SimulateOptions, environment: { cwd: string; write(text: string): void }): Promise<number> {
  const path = resolve(environment.cwd, options.scenario);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new InputError(`cannot read scenario ${options.scenario}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const kernel = loadKernel(options.kernel, environment.cwd);
  const parsed = parseScenario(text);
  if (parsed.errors.length) {
    const first = parsed.errors[0];
    throw new InputError(`${options.scenario}:${first.line}:${first.column}: ${first.message}${parsed.errors.length > 1 ? ` (and ${parsed.errors.length - 1} more)` : ''}`);
  }
  const result = await runScenario(parsed.lines, { scenarioPath: path, kernel });
  if (result.inputErrors.length) {
    const first = result.inputErrors[0];
    throw new InputError(`${options.scenario}:${first.line}:${first.column}: ${first.message}`);
  }
  environment.write(options.json ? formatJson(result) : formatTranscript(result));
  return 0;
}
