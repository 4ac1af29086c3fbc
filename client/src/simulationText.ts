/**
 * What the user reads about a simulation, as plain text: the Output channel's report of a run
 * (scenario, kernel, transcript in the dmesg form, a summary of the findings) and the one-line
 * summary of notifications. No `vscode` import, so it is unit tested without an editor.
 */
import type { RunSimulationResult, ScenarioSource } from '../../server/src/protocol/messages';

/** Whether a command argument (a code lens's, or one given by another extension) names a scenario. */
export function isScenarioSource(value: unknown): value is ScenarioSource {
  if (value === null || typeof value !== 'object') return false;
  const source = value as Record<string, unknown>;
  switch (source.kind) {
    case 'default':
      return true;
    case 'file':
      return typeof source.uri === 'string';
    case 'load':
      return typeof source.moduleUri === 'string';
    case 'replace':
      return typeof source.moduleUri === 'string' && typeof source.predecessor === 'string';
    default:
      return false;
  }
}

/**
 * The scenario a command argument names: a ScenarioSource itself (code lenses), or a tree node
 * carrying one (the Livepatch view's inline action passes its node).
 */
export function scenarioOfArgument(value: unknown): ScenarioSource | undefined {
  if (isScenarioSource(value)) return value;
  if (value !== null && typeof value === 'object' && isScenarioSource((value as { scenario?: unknown }).scenario)) {
    return (value as { scenario: ScenarioSource }).scenario;
  }
  return undefined;
}

/** "1 error, 2 warnings" — the findings by severity, most severe first; "no findings" when none. */
export function findingsSummary(result: Pick<RunSimulationResult, 'findings'>): string {
  const counts = { error: 0, warning: 0, information: 0 };
  for (const finding of result.findings) counts[finding.severity]++;
  const parts: string[] = [];
  if (counts.error) parts.push(`${counts.error} error${counts.error === 1 ? '' : 's'}`);
  if (counts.warning) parts.push(`${counts.warning} warning${counts.warning === 1 ? '' : 's'}`);
  if (counts.information) parts.push(`${counts.information} information`);
  return parts.length > 0 ? parts.join(', ') : 'no findings';
}

/** The one line a notification or the status bar shows after a run. */
export function resultHeadline(result: RunSimulationResult): string {
  if (result.inputErrors.length > 0) {
    const first = result.inputErrors[0];
    return `Simulation of ${result.label} did not run: line ${first.line}: ${first.message}`;
  }
  return `Simulated ${result.label}: ${findingsSummary(result)}`;
}

const rule = '─'.repeat(72);

/**
 * The report of one run for the Output channel: a header naming the scenario and the kernel
 * model, the scenario itself when it was generated (so it can be copied into a `.klpsim` file),
 * the transcript exactly as `klp simulate` prints it, and a closing summary.
 */
export function formatSimulationReport(result: RunSimulationResult, startedAt: Date): string {
  const lines: string[] = [];
  const kernel = `${result.kernel.release} (${result.kernel.architecture}, ${result.kernel.source})`;
  lines.push(rule);
  lines.push(`Simulation: ${result.label}   kernel ${kernel}   ${startedAt.toLocaleTimeString('en-GB')}, ${result.durationMs} ms`);
  lines.push(rule);
  if (!result.scenarioUri) {
    lines.push('Generated scenario:');
    for (const line of result.scenarioText.replace(/\n$/, '').split('\n')) lines.push(`  ${line}`);
    lines.push('');
  }
  if (result.inputErrors.length > 0) {
    lines.push('Nothing ran; the scenario has problems:');
    for (const error of result.inputErrors) lines.push(`  line ${error.line}:${error.column}: ${error.message}`);
  } else {
    lines.push(result.transcript.replace(/\n$/, ''));
  }
  lines.push('');
  lines.push(`${findingsSummary(result)}${result.findings.length > 0 ? ' (listed in Problems under "livepatch-sim")' : ''}`);
  lines.push('');
  return lines.join('\n');
}
