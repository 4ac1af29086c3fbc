/**
 * What the timeline webview keeps across a window reload: the laid-out model of the run it shows
 * (the page saves it with `setState`; the panel serializer gets it back). The saved state comes
 * back from storage the page could write to, so it is untrusted input: `restoreTimelineModel`
 * rebuilds a model from the fields it expects, with the right types, and refuses anything else.
 * No `vscode` import: unit-tested.
 */
import type { MessageLocation, MessageRange } from '../../server/src/protocol/messages';
import { maxRenderedRows } from './timelineHtml';
import type { LaneKind, Lifeline, MarkTone, StackFrame, TimelineLane, TimelineMark, TimelineModel, TimelineRow } from './timelineModel';

/** Bumped when the model's shape changes: an older saved state is then not restored. */
export const timelineStateVersion = 1;

export interface TimelineState {
  version: number;
  model: TimelineModel;
}

/** The state to save for a model: only the rows the page draws, so a long run stays small. */
export function timelineState(model: TimelineModel): TimelineState {
  if (model.rows.length <= maxRenderedRows) return { version: timelineStateVersion, model };
  return { version: timelineStateVersion, model: { ...model, rows: model.rows.slice(0, maxRenderedRows), truncated: true } };
}

const laneKinds: readonly LaneKind[] = ['patch', 'object', 'shadow', 'task', 'findings'];
const tones: readonly MarkTone[] = ['neutral', 'accent', 'good', 'warning', 'error'];
const lifelines: readonly Lifeline[] = ['none', 'live', 'loaded', 'transition', 'stalled', 'enabled', 'pending', 'switched'];

/** Thrown inside restoring on the first field that is not what it should be. */
class Invalid extends Error {}

type Fields = Record<string, unknown>;

function record(value: unknown): Fields {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Invalid();
  return value as Fields;
}
function text(value: unknown): string {
  if (typeof value !== 'string') throw new Invalid();
  return value;
}
function optionalText(value: unknown): string | undefined {
  return value === undefined ? undefined : text(value);
}
function finite(value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new Invalid();
  return value;
}
function count(value: unknown): number {
  const number = finite(value);
  if (!Number.isInteger(number) || number < 0) throw new Invalid();
  return number;
}
function list<T>(value: unknown, item: (value: unknown) => T): T[] {
  if (!Array.isArray(value)) throw new Invalid();
  return value.map(item);
}
function oneOf<T extends string>(value: unknown, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) throw new Invalid();
  return value as T;
}
/** Copies only the optional fields that are set, so the rebuilt model has no `undefined` keys. */
function withOptional<T extends object>(base: T, optional: Partial<T>): T {
  const result = { ...base };
  for (const [key, value] of Object.entries(optional)) if (value !== undefined) (result as Fields)[key] = value;
  return result;
}

function position(value: unknown): MessageRange['start'] {
  const fields = record(value);
  return { line: count(fields.line), character: count(fields.character) };
}
function location(value: unknown): MessageLocation {
  const fields = record(value);
  const range = record(fields.range);
  return { uri: text(fields.uri), range: { start: position(range.start), end: position(range.end) } };
}
function optionalLocation(value: unknown): MessageLocation | undefined {
  return value === undefined ? undefined : location(value);
}

function lane(value: unknown): TimelineLane {
  const fields = record(value);
  return withOptional<TimelineLane>(
    { id: text(fields.id), kind: oneOf(fields.kind, laneKinds), label: text(fields.label) },
    {
      sublabel: optionalText(fields.sublabel),
      pid: fields.pid === undefined ? undefined : count(fields.pid),
      shared: fields.shared === undefined ? undefined : fields.shared === true,
    },
  );
}

function frame(value: unknown): StackFrame {
  const fields = record(value);
  return withOptional<StackFrame>({ text: text(fields.text) }, { location: optionalLocation(fields.location) });
}

function mark(value: unknown): TimelineMark {
  const fields = record(value);
  return withOptional<TimelineMark>(
    { lane: text(fields.lane), type: text(fields.type), icon: text(fields.icon), label: text(fields.label), detail: text(fields.detail), tone: oneOf(fields.tone, tones) },
    {
      location: optionalLocation(fields.location),
      stacks: fields.stacks === undefined ? undefined : list(fields.stacks, (stack) => {
        const stackFields = record(stack);
        return { title: text(stackFields.title), frames: list(stackFields.frames, frame) };
      }),
    },
  );
}

function row(value: unknown): TimelineRow {
  const fields = record(value);
  const command = fields.command === undefined ? undefined : (() => {
    const commandFields = record(fields.command);
    return withOptional<NonNullable<TimelineRow['command']>>({ text: text(commandFields.text), line: count(commandFields.line) }, { location: optionalLocation(commandFields.location) });
  })();
  return withOptional<TimelineRow>(
    { time: finite(fields.time), marks: list(fields.marks, mark), lifelines: list(fields.lifelines, (entry) => oneOf(entry, lifelines)) },
    { command },
  );
}

/**
 * The model in a saved state, rebuilt field by field; undefined when the state is missing, of
 * another version, or not a model (the panel then says the run could not be restored).
 */
export function restoreTimelineModel(state: unknown): TimelineModel | undefined {
  try {
    const fields = record(state);
    if (fields.version !== timelineStateVersion) return undefined;
    const model = record(fields.model);
    const lanes = list(model.lanes, lane);
    const rows = list(model.rows, row).slice(0, maxRenderedRows);
    if (rows.some((entry) => entry.lifelines.length > lanes.length)) return undefined;
    return {
      title: text(model.title),
      subtitle: text(model.subtitle),
      lanes,
      rows,
      truncated: model.truncated === true,
      empty: model.empty === true,
    };
  } catch (error) {
    if (error instanceof Invalid) return undefined;
    throw error;
  }
}

/** What the panel shows when a saved timeline cannot be restored. */
export function unrestorableTimeline(): TimelineModel {
  return {
    title: 'not restored',
    subtitle: 'The timeline of the last run could not be restored after the reload: run "Livepatch: Run Simulation" again.',
    lanes: [],
    rows: [],
    truncated: false,
    empty: true,
  };
}
