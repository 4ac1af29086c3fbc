/**
 * The timeline layout on real simulation runs: scenarios run through the server's own
 * simulation runner (the interpreter and the simulated kernel, in process), their events
 * converted as the server converts them for `livepatch/runSimulation`, then laid out. The
 * tests check lanes, rows and lifelines against what the scenario makes the kernel do.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { buildTimeline, timelineLocations, type TimelineModel, type TimelineRow } from '../../client/src/timelineModel';
import { maxTimelineEvents, timelineEvents } from '../../server/src/lsp/features/simulationRunner';
import type { RunSimulationResult } from '../../server/src/protocol/messages';
import { simulate, uriOf } from '../helpers/simulationResult';
import type { SimEvent } from '../../server/src/sim/events';

const fixtures = join(__dirname, '..', 'fixtures');

function laneIndex(model: TimelineModel, id: string): number {
  const index = model.lanes.findIndex((lane) => lane.id === id);
  assert.ok(index >= 0, `lane ${id} in ${model.lanes.map((lane) => lane.id).join(', ')}`);
  return index;
}

function rowWith(model: TimelineModel, type: string, lane?: string): number {
  const index = model.rows.findIndex((row) => row.marks.some((mark) => mark.type === type && (lane === undefined || mark.lane === lane)));
  assert.ok(index >= 0, `a row with a ${type} mark${lane ? ` in ${lane}` : ''}`);
  return index;
}

function commandRow(model: TimelineModel, text: string): number {
  const index = model.rows.findIndex((row) => row.command?.text === text);
  assert.ok(index >= 0, `the command row of ${text}`);
  return index;
}

const lifelinesOf = (model: TimelineModel, lane: string, from: number, to: number) => model.rows.slice(from, to + 1).map((row: TimelineRow) => row.lifelines[laneIndex(model, lane)]);

describe('the timeline of a stalled, forced transition with shadow variables and a state', () => {
  const scenario = join(fixtures, 'timeline', 'stall-force-shadow.klpsim');
  let result: RunSimulationResult;
  let model: TimelineModel;

  before(async () => {
    result = await simulate(scenario);
    model = buildTimeline(result);
  });

  it('has one lane per patch, object, shadow id and task, in that order, and a findings lane', () => {
    const kinds = model.lanes.map((lane) => lane.kind);
    assert.deepEqual([...new Set(kinds)], ['patch', 'object', 'shadow', 'task', 'findings']);
    assert.deepEqual(model.lanes.filter((lane) => lane.kind === 'patch').map((lane) => lane.label), ['lp_worker', 'lp_shadow', 'lp_state_v1']);
    assert.deepEqual(model.lanes.filter((lane) => lane.kind === 'object').map((lane) => lane.label), ['vmlinux', 'klp_worker']);
    const pids = model.lanes.filter((lane) => lane.kind === 'task').map((lane) => lane.pid);
    assert.ok(pids.every((pid) => typeof pid === 'number'));
    assert.deepEqual(pids, [...pids].sort((a, b) => a! - b!), 'tasks by pid');
    assert.equal(new Set(model.lanes.map((lane) => lane.id)).size, model.lanes.length, 'lane ids are unique');
    // Both idle tasks have pid 0: they are two lanes.
    assert.equal(model.lanes.filter((lane) => lane.kind === 'task' && lane.sublabel === '0').length, 2);
  });

  it('gives every row a lifeline per lane and one row per scenario command, in order', () => {
    for (const row of model.rows) assert.equal(row.lifelines.length, model.lanes.length);
    const commands = model.rows.filter((row) => row.command).map((row) => row.command!.line);
    const scenarioLines = result.scenarioText.split('\n').flatMap((text, index) => (text.trim() && !text.startsWith('#') ? [index + 1] : []));
    assert.deepEqual(commands, scenarioLines);
    const times = model.rows.map((row) => row.time);
    assert.deepEqual(times, [...times].sort((a, b) => a - b), 'time flows down');
  });

  it('gathers the short-lived processes of the commands in one lane per name', () => {
    const insmod = model.lanes.filter((lane) => lane.kind === 'task' && lane.label === 'insmod');
    assert.equal(insmod.length, 1, insmod.map((lane) => lane.id).join(', '));
    assert.equal(insmod[0].shared, true);
    const marks = model.rows.flatMap((row) => row.marks.filter((mark) => mark.lane === insmod[0].id));
    const pids = new Set(marks.map((mark) => /^insmod:(\d+)/.exec(mark.detail)?.[1]));
    assert.ok(pids.size >= 2 && !pids.has(undefined), `several insmod processes: ${[...pids].join(', ')}`);
    assert.equal(insmod[0].sublabel, `${pids.size} processes`);
    // Each is drawn for its own transition only, not from the first to the last.
    const lane = laneIndex(model, insmod[0].id);
    const drawn = model.rows.map((row) => row.lifelines[lane] !== 'none');
    const firstRow = drawn.indexOf(true);
    const lastRow = drawn.lastIndexOf(true);
    assert.ok(drawn.slice(firstRow, lastRow + 1).includes(false), 'gaps between the processes');
    // Pending until its tick, switched at it.
    const tick = model.rows.findIndex((row) => row.marks.some((mark) => mark.lane === insmod[0].id));
    assert.equal(model.rows[tick].lifelines[lane], 'switched');
    assert.equal(model.rows[tick - 1].lifelines[lane], 'pending');
    // A long-lived task keeps its own lane.
    assert.ok(model.lanes.some((other) => other.id === 'task:klp_worker:1001' && !other.shared));
  });

  it('puts one stack-check sweep on one row, one tick per task', () => {
    const sweep = model.rows[rowWith(model, 'task-switch-stack-check')];
    assert.ok(sweep.marks.length > 1, 'several tasks switched in the first sweep');
    assert.equal(new Set(sweep.marks.map((mark) => mark.lane)).size, sweep.marks.length);
    assert.ok(sweep.marks.every((mark) => mark.type === 'task-switch-stack-check'));
  });

  it('shows the stalled transition with the blocking task and its stack at source lines', () => {
    const stalledRow = rowWith(model, 'transition-stalled', 'patch:lp_worker');
    const stalled = model.rows[stalledRow].marks.find((mark) => mark.type === 'transition-stalled')!;
    assert.equal(stalled.stacks?.length, 1);
    assert.equal(stalled.stacks![0].title, 'klp_worker:1001');
    const worker = join(fixtures, 'sim', 'targets', 'klp_worker.c');
    const sleeping = readFileSync(worker, 'utf8').split('\n').findIndex((line) => line.includes('msleep('));
    const step = stalled.stacks![0].frames.find((frame) => frame.text === 'worker_step [klp_worker]');
    assert.deepEqual(step?.location, { uri: uriOf(worker), range: { start: { line: sleeping, character: 0 }, end: { line: sleeping, character: 0 } } });
    // The blocking task has a mark of its own on the same row.
    assert.ok(model.rows[stalledRow].marks.some((mark) => mark.type === 'task-blocking' && mark.lane === 'task:klp_worker:1001'));
  });

  it('draws the patch lane in transition, stalled until the force, then patched', () => {
    const init = rowWith(model, 'transition-init', 'patch:lp_worker');
    const stalled = rowWith(model, 'transition-stalled', 'patch:lp_worker');
    const force = rowWith(model, 'transition-force', 'patch:lp_worker');
    const complete = rowWith(model, 'transition-complete', 'patch:lp_worker');
    assert.ok(init < stalled && stalled < force && force < complete);
    assert.deepEqual(new Set(lifelinesOf(model, 'patch:lp_worker', init, stalled - 1)), new Set(['transition']));
    assert.deepEqual(new Set(lifelinesOf(model, 'patch:lp_worker', stalled, force - 1)), new Set(['stalled']));
    assert.equal(model.rows[complete + 1].lifelines[laneIndex(model, 'patch:lp_worker')], 'enabled');
    // Before anything happened to it, the patch has no line.
    assert.equal(model.rows[0].lifelines[laneIndex(model, 'patch:lp_worker')], 'none');
  });

  it('draws the blocking task pending from the transition start until it is forced, then switched', () => {
    const lane = 'task:klp_worker:1001';
    const init = rowWith(model, 'transition-init', 'patch:lp_worker');
    const forced = rowWith(model, 'task-switch-force', lane);
    const complete = rowWith(model, 'transition-complete', 'patch:lp_worker');
    assert.deepEqual(new Set(lifelinesOf(model, lane, init, forced - 1)), new Set(['pending']));
    assert.deepEqual(new Set(lifelinesOf(model, lane, forced, complete)), new Set(['switched']));
    assert.equal(model.rows[complete + 1].lifelines[laneIndex(model, lane)], 'live', 'no transition: the task is just there');
  });

  it('draws shadow variables from allocation to free, and the leaked one to the end', () => {
    const firstAlloc = rowWith(model, 'shadow-alloc', 'shadow:1');
    assert.equal(model.rows[firstAlloc - 1].lifelines[laneIndex(model, 'shadow:1')], 'none');
    assert.equal(model.rows[firstAlloc].lifelines[laneIndex(model, 'shadow:1')], 'live');
    const lastFree = model.rows.map((row, at) => (row.marks.some((mark) => mark.type === 'shadow-free' && mark.lane === 'shadow:1') ? at : -1)).filter((at) => at >= 0).pop()!;
    assert.equal(model.rows[lastFree + 1].lifelines[laneIndex(model, 'shadow:1')], 'none');
    assert.equal(model.rows[model.rows.length - 1].lifelines[laneIndex(model, 'shadow:2')], 'live', 'id 2 leaks');
    const leak = model.rows.find((row) => row.marks.some((mark) => mark.label === 'SIM-SHADOW-LEAK'));
    assert.ok(leak?.marks[0].location, 'the leak finding links to its allocation');
  });

  it('places findings after the rows of their step, and end-of-scenario findings last', () => {
    const wait = commandRow(model, 'wait transition lp_worker');
    const next = commandRow(model, 'echo 1 > /sys/kernel/livepatch/lp_worker/force');
    const stallFinding = model.rows.findIndex((row) => row.marks.some((mark) => mark.label === 'SIM-STALLED'));
    assert.ok(wait < stallFinding && stallFinding < next, `${wait} < ${stallFinding} < ${next}`);
    assert.equal(model.rows[stallFinding].marks[0].lane, 'findings');
    const last = model.rows[model.rows.length - 1];
    assert.ok(last.marks.some((mark) => mark.label === 'SIM-STATE-LEFT'));
  });

  it('links command rows to the scenario, and lists every link for the panel to allow', () => {
    const row = model.rows[commandRow(model, 'insmod ../sim/transition/lp_worker.ko')];
    const line = result.scenarioText.split('\n').findIndex((text) => text === 'insmod ../sim/transition/lp_worker.ko');
    assert.equal(row.command?.location?.uri, uriOf(scenario));
    assert.equal(row.command?.location?.range.start.line, line);
    const locations = timelineLocations(model);
    assert.ok(locations.some((location) => location.uri.endsWith('/klp_worker.c')));
    assert.ok(locations.some((location) => location.uri.endsWith('/lp_shadow.c')));
    assert.ok(locations.some((location) => location.uri === uriOf(scenario)));
  });

  it('has no scenario links for a generated scenario', async () => {
    const generated = buildTimeline({ ...result, scenarioUri: undefined });
    assert.ok(generated.rows.every((row) => !row.command || row.command.location === undefined));
  });
});

describe('the timeline of a reversed transition', () => {
  it('flips every task between pending and switched at the reversal', async () => {
    const model = buildTimeline(await simulate(join(fixtures, 'sim', 'transition', 'reverse.klpsim')));
    const reversals = model.rows.flatMap((row, at) => (row.marks.some((mark) => mark.type === 'transition-reverse') ? [at] : []));
    assert.equal(reversals.length, 2);
    // The second one: the disable waited on klp_worker (still patched); reversed to patching,
    // that task is where it must be and the tasks that had switched to unpatched must go back.
    const reverse = reversals[1];
    assert.equal(model.rows[reverse].lifelines[laneIndex(model, 'patch:lp_worker')], 'transition');
    assert.ok(model.rows[reverse].marks[0].label.startsWith('reversed to patching'));
    assert.equal(model.rows[reverse - 1].lifelines[laneIndex(model, 'task:klp_worker:1001')], 'pending');
    assert.equal(model.rows[reverse].lifelines[laneIndex(model, 'task:klp_worker:1001')], 'switched');
    const flip = { pending: 'switched', switched: 'pending' } as Record<string, string>;
    let tasks = 0;
    model.lanes.forEach((lane, index) => {
      const before = model.rows[reverse - 1].lifelines[index];
      if (lane.kind !== 'task' || !(before in flip)) return;
      tasks++;
      assert.equal(model.rows[reverse].lifelines[index], flip[before], lane.id);
    });
    assert.ok(tasks > 1, `${tasks} tasks in the transition`);
  });
});

describe('the timeline of faulting module code', () => {
  it('puts each fault in the lane of the task that ran the code, with its source line', async () => {
    const model = buildTimeline(await simulate(join(fixtures, 'sim', 'bad-code', 'faults.klpsim')));
    const faults = model.rows.flatMap((row) => row.marks.filter((mark) => mark.type === 'fault'));
    assert.ok(faults.length >= 5, `${faults.length} faults`);
    for (const fault of faults) assert.ok(fault.lane.startsWith('task:'), fault.lane);
    assert.ok(faults.some((fault) => fault.location?.uri.endsWith('/lp_bad.c')));
    const errors = model.rows.flatMap((row) => row.marks.filter((mark) => mark.type === 'finding-error'));
    assert.ok(errors.length >= faults.length, 'each fault is a finding too');
  });
});

describe('timelines without events', () => {
  it('says so, and still shows the findings', async () => {
    const result = await simulate(join(fixtures, 'timeline', 'stall-force-shadow.klpsim'));
    const model = buildTimeline({ ...result, events: undefined });
    assert.equal(model.empty, true);
    assert.deepEqual(model.lanes.map((lane) => lane.kind), ['findings']);
    assert.equal(model.rows.length, result.findings.length);
  });

  it('keeps at most maxTimelineEvents events, without log and output lines, and says it cut', () => {
    const events: SimEvent[] = [];
    for (let index = 0; index <= maxTimelineEvents; index++) {
      events.push({ kind: 'log', time: index, level: 6, text: 'x' });
      events.push({ kind: 'module', time: index, action: 'load', module: `m${index}` });
    }
    const kept = timelineEvents(events);
    assert.equal(kept.truncated, true);
    assert.equal(kept.events.length, maxTimelineEvents);
    assert.ok(kept.events.every((event) => event.kind === 'module'));
    assert.equal(timelineEvents(events.slice(0, 10)).truncated, false);
  });
});
