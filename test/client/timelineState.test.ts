/**
 * The timeline's saved state, as the panel serializer gets it back after a window reload: the
 * model of a real simulation run goes into the page (the attribute its script hands to
 * `setState`), comes back through JSON, and is restored equal; states that are not a timeline of
 * this version are refused instead of drawn.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { maxRenderedRows, newNonce, renderTimelineHtml } from '../../client/src/timelineHtml';
import { buildTimeline, timelineLocations, type TimelineModel } from '../../client/src/timelineModel';
import { restoreTimelineModel, timelineState, timelineStateVersion, unrestorableTimeline } from '../../client/src/timelineState';
import { simulate } from '../helpers/simulationResult';

const scenario = join(__dirname, '..', 'fixtures', 'timeline', 'stall-force-shadow.klpsim');
const options = { cspSource: 'https://webview.example', nonce: newNonce(), styleUri: 'https://webview.example/timeline.css', codiconsUri: 'https://webview.example/codicon.css' };

/** What the page's script passes to setState: the data-state attribute, unescaped as a browser does. */
function savedByPage(html: string): unknown {
  const attribute = /<body data-state="([^"]*)">/.exec(html);
  assert.ok(attribute, 'the page carries its state');
  const text = attribute[1].replace(/&(lt|gt|quot|#39|amp);/g, (_, name: string) => ({ lt: '<', gt: '>', quot: '"', '#39': "'", amp: '&' })[name]!);
  return JSON.parse(text);
}

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

describe('the timeline state kept across a window reload', () => {
  let model: TimelineModel;
  before(async () => {
    model = buildTimeline(await simulate(scenario));
  });

  it('restores the model of a real run from what the page saves, links included', (t) => {
    assert.ok(model.rows.length > 5 && model.lanes.length > 2, 'a run with something to draw');
    const html = renderTimelineHtml(model, { ...options, state: timelineState(model) });
    assert.equal(html.match(/<script/g)?.length, 1, 'the state is no second script');
    const restored = restoreTimelineModel(clone(savedByPage(html)));
    assert.deepEqual(restored, clone(model));
    assert.deepEqual(timelineLocations(restored!), timelineLocations(model), 'the restored panel opens the same lines');
    // Drawn again, the page is the same (the state's JSON may order keys differently).
    const again = renderTimelineHtml(restored!, { ...options, state: timelineState(restored!) });
    const withoutState = (page: string) => page.replace(/ data-state="[^"]*"/, '');
    assert.equal(withoutState(again), withoutState(html));
    assert.deepEqual(savedByPage(again), savedByPage(html));
    t.diagnostic(`saved state of ${model.rows.length} rows and ${model.lanes.length} lanes: ${JSON.stringify(timelineState(model)).length} characters of JSON`);
  });

  it('keeps only the rows the page draws for a long run', () => {
    const long: TimelineModel = { ...model, rows: Array.from({ length: maxRenderedRows + 10 }, (_, index) => ({ ...model.rows[index % model.rows.length] })) };
    const state = timelineState(long);
    assert.equal(state.model.rows.length, maxRenderedRows);
    assert.equal(state.model.truncated, true);
    assert.equal(restoreTimelineModel(clone(state))?.rows.length, maxRenderedRows);
  });

  it('refuses states that are not a timeline of this version', () => {
    const good = clone(timelineState(model));
    const broken: [string, unknown][] = [
      ['nothing', undefined],
      ['null', null],
      ['a string', 'timeline'],
      ['another version', { ...good, version: timelineStateVersion + 1 }],
      ['no model', { version: timelineStateVersion }],
      ['lanes not a list', { ...good, model: { ...good.model, lanes: {} } }],
      ['a lane of an unknown kind', { ...good, model: { ...good.model, lanes: [{ ...good.model.lanes[0], kind: 'script' }] } }],
      ['a row time that is not a number', { ...good, model: { ...good.model, rows: [{ ...good.model.rows[0], time: '0' }] } }],
      ['an unknown lifeline', { ...good, model: { ...good.model, rows: [{ ...good.model.rows[0], lifelines: ['<img>'] }] } }],
      ['a mark tone that is no tone', { ...good, model: { ...good.model, rows: [{ ...good.model.rows[0], marks: [{ lane: 'x', type: 't', icon: 'i', label: 'l', detail: 'd', tone: 'red' }] }] } }],
      ['a location line below zero', { ...good, model: { ...good.model, rows: [{ time: 0, marks: [], lifelines: [], command: { text: 'x', line: 1, location: { uri: 'file:///a', range: { start: { line: -1, character: 0 }, end: { line: 0, character: 0 } } } } }] } }],
      ['more lifelines than lanes', { ...good, model: { ...good.model, lanes: [], rows: [{ time: 0, marks: [], lifelines: ['live'] }] } }],
    ];
    for (const [what, state] of broken) assert.equal(restoreTimelineModel(state), undefined, what);
  });

  it('drops fields a timeline does not have', () => {
    const good = clone(timelineState(model));
    const extra = { ...good, model: { ...good.model, script: 'alert(1)', lanes: good.model.lanes.map((lane) => ({ ...lane, onclick: 'x' })) } };
    assert.deepEqual(restoreTimelineModel(extra), clone(model));
  });

  it('the note for an unrestorable state draws as a page without a table', () => {
    const html = renderTimelineHtml(unrestorableTimeline(), { ...options, state: timelineState(unrestorableTimeline()) });
    assert.ok(!html.includes('<table'));
    assert.match(html, /could not be restored/);
  });
});
