/**
 * The scenario fixtures under test/fixtures/sim and how to run one: shared by the transcripts
 * test (every fixture against its `.expected`) and the fidelity catalog test (the fixtures
 * docs/fidelity.md names).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { defaultKernelModel } from '../../../server/src/kernel/load';
import { parseScenario } from '../../../server/src/sim/scenario/parse';
import { runScenario } from '../../../server/src/sim/scenario/run';
import { formatTranscript } from '../../../server/src/sim/scenario/transcript';

export const fixtureRoot = join(__dirname, '..', '..', 'fixtures', 'sim');

/** Every `.klpsim` below `folder`, in a stable order. */
export function scenarioFiles(folder = fixtureRoot): string[] {
  const found: string[] = [];
  for (const name of readdirSync(folder).sort()) {
    const path = join(folder, name);
    if (statSync(path).isDirectory()) found.push(...scenarioFiles(path));
    else if (name.endsWith('.klpsim')) found.push(path);
  }
  return found;
}

export interface FixtureRun {
  parseErrors: unknown[];
  inputErrors: unknown[];
  /** The transcript, with paths in findings made relative to the fixture root. */
  transcript: string;
}

/** Runs one scenario fixture against the embedded default kernel model. */
export async function runFixture(path: string): Promise<FixtureRun> {
  const parsed = parseScenario(readFileSync(path, 'utf8'));
  const result = await runScenario(parsed.lines, { scenarioPath: path, kernel: defaultKernelModel() });
  // Relative paths keep the expectations independent of the checkout.
  const transcript = formatTranscript(result).split(`${fixtureRoot}/`).join('');
  return { parseErrors: parsed.errors, inputErrors: result.inputErrors, transcript };
}
