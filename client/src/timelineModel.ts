/**
 * The simulation timeline as plain data: the events of a `livepatch/runSimulation` result laid
 * out as lanes (one per patch, object, shadow variable id and task, plus the findings) and rows
 * (time flows down, one row per event, scenario commands as rows of their own). Each row also
 * says what every lane's lifeline looks like there (patch in transition, stalled, enabled; task
 * not yet switched; module loaded; shadow variable allocated) so the picture shows state, not
 * only dots. No `vscode` import: the layout is unit-tested on real simulation results.
 */
import type { MessageLocation, RunSimulationResult, SimulationEvent, SimulationFinding } from '../../server/src/protocol/messages';

export type LaneKind = 'patch' | 'object' | 'shadow' | 'task' | 'findings';

export interface TimelineLane {
  /** Unique among the lanes, e.g. "patch:lp_worker", "task:klp_worker:1001". */
  id: string;
  kind: LaneKind;
  label: string;
  /** Second header line: a pid, a hex id, "livepatch". */
  sublabel?: string;
  /** Tasks: the pid (the smallest, for a lane of short-lived processes), for the lane order. */
  pid?: number;
  /** A lane of short-lived processes of one name (each a command of the scenario). */
  shared?: boolean;
}

/** How a mark is coloured: by outcome, not by kind. */
export type MarkTone = 'neutral' | 'accent' | 'good' | 'warning' | 'error';

export interface StackFrame {
  text: string;
  location?: MessageLocation;
}

export interface TimelineMark {
  lane: string;
  /** What happened, as a CSS class and a test hook: "transition-stalled", "shadow-alloc", ... */
  type: string;
  /** A codicon name. */
  icon: string;
  /** Short text beside the icon (may be empty: a task switch in a sweep is just a tick). */
  label: string;
  /** The whole story: tooltip and accessible name. */
  detail: string;
  tone: MarkTone;
  /** The source line that caused it, when known: clicking opens it. */
  location?: MessageLocation;
  /** Stacks to show under the mark: the blocking tasks of a stalled transition, a fault's calls. */
  stacks?: { title: string; frames: StackFrame[] }[];
}

/** What a lane's vertical line shows at a row; "none" draws nothing. */
export type Lifeline = 'none' | 'live' | 'loaded' | 'transition' | 'stalled' | 'enabled' | 'pending' | 'switched';

export interface TimelineRow {
  /** Virtual time in seconds. */
  time: number;
  /** Set on rows where a scenario command starts. */
  command?: { text: string; line: number; location?: MessageLocation };
  marks: TimelineMark[];
  /** One entry per lane, in lane order. */
  lifelines: Lifeline[];
}

export interface TimelineModel {
  title: string;
  /** Kernel, duration, counts. */
  subtitle: string;
  lanes: TimelineLane[];
  rows: TimelineRow[];
  /** The response carried only the first events of the run. */
  truncated: boolean;
  /** The server sent no events (an older server, or nothing ran). */
  empty: boolean;
}

const patchLane = (name: string) => `patch:${name}`;
const objectLane = (name: string) => `object:${name}`;
const shadowLane = (id: number) => `shadow:${id}`;
const taskLane = (comm: string, pid: number) => `task:${comm}:${pid}`;
const findingsLane = 'findings';

const hex = (value: number) => `0x${value.toString(16)}`;

/** Virtual time as the axis shows it: "120 s", "121.68 s". */
export function secondsText(seconds: number): string {
  return `${Number.isInteger(seconds) ? seconds : Number(seconds.toFixed(2))} s`;
}

