/**
 * The timeline page as text: escaping of everything that comes from module sources and
 * scenarios, the Content-Security-Policy and its nonce, no inline styles or handlers, links
 * only where there is a source line, and the notices for empty and cut timelines. (How it
 * looks, and that the policy holds in a browser, is timelineRender.test.ts.)
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { contentSecurityPolicy, escapeHtml, maxRenderedRows, newNonce, renderTimelineHtml, timelineTitle, type TimelineHtmlOptions } from '../../client/src/timelineHtml';
import { buildTimeline } from '../../client/src/timelineModel';
import type { RunSimulationResult, SimulationEvent } from '../../server/src/protocol/messages';

const options: TimelineHtmlOptions = {
  cspSource: 'https://webview.example',
  nonce: 'abcDEF123_-',
  styleUri: 'https://webview.example/media/timeline.css',
  codiconsUri: 'https://webview.example/media/codicon.css',
};

const hostile = `"><img src=x onerror=alert(1)><script>alert(2)</script>`;

function result(events: SimulationEvent[], extra: Partial<RunSimulationResult> = {}): RunSimulationResult {
  return {
    label: 'scenario.klpsim',
    scenarioUri: 'file:///work/scenario.klpsim',
    scenarioText: 'insmod lp.ko\n',
    transcript: '',
    findings: [],
    diagnostics: [],
    inputErrors: [],
    kernel: { release: '6.1.0', architecture: 'x86_64', source: 'embedded default' },
    durationMs: 3,
    events,
    ...extra,
  };
}

const at = (uri: string, line: number) => ({ uri, range: { start: { line, character: 0 }, end: { line, character: 0 } } });

const hostileRun = result(
  [
    { kind: 'command', time: 0, text: `echo ${hostile} > /dev/kmsg`, line: 1 },
    { kind: 'transition', time: 0, patch: hostile, phase: 'init', target: 'patched' },
    { kind: 'callback', time: 0, patch: hostile, object: hostile, callback: 'pre_patch', function: hostile, result: 0, location: at(`file:///work/${encodeURIComponent(hostile)}.c`, 4) },
    {
      kind: 'transition',
      time: 120,
      patch: hostile,
      phase: 'stalled',
      target: 'patched',
      blockers: [{ pid: 7, comm: hostile, stack: [{ function: hostile, object: hostile, location: at('file:///work/a".c', 2) }] }],
    },
    { kind: 'fault', time: 121, task: hostile, message: hostile, stack: [hostile] },
  ],
  { label: hostile, findings: [{ code: 'SIM-FAULT', severity: 'error', message: hostile, step: 'end' }] },
);

describe('the timeline page', () => {
  const html = renderTimelineHtml(buildTimeline(hostileRun), options);

  it('escapes every text from sources and scenarios', () => {
    assert.ok(!html.includes('<img'), 'no element from the data');
    assert.ok(!html.includes('<script>alert'), 'no script from the data');
    assert.ok(html.includes(escapeHtml(hostile)), 'the text is shown, escaped');
    assert.ok(html.includes('data-uri="file:///work/a&quot;.c"'), 'attributes are escaped too');
    assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });

  it('has one script, with the nonce, and no inline styles or event handlers', () => {
    assert.equal(html.match(/<script/g)?.length, 1);
    assert.ok(html.includes(`<script nonce="${options.nonce}">`));
    assert.ok(!/\sstyle=/.test(html), 'no style attribute');
    assert.ok(!/<style/.test(html), 'no style element');
    assert.ok(!/\son[a-z]+=/i.test(html.replace(/&quot;&gt;&lt;img src=x onerror=alert\(1\)/g, '')), 'no event handler attribute');
  });

  it('declares a strict Content-Security-Policy for the webview origin', () => {
    const csp = contentSecurityPolicy(options);
    assert.equal(csp, "default-src 'none'; style-src https://webview.example; font-src https://webview.example; img-src https://webview.example; script-src 'nonce-abcDEF123_-'");
    assert.ok(html.includes(`<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">`));
    assert.ok(html.includes(`<link rel="stylesheet" href="${options.styleUri}">`));
    assert.ok(html.includes(`<link rel="stylesheet" href="${options.codiconsUri}">`));
    assert.ok(html.includes(`<title>${timelineTitle}</title>`));
  });

  it('makes only elements with a source line clickable', () => {
    const links = [...html.matchAll(/data-uri="([^"]*)" data-line="(\d+)" role="button" tabindex="0"/g)].map((match) => `${match[1]}#${match[2]}`);
    // The callback, the command, the stalled task's frame, and the blocking task's mark (its innermost located frame).
    assert.deepEqual(links.sort(), ['file:///work/%22%3E%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E%3Cscript%3Ealert(2)%3C%2Fscript%3E.c#4', 'file:///work/a&quot;.c#2', 'file:///work/a&quot;.c#2', 'file:///work/scenario.klpsim#0'].sort());
    // The fault has no source line: its mark is not a link.
    assert.match(html, /<div class="mark tone-error type-fault"(?![^>]*data-uri)[^>]*>/);
  });

  it('says when there are no events, and when the events were cut', () => {
    const empty = renderTimelineHtml(buildTimeline(result([], { events: undefined })), options);
    assert.match(empty, /class="notice"[^]*no timeline events/);
    assert.ok(!empty.includes('<table'), 'no table without lanes or rows');
    const cut = renderTimelineHtml(buildTimeline(result([{ kind: 'module', time: 0, action: 'load', module: 'm' }], { eventsTruncated: true })), options);
    assert.match(cut, /only the first ones are drawn/);
    assert.ok(cut.includes('<table'));
  });

  it('draws at most maxRenderedRows rows and says so', () => {
    const events: SimulationEvent[] = Array.from({ length: maxRenderedRows + 10 }, (_, index) => ({ kind: 'module', time: index, action: 'load', module: 'm' }));
    const page = renderTimelineHtml(buildTimeline(result(events)), options);
    assert.equal(page.match(/<tr class="row/g)?.length, maxRenderedRows);
    assert.match(page, new RegExp(`has ${maxRenderedRows + 10} rows: only the first ${maxRenderedRows} are drawn`));
  });

  it('makes a fresh nonce every time', () => {
    const nonces = new Set(Array.from({ length: 50 }, newNonce));
    assert.equal(nonces.size, 50);
    for (const nonce of nonces) assert.match(nonce, /^[A-Za-z0-9_-]{22}$/);
  });
});
