/**
 * A scenario run as the server runs it for `livepatch/runSimulation` (the interpreter and the
 * simulated kernel, in process), shaped as the server answers: what the timeline tests lay out.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { pathToFileURL } from 'node:url';
import { defaultKernelModel } from '../../server/src/kernel/load';
import { simulationEventOf } from '../../server/src/lsp/features/simulation';
import { runSimulationJob } from '../../server/src/lsp/features/simulationRunner';
import type { RunSimulationResult } from '../../server/src/protocol/messages';

export const uriOf = (path: string) => pathToFileURL(path).href;

/** `generated`: a scenario the server made up (no file to link to). */
export async function simulate(path: string, options: { generated?: boolean } = {}): Promise<RunSimulationResult> {
  const scenarioText = readFileSync(path, 'utf8');
  const outcome = await runSimulationJob({ scenarioText, scenarioPath: path }, defaultKernelModel());
  return {
    label: basename(path),
    scenarioUri: options.generated ? undefined : uriOf(path),
    scenarioText,
    transcript: outcome.transcript,
    findings: outcome.findings.map((finding) => ({
      code: finding.code,
      severity: finding.severity,
      message: finding.message,
      location: finding.source ? { uri: uriOf(finding.source.file), range: { start: { line: finding.source.line - 1, character: 0 }, end: { line: finding.source.line - 1, character: 0 } } } : undefined,
      step: finding.step,
    })),
    diagnostics: [],
    inputErrors: outcome.inputErrors,
    kernel: { release: '6.1.0', architecture: 'x86_64', source: 'embedded default' },
    durationMs: 1,
    events: outcome.events.map((event) => simulationEventOf(event, uriOf)),
    eventsTruncated: outcome.eventsTruncated,
  };
}