function fileName(uri: string): string {
  const path = uri.replace(/[?#].*$/, '');
  return decodeURIComponent(path.slice(path.lastIndexOf('/') + 1));
}

/** "file.c:31" for a location (1-based line, as people read it). */
export function locationText(location: MessageLocation): string {
  return `${fileName(location.uri)}:${location.range.start.line + 1}`;
}

/** The scenario file's line, when the scenario is a file (generated ones have no file). */
function scenarioLocation(result: RunSimulationResult, line: number): MessageLocation | undefined {
  if (!result.scenarioUri) return undefined;
  const at = { line: Math.max(0, line - 1), character: 0 };
  return { uri: result.scenarioUri, range: { start: at, end: at } };
}

const transitionLooks: Record<string, { icon: string; tone: MarkTone }> = {
  init: { icon: 'circle-outline', tone: 'accent' },
  start: { icon: 'play', tone: 'accent' },
  complete: { icon: 'pass', tone: 'good' },
  cancel: { icon: 'circle-slash', tone: 'warning' },
  reverse: { icon: 'arrow-swap', tone: 'accent' },
  force: { icon: 'zap', tone: 'error' },
  signal: { icon: 'bell', tone: 'warning' },
  stalled: { icon: 'watch', tone: 'warning' },
};

const switchIcons: Record<string, string> = {
  'stack-check': 'check',
  exit: 'sign-out',
  idle: 'coffee',
  signal: 'bell',
  force: 'zap',
  schedule: 'sync',
};

function transitionLabel(event: Extract<SimulationEvent, { kind: 'transition' }>): string {
  const direction = event.target === 'patched' ? 'patching' : 'unpatching';
  switch (event.phase) {
    case 'init':
      return `init ${direction}`;
    case 'start':
      return `start ${direction}`;
    case 'complete':
      return `${direction} complete`;
    case 'cancel':
      return `${direction} cancelled`;
    case 'reverse':
      return `reversed to ${direction}`;
    case 'force':
      return 'forced';
    case 'signal':
      return 'signalled tasks';
    case 'stalled':
      return `${direction} stalled`;
  }
}

/** Lanes in the order the picture shows them: patches, objects, shadow ids, tasks, findings. */
class LaneSet {
  private readonly byId = new Map<string, TimelineLane>();

  add(lane: TimelineLane): void {
    if (!this.byId.has(lane.id)) this.byId.set(lane.id, lane);
  }

  get(id: string): TimelineLane | undefined {
    return this.byId.get(id);
  }

  delete(id: string): void {
    this.byId.delete(id);
  }

  ordered(): TimelineLane[] {
    const kinds: LaneKind[] = ['patch', 'object', 'shadow', 'task', 'findings'];
    const all = [...this.byId.values()];
    const objects = all.filter((lane) => lane.kind === 'object');
    // vmlinux first: it is the object every patch can have.
    objects.sort((a, b) => Number(b.label === 'vmlinux') - Number(a.label === 'vmlinux'));
    const shadows = all.filter((lane) => lane.kind === 'shadow').sort((a, b) => Number(a.id.slice(7)) - Number(b.id.slice(7)));
    // Tasks by pid (the idle tasks, then init, kernel threads, then later processes); a task
    // known only by name (a fault's) goes last.
    const pidOf = (lane: TimelineLane) => lane.pid ?? Number.MAX_SAFE_INTEGER;
    const tasks = all.filter((lane) => lane.kind === 'task').sort((a, b) => pidOf(a) - pidOf(b));
    const byKind: Partial<Record<LaneKind, TimelineLane[]>> = { object: objects, shadow: shadows, task: tasks };
    return kinds.flatMap((kind) => byKind[kind] ?? all.filter((lane) => lane.kind === kind));
  }
}

/** Tasks are named by comm and pid (pid 0 is every CPU's idle task); faults name only the comm. */
class TaskNames {
  private readonly lastByComm = new Map<string, { comm: string; pid: number }>();

  seen(comm: string, pid: number): string {
    this.lastByComm.set(comm, { comm, pid });
    return taskLane(comm, pid);
  }

  /** The lane of the latest task with this name, or a lane of its own. */
  byName(name: string, lanes: LaneSet): string {
    const known = this.lastByComm.get(name);
    if (known) return taskLane(known.comm, known.pid);
    const id = `task:${name}:?`;
    lanes.add({ id, kind: 'task', label: name });
    return id;
  }
}

function marksOf(event: SimulationEvent, lanes: LaneSet, tasks: TaskNames, patches: Set<string>): TimelineMark[] {
  switch (event.kind) {
    case 'command':
      return [];
    case 'transition': {
      const look = transitionLooks[event.phase] ?? { icon: 'circle-outline', tone: 'neutral' };
      const label = transitionLabel(event);
      const mark: TimelineMark = { lane: patchLane(event.patch), type: `transition-${event.phase}`, icon: look.icon, label, detail: `${event.patch}: ${label}`, tone: look.tone };
      const marks = [mark];
      if (event.blockers?.length) {
        mark.detail += ` (${event.blockers.length} task${event.blockers.length === 1 ? '' : 's'} not switched: ${event.blockers.map((t) => `${t.comm}:${t.pid}`).join(', ')})`;
        mark.stacks = event.blockers.map((task) => ({
          title: `${task.comm}:${task.pid}`,
          frames: task.stack.map((frame) => ({
            text: `${frame.function}${frame.object === 'vmlinux' ? '' : ` [${frame.object}]`}`,
            location: frame.location,
          })),
        }));
        for (const task of event.blockers) {
          const lane = tasks.seen(task.comm, task.pid);
          lanes.add({ id: lane, kind: 'task', label: task.comm, sublabel: String(task.pid), pid: task.pid });
          const top = task.stack.find((frame) => frame.location);
          marks.push({
            lane,
            type: 'task-blocking',
            icon: 'debug-pause',
            label: 'blocks',
            detail: `${task.comm}:${task.pid} keeps ${event.patch} from completing: ${task.stack.map((frame) => frame.function).join(' < ')}`,
            tone: 'warning',
            location: top?.location,
          });
        }
      }
      return marks;
    }
    case 'callback': {
      lanes.add({ id: objectLane(event.object), kind: 'object', label: event.object });
      const failed = event.result !== undefined && event.result !== 0;
      return [
        {
          lane: objectLane(event.object),
          type: `callback-${event.callback}`,
          icon: failed ? 'error' : 'symbol-event',
          label: `${event.callback} · ${event.patch}`,
          detail: `${event.patch}: ${event.callback} callback ${event.function}() for ${event.object}${event.comm ? ` in ${event.comm}${event.pid === undefined ? '' : `:${event.pid}`}` : ''}${event.result === undefined ? '' : ` returned ${event.result}`}`,
          tone: failed ? 'error' : 'neutral',
          location: event.location,
        },
      ];
    }
    case 'task-switch': {
      const lane = tasks.seen(event.comm, event.pid);
      lanes.add({ id: lane, kind: 'task', label: event.comm, sublabel: String(event.pid), pid: event.pid });
      const state = event.state === 1 ? 'patched' : 'unpatched';
      return [
        {
          lane,
          type: `task-switch-${event.how}`,
          icon: switchIcons[event.how] ?? 'check',
          label: event.how === 'stack-check' ? '' : event.how,
          detail: `${event.comm}:${event.pid} switched to the ${state} state of ${event.patch} (${event.how === 'stack-check' ? 'stack check passed' : event.how})`,
          tone: event.how === 'force' ? 'error' : event.how === 'signal' ? 'warning' : 'good',
        },
      ];
    }
    case 'shadow': {
      const lane = shadowLane(event.id);
      lanes.add({ id: lane, kind: 'shadow', label: `shadow ${hex(event.id)}`, sublabel: 'id' });
      const variable = `<${event.object}, ${hex(event.id)}>`;
      const looks = {
        alloc: { icon: 'add', label: `alloc${event.size === undefined ? '' : ` ${event.size} B`}`, detail: `shadow variable ${variable} allocated${event.size === undefined ? '' : ` (${event.size} bytes)`}`, tone: 'accent' as MarkTone },
        free: { icon: 'trash', label: 'free', detail: `shadow variable ${variable} freed`, tone: 'neutral' as MarkTone },
        duplicate: { icon: 'copy', label: 'duplicate', detail: `shadow variable ${variable} already exists: klp_shadow_alloc() warned and returned NULL`, tone: 'warning' as MarkTone },
        'ctor-failed': { icon: 'error', label: 'ctor failed', detail: `the constructor of shadow variable ${variable} failed: nothing allocated`, tone: 'error' as MarkTone },
      }[event.action];
      return [{ lane, type: `shadow-${event.action}`, ...looks, location: event.location }];
    }
    case 'state':
      return [
        {
          lane: patchLane(event.patch),
          type: `state-${event.action}`,
          icon: event.action === 'installed' ? 'tag' : event.action === 'removed' ? 'close' : 'replace',
          label: `state ${hex(event.id)} v${event.version} ${event.action}`,
          detail: `${event.patch}: system state ${hex(event.id)} version ${event.version} ${event.action}`,
          tone: event.action === 'installed' ? 'accent' : 'neutral',
        },
      ];
    case 'module': {
      const isPatch = patches.has(event.module);
      const lane = isPatch ? patchLane(event.module) : objectLane(event.module);
      if (!isPatch) lanes.add({ id: lane, kind: 'object', label: event.module, sublabel: 'module' });
      const looks = {
        load: { icon: 'package', label: 'module loaded', tone: 'neutral' as MarkTone },
        unload: { icon: 'close', label: 'module removed', tone: 'neutral' as MarkTone },
        'load-failed': { icon: 'error', label: 'load failed', tone: 'error' as MarkTone },
      }[event.action];
      return [{ lane, type: `module-${event.action}`, ...looks, detail: `module ${event.module}: ${looks.label}` }];
    }
    case 'patch': {
      const looks = {
        enabled: { icon: 'plug', label: 'enabled', tone: 'good' as MarkTone },
        disabled: { icon: 'debug-disconnect', label: 'disabled', tone: 'neutral' as MarkTone },
        replaced: { icon: 'replace-all', label: 'replaced', tone: 'neutral' as MarkTone },
        freed: { icon: 'trash', label: 'freed', tone: 'neutral' as MarkTone },
      }[event.action];
      return [{ lane: patchLane(event.patch), type: `patch-${event.action}`, ...looks, detail: `patch ${event.patch} ${looks.label}` }];
    }
    case 'fault': {
      const lane = tasks.byName(event.task, lanes);
      return [
        {
          lane,
          type: 'fault',
          icon: 'bug',
          label: 'fault',
          detail: `${event.task}: ${event.message}`,
          tone: 'error',
          location: event.location,
          stacks: event.stack.length > 0 ? [{ title: event.message, frames: event.stack.map((text) => ({ text })) }] : undefined,
        },
      ];
    }
  }
}

function findingMark(finding: SimulationFinding): TimelineMark {
  return {
    lane: findingsLane,
    type: `finding-${finding.severity}`,
    icon: finding.severity === 'information' ? 'info' : finding.severity,
    label: finding.code,
    detail: `${finding.code}: ${finding.message}`,
    tone: finding.severity === 'error' ? 'error' : finding.severity === 'warning' ? 'warning' : 'neutral',
    location: finding.location,
  };
}

/**
 * Every command of a scenario runs in a process of its own (insmod, cat, ...), which the next
 * transition's stack checks switch once: a lane each would make a scenario of a thousand
 * commands a thousand columns wide. Tasks seen on one row only that share their name with
 * other such tasks share one lane, "insmod" with "12 processes"; a task seen on more rows, or
 * alone with its name, keeps its own.
 */
function mergeShortLivedTasks(rows: BuildingRow[], lanes: LaneSet): void {
  const rowsOf = new Map<string, Set<number>>();
  rows.forEach((row, at) => {
    for (const mark of row.marks) if (mark.lane.startsWith('task:')) rowsOf.set(mark.lane, (rowsOf.get(mark.lane) ?? new Set()).add(at));
  });
  const byName = new Map<string, TimelineLane[]>();
  for (const [id, seen] of rowsOf) {
    const lane = lanes.get(id);
    if (!lane || seen.size !== 1 || lane.pid === undefined) continue;
    byName.set(lane.label, [...(byName.get(lane.label) ?? []), lane]);
  }
  const mergedInto = new Map<string, string>();
  for (const [name, group] of byName) {
    if (group.length < 2) continue;
    const id = `task:${name}:*`;
    lanes.add({ id, kind: 'task', label: name, sublabel: `${group.length} processes`, pid: Math.min(...group.map((lane) => lane.pid!)), shared: true });
    for (const lane of group) {
      mergedInto.set(lane.id, id);
      lanes.delete(lane.id);
    }
  }
  if (mergedInto.size === 0) return;
  for (const row of rows) for (const mark of row.marks) mark.lane = mergedInto.get(mark.lane) ?? mark.lane;
}

/** A sweep of stack checks (same patch, time and way) shares one row: one tick per task. */
function joinsSweep(row: BuildingRow | undefined, event: SimulationEvent, lane: string): boolean {
  if (!row || row.command || event.kind !== 'task-switch') return false;
  return row.events.every((other) => other.kind === 'task-switch' && other.patch === event.patch && other.how === event.how && other.time === event.time) && row.marks.every((mark) => mark.lane !== lane);
}

interface BuildingRow extends TimelineRow {
  /** The events whose marks the row holds (the lifelines follow them). */
  events: SimulationEvent[];
  /** 1-based scenario line of the command this row belongs to. */
  step?: number;
}

/** Row ranges in which a task lane is drawn. */
class TaskSpans {
  private readonly ranges = new Map<string, { first: number; last: number }[]>();

  add(lane: string, first: number, last: number): void {
    this.ranges.set(lane, [...(this.ranges.get(lane) ?? []), { first, last }]);
  }

  covers(lane: string, row: number): boolean {
    return this.ranges.get(lane)?.some((range) => range.first <= row && row <= range.last) ?? false;
  }
}

/**
 * Where each task's line is drawn. The stream says when a task switched, not when it was
 * created or exited: a task first seen switching (or blocking) existed since its transition
 * started; a task seen in more than one row is long-lived and drawn to the end; one seen once
 * lived then. A lane of short-lived processes is drawn for each of them that way.
 */
function taskSpans(rows: BuildingRow[], lanes: TimelineLane[]): TaskSpans {
  const seen = new Map<string, number[]>();
  const transitionStart: number[] = [];
  let start: number | undefined;
  rows.forEach((row, at) => {
    for (const event of row.events) {
      if (event.kind !== 'transition') continue;
      if (event.phase === 'init' || event.phase === 'reverse' || (event.phase === 'start' && start === undefined)) start = at;
      if (event.phase === 'complete' || event.phase === 'cancel') start = undefined;
    }
    transitionStart[at] = start ?? at;
    for (const mark of row.marks) {
      if (!mark.lane.startsWith('task:')) continue;
      const rowsOfTask = seen.get(mark.lane);
      if (!rowsOfTask) seen.set(mark.lane, [at]);
      else if (rowsOfTask[rowsOfTask.length - 1] !== at) rowsOfTask.push(at);
    }
  });
  const shared = new Set(lanes.filter((lane) => lane.kind === 'task' && lane.shared).map((lane) => lane.id));
  const spans = new TaskSpans();
  const firstOf = (lane: string, at: number) =>
    rows[at].marks.some((mark) => mark.lane === lane && (mark.type.startsWith('task-switch') || mark.type === 'task-blocking')) ? transitionStart[at] : at;
  for (const [lane, at] of seen) {
    if (shared.has(lane)) for (const row of at) spans.add(lane, firstOf(lane, row), row);
    else spans.add(lane, firstOf(lane, at[0]), at.length > 1 ? rows.length - 1 : at[0]);
  }
  return spans;
}

/** Lifelines per row: walks the rows in order keeping each lane's state. */
function drawLifelines(rows: BuildingRow[], lanes: TimelineLane[]): void {
  const index = new Map(lanes.map((lane, at) => [lane.id, at]));
  const spans = taskSpans(rows, lanes);
  const state: Lifeline[] = lanes.map((lane) => (lane.id === objectLane('vmlinux') ? 'live' : 'none'));
  const set = (lane: string, value: Lifeline) => {
    const at = index.get(lane);
    if (at !== undefined) state[at] = value;
  };
  const get = (lane: string): Lifeline => state[index.get(lane) ?? -1] ?? 'none';
  const shadowCounts = new Map<string, number>();
  let inTransition = false;
  const switched = new Set<string>();

  rows.forEach((row, at) => {
    const before = [...state];
    let endsTransition = false;
    for (const event of row.events) {
      switch (event.kind) {
        case 'transition': {
          const lane = patchLane(event.patch);
          if (event.phase === 'init' || (event.phase === 'start' && !inTransition)) switched.clear();
          // Reversal flips every task's pending flag: the switched ones must go back, the others are there already.
          if (event.phase === 'reverse') {
            for (const task of lanes) {
              if (task.kind !== 'task' || !spans.covers(task.id, at)) continue;
              if (switched.has(task.id)) switched.delete(task.id);
              else switched.add(task.id);
            }
          }
          if (event.phase === 'stalled') set(lane, 'stalled');
          else if (event.phase === 'complete') set(lane, event.target === 'patched' ? 'enabled' : 'loaded');
          else if (event.phase === 'cancel') set(lane, 'loaded');
          else if (event.phase !== 'signal' || get(lane) !== 'stalled') set(lane, 'transition');
          inTransition = event.phase !== 'complete' && event.phase !== 'cancel';
          endsTransition ||= !inTransition;
          break;
        }
        case 'patch':
          if (event.action === 'enabled' && (get(patchLane(event.patch)) === 'none' || get(patchLane(event.patch)) === 'loaded')) set(patchLane(event.patch), 'enabled');
          if (event.action !== 'enabled') set(patchLane(event.patch), 'loaded');
          break;
        case 'module': {
          const lane = index.has(patchLane(event.module)) ? patchLane(event.module) : objectLane(event.module);
          if (event.action === 'load' && get(lane) === 'none') set(lane, lane.startsWith('patch:') ? 'loaded' : 'live');
          if (event.action !== 'load') set(lane, 'none');
          break;
        }
        case 'shadow': {
          const lane = shadowLane(event.id);
          const count = Math.max(0, (shadowCounts.get(lane) ?? 0) + (event.action === 'alloc' ? 1 : event.action === 'free' ? -1 : 0));
          shadowCounts.set(lane, count);
          set(lane, count > 0 ? 'live' : 'none');
          break;
        }
        default:
          break;
      }
    }
    // By lane, not by task: a lane of short-lived processes is one lane for them all.
    for (const mark of row.marks) if (mark.type.startsWith('task-switch')) switched.add(mark.lane);
    // A line that ends at this row still reaches the mark that ends it.
    row.lifelines = state.map((value, lane) => (value === 'none' ? before[lane] : value));
    lanes.forEach((lane, laneIndex) => {
      if (lane.kind !== 'task') return;
      if (!spans.covers(lane.id, at)) row.lifelines[laneIndex] = 'none';
      else if (inTransition || endsTransition) row.lifelines[laneIndex] = switched.has(lane.id) ? 'switched' : 'pending';
      else row.lifelines[laneIndex] = 'live';
    });
    if (endsTransition) switched.clear();
  });
}

/** The timeline of a simulation result. */
export function buildTimeline(result: RunSimulationResult): TimelineModel {
  const events = result.events ?? [];
  const lanes = new LaneSet();
  const tasks = new TaskNames();
  // Patch names first, in order of appearance: a patch module's load and unload belong to its lane.
  const patches = new Set<string>();
  for (const event of events) {
    if (event.kind === 'transition' || event.kind === 'state' || event.kind === 'patch' || event.kind === 'callback' || event.kind === 'task-switch') {
      if (!patches.has(event.patch)) {
        patches.add(event.patch);
        lanes.add({ id: patchLane(event.patch), kind: 'patch', label: event.patch, sublabel: 'livepatch' });
      }
    }
  }

  const rows: BuildingRow[] = [];
  let step: number | undefined;
  for (const event of events) {
    if (event.kind === 'command') {
      step = event.line;
      rows.push({ time: event.time, command: { text: event.text, line: event.line, location: scenarioLocation(result, event.line) }, marks: [], lifelines: [], events: [], step });
      continue;
    }
    const marks = marksOf(event, lanes, tasks, patches);
    if (marks.length === 0) continue;
    const last = rows[rows.length - 1];
    if (marks.length === 1 && joinsSweep(last, event, marks[0].lane)) {
      last.marks.push(marks[0]);
      last.events.push(event);
      continue;
    }
    rows.push({ time: event.time, marks, lifelines: [], events: [event], step });
  }

  // Findings go after the rows of the step they belong to; compile problems before everything.
  if (result.findings.length > 0) lanes.add({ id: findingsLane, kind: 'findings', label: 'Findings' });
  const endTime = rows.length > 0 ? rows[rows.length - 1].time : 0;
  const compile: BuildingRow[] = [];
  const atEnd: BuildingRow[] = [];
  const afterStep = new Map<number, BuildingRow[]>();
  for (const finding of result.findings) {
    const step = finding.step;
    if (step === 'compile') compile.push({ time: 0, marks: [findingMark(finding)], lifelines: [], events: [] });
    else if (typeof step === 'object' && rows.some((row) => row.step === step.line)) {
      const list = afterStep.get(step.line) ?? [];
      list.push({ time: 0, marks: [findingMark(finding)], lifelines: [], events: [], step: step.line });
      afterStep.set(step.line, list);
    } else atEnd.push({ time: endTime, marks: [findingMark(finding)], lifelines: [], events: [] });
  }
  for (const [line, found] of afterStep) {
    let last = -1;
    rows.forEach((row, at) => {
      if (row.step === line) last = at;
    });
    for (const row of found) row.time = rows[last].time;
    rows.splice(last + 1, 0, ...found);
  }
  rows.unshift(...compile);
  rows.push(...atEnd);

  mergeShortLivedTasks(rows, lanes);
  const ordered = lanes.ordered();
  drawLifelines(rows, ordered);

  const findingCount = (severity: SimulationFinding['severity']) => result.findings.filter((finding) => finding.severity === severity).length;
  const counts = [
    `${findingCount('error')} error${findingCount('error') === 1 ? '' : 's'}`,
    `${findingCount('warning')} warning${findingCount('warning') === 1 ? '' : 's'}`,
  ];
  return {
    title: result.label,
    subtitle: `kernel ${result.kernel.release} (${result.kernel.architecture}) · ${secondsText(endTime)} of virtual time · ${counts.join(', ')} · ran in ${result.durationMs} ms`,
    lanes: ordered,
    rows: rows.map(({ time, command, marks, lifelines }) => (command ? { time, command, marks, lifelines } : { time, marks, lifelines })),
    truncated: result.eventsTruncated === true,
    empty: events.length === 0,
  };
}

/** Every location the timeline links to: the panel opens only these. */
export function timelineLocations(model: TimelineModel): MessageLocation[] {
  const found: MessageLocation[] = [];
  for (const row of model.rows) {
    if (row.command?.location) found.push(row.command.location);
    for (const mark of row.marks) {
      if (mark.location) found.push(mark.location);
      for (const stack of mark.stacks ?? []) for (const frame of stack.frames) if (frame.location) found.push(frame.location);
    }
  }
  return found;
}
