/**
 * One simulation run as plain data in and out, so that it can run in the simulation worker
 * thread (`simulationWorker.ts`) or, when no worker bundle exists (running from sources), in the
 * server itself: parse the scenario text, run it against a kernel model, format the transcript
 * and tell for each finding which scenario step it came from.
 */
import type { KernelModel } from '../../kernel/types';
import type { SimEvent, SourceRef } from '../../sim/events';
import type { SimFinding } from '../../sim/simulator';
import { parseScenario } from '../../sim/scenario/parse';
import { runScenario } from '../../sim/scenario/run';
import { formatTranscript } from '../../sim/scenario/transcript';

export interface SimulationJob {
  scenarioText: string;
  /** Absolute path the scenario runs from (module paths are relative to its folder). */
  scenarioPath: string;
}

/** The step of a finding: a scenario line, the end of the scenario, or module compilation. */
export type FindingStep = { line: number; text: string } | 'end' | 'compile' | undefined;

export interface OutcomeFinding {
  code: string;
  severity: SimFinding['severity'];
  message: string;
  source?: SourceRef;
  step: FindingStep;
}

export interface SimulationOutcome {
  /** Empty when the scenario did not parse (nothing ran then). */
  transcript: string;
  findings: OutcomeFinding[];
  /** Unparsable scenario lines and modules that cannot be found or parsed: nothing ran. */
  inputErrors: { message: string; line: number; column: number }[];
  /** The event stream without log and output lines (the transcript has those), at most `maxTimelineEvents`. */
  events: TimelineSimEvent[];
  /** More events happened than `events` holds. */
  eventsTruncated: boolean;
}

/** The events the timeline shows: not the log and output lines, nor findings (the outcome has them with their steps). */
export type TimelineSimEvent = Exclude<SimEvent, { kind: 'log' } | { kind: 'output' } | { kind: 'finding' }>;

/** Most events a run sends to the editor: a long scenario would otherwise make a huge response. */
export const maxTimelineEvents = 20_000;

export function timelineEvents(events: readonly SimEvent[]): { events: TimelineSimEvent[]; truncated: boolean } {
  const kept: TimelineSimEvent[] = [];
  for (const event of events) {
    if (event.kind === 'log' || event.kind === 'output' || event.kind === 'finding') continue;
    if (kept.length === maxTimelineEvents) return { events: kept, truncated: true };
    kept.push(event);
  }
  return { events: kept, truncated: false };
}

/** Findings the simulator adds after the last command (see endOfScenarioFindings in sim/scenario/run.ts). */
const endOfScenarioCodes = new Set(['SIM-SHADOW-LEAK', 'SIM-STATE-LEFT', 'SIM-FORCED', 'SIM-OBJECT-NEVER-LOADED']);

function isEndOfScenario(finding: SimFinding): boolean {
  return endOfScenarioCodes.has(finding.code) || (finding.code === 'SIM-STALLED' && finding.message.includes('end of the scenario'));
}

/**
 * The step each finding belongs to. Findings carry no step of their own, but they are made in
 * order, and the ones made while a command runs have a twin in the event stream (a fault event,
 * a stalled transition) that sits after that command's event. Findings made after the last
 * command form a tail of known codes; compile problems are found before anything runs.
 * A finding that cannot be placed gets no step rather than a wrong one.
 */
export function findingSteps(findings: readonly SimFinding[], events: readonly SimEvent[]): FindingStep[] {
  const steps: FindingStep[] = new Array(findings.length).fill(undefined);
  let tail = findings.length;
  while (tail > 0 && isEndOfScenario(findings[tail - 1])) steps[--tail] = 'end';

  let cursor = 0;
  let command: { line: number; text: string } | undefined;
  for (let index = 0; index < tail; index++) {
    const finding = findings[index];
    if (finding.code === 'SIM-COMPILE') {
      steps[index] = 'compile';
      continue;
    }
    for (let at = cursor; at < events.length; at++) {
      const event = events[at];
      const twin =
        (event.kind === 'fault' && (finding.code === 'SIM-FAULT' || finding.code === 'SIM-NOT-MODELED') && finding.message.includes(event.message)) ||
        (event.kind === 'transition' && event.phase === 'stalled' && finding.code === 'SIM-STALLED' && finding.message.includes(`'${event.patch}'`));
      if (!twin) continue;
      for (let back = cursor; back < at; back++) {
        const earlier = events[back];
        if (earlier.kind === 'command') command = { line: earlier.line, text: earlier.text };
      }
      steps[index] = command;
      cursor = at + 1;
      break;
    }
  }
  return steps;
}

export async function runSimulationJob(job: SimulationJob, kernel: KernelModel): Promise<SimulationOutcome> {
  const parsed = parseScenario(job.scenarioText);
  if (parsed.errors.length > 0) return { transcript: '', findings: [], inputErrors: parsed.errors, events: [], eventsTruncated: false };
  const result = await runScenario(parsed.lines, { scenarioPath: job.scenarioPath, kernel });
  if (result.inputErrors.length > 0) return { transcript: '', findings: [], inputErrors: result.inputErrors, events: [], eventsTruncated: false };
  const steps = findingSteps(result.findings, result.simulator.events);
  const timeline = timelineEvents(result.simulator.events);
  return {
    transcript: formatTranscript(result),
    findings: result.findings.map((finding, index) => ({
      code: finding.code,
      severity: finding.severity,
      message: finding.message,
      source: finding.source ? { file: finding.source.file, line: finding.source.line } : undefined,
      step: steps[index],
    })),
    inputErrors: [],
    events: timeline.events,
    eventsTruncated: timeline.truncated,
  };
}
