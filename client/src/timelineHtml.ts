/**
 * The timeline webview's page: a table whose columns are the lanes and whose rows are the
 * events (time flows down), with a legend and a time axis. Everything the model holds is text
 * from module sources and scenarios, so every string is escaped. The page runs under a strict
 * Content-Security-Policy: nothing loads but the stylesheets and the codicon font from the
 * webview's own origin, the one script carries a nonce, and there are no inline styles or event
 * handlers. Clicking (or pressing Enter on) anything with a source line posts
 * `{ command: 'open', uri, line }`; the extension decides whether to open it. The page saves the
 * state it is given (`setState`) for the panel serializer.
 * No `vscode` import: unit-tested, and rendered in headless Chromium by the picture test.
 */
import { randomBytes } from 'node:crypto';
import type { MessageLocation } from '../../server/src/protocol/messages';
import { locationText, secondsText, type LaneKind, type Lifeline, type TimelineLane, type TimelineMark, type TimelineModel } from './timelineModel';

/** The webview's title and the e2e tests' handle on it. */
export const timelineTitle = 'Livepatch Timeline';

export interface TimelineHtmlOptions {
  /** `webview.cspSource`: the origin the stylesheets and the font come from. */
  cspSource: string;
  /** Fresh per page: the only script runs with it. */
  nonce: string;
  /** URI of timeline.css as the webview sees it. */
  styleUri: string;
  /** URI of codicon.css (codicon.ttf beside it). */
  codiconsUri: string;
  /**
   * What the page saves with `setState` (timelineState.ts), so the panel comes back after a
   * window reload; it travels as escaped JSON in an attribute, not as a second script.
   */
  state?: unknown;
}

/** What the page posts when the user asks for a source line (0-based, as LSP). */
export interface OpenLocationMessage {
  command: 'open';
  uri: string;
  line: number;
}

/** A nonce for one page: 128 random bits. */
export function newNonce(): string {
  return randomBytes(16).toString('base64').replace(/[+/=]/g, (c) => ({ '+': '-', '/': '_', '=': '' })[c] ?? '');
}

const escapes: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text for HTML content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => escapes[c]);
}

export function contentSecurityPolicy(options: Pick<TimelineHtmlOptions, 'cspSource' | 'nonce'>): string {
  const source = options.cspSource;
  return [`default-src 'none'`, `style-src ${source}`, `font-src ${source}`, `img-src ${source}`, `script-src 'nonce-${options.nonce}'`].join('; ');
}

const groupTitles: Record<LaneKind, string> = { patch: 'Patches', object: 'Objects', shadow: 'Shadow variables', task: 'Tasks', findings: 'Findings' };
const laneIcons: Record<LaneKind, string> = { patch: 'versions', object: 'package', shadow: 'symbol-variable', task: 'server-process', findings: 'checklist' };

function icon(name: string): string {
  return `<i class="codicon codicon-${escapeHtml(name)}" aria-hidden="true"></i>`;
}

/** Attributes that make an element open a source line. */
function linkAttributes(location: MessageLocation | undefined): string {
  if (!location) return '';
  return ` data-uri="${escapeHtml(location.uri)}" data-line="${location.range.start.line}" role="button" tabindex="0"`;
}

function renderStacks(mark: TimelineMark): string {
  if (!mark.stacks?.length) return '';
  return mark.stacks
    .map((stack) => {
      const frames = stack.frames
        .map((frame) => {
          const where = frame.location ? `<span class="where">${escapeHtml(locationText(frame.location))}</span>` : '';
          return `<li class="frame${frame.location ? ' linked' : ''}"${linkAttributes(frame.location)}><span class="function">${escapeHtml(frame.text)}</span>${where}</li>`;
        })
        .join('');
      return `<div class="stack"><div class="stack-title">${icon('debug-stackframe')}${escapeHtml(stack.title)}</div><ol class="frames">${frames}</ol></div>`;
    })
    .join('');
}

function renderMark(mark: TimelineMark): string {
  const linked = mark.location ? ' linked' : '';
  const where = mark.location ? ` — ${locationText(mark.location)}` : '';
  const label = mark.label ? `<span class="mark-label">${escapeHtml(mark.label)}</span>` : '';
  const classes = `mark tone-${mark.tone} type-${escapeHtml(mark.type)}${mark.label ? '' : ' tick'}${linked}`;
  const head = `<div class="${classes}" title="${escapeHtml(mark.detail + where)}" aria-label="${escapeHtml(mark.detail)}"${linkAttributes(mark.location)}>${icon(mark.icon)}${label}</div>`;
  return mark.stacks?.length ? `<div class="mark-group">${head}${renderStacks(mark)}</div>` : head;
}

function laneHeader(lane: TimelineLane): string {
  const sub = lane.sublabel ? `<span class="lane-sub">${escapeHtml(lane.sublabel)}</span>` : '';
  return `<th scope="col" class="lane-head lane-${lane.kind}" data-lane="${escapeHtml(lane.id)}" title="${escapeHtml(lane.label)}">${icon(laneIcons[lane.kind])}<span class="lane-label">${escapeHtml(lane.label)}</span>${sub}</th>`;
}

function groupHeaders(lanes: TimelineLane[]): string {
  const groups: { kind: LaneKind; count: number }[] = [];
  for (const lane of lanes) {
    const last = groups[groups.length - 1];
    if (last?.kind === lane.kind) last.count++;
    else groups.push({ kind: lane.kind, count: 1 });
  }
  return groups.map((group) => `<th scope="colgroup" colspan="${group.count}" class="group group-${group.kind}">${escapeHtml(groupTitles[group.kind])}</th>`).join('');
}

const legendMarks: { icon: string; tone: string; text: string }[] = [
  { icon: 'play', tone: 'accent', text: 'transition start' },
  { icon: 'pass', tone: 'good', text: 'complete' },
  { icon: 'watch', tone: 'warning', text: 'stalled (with stacks)' },
  { icon: 'bell', tone: 'warning', text: 'signal' },
  { icon: 'arrow-swap', tone: 'accent', text: 'reverse' },
  { icon: 'zap', tone: 'error', text: 'force' },
  { icon: 'symbol-event', tone: 'neutral', text: 'callback' },
  { icon: 'check', tone: 'good', text: 'task switched' },
  { icon: 'add', tone: 'accent', text: 'shadow alloc' },
  { icon: 'trash', tone: 'neutral', text: 'free' },
  { icon: 'tag', tone: 'accent', text: 'state' },
  { icon: 'package', tone: 'neutral', text: 'module load/remove' },
  { icon: 'bug', tone: 'error', text: 'fault' },
  { icon: 'warning', tone: 'warning', text: 'finding' },
];

const legendLines: { life: Lifeline; text: string }[] = [
  { life: 'transition', text: 'in transition' },
  { life: 'stalled', text: 'stalled' },
  { life: 'enabled', text: 'patched' },
  { life: 'loaded', text: 'loaded, not patching' },
  { life: 'pending', text: 'task not switched yet' },
  { life: 'switched', text: 'task switched' },
  { life: 'live', text: 'present' },
];

function legend(): string {
  const marks = legendMarks.map((item) => `<li class="legend-item"><span class="mark tone-${item.tone} tick">${icon(item.icon)}</span>${escapeHtml(item.text)}</li>`).join('');
  const lines = legendLines.map((item) => `<li class="legend-item"><span class="swatch life-${item.life}"></span>${escapeHtml(item.text)}</li>`).join('');
  // A <details>: a narrow panel can fold it away without any script.
  return `<details class="legend" open><summary>Legend</summary><ul class="legend-marks">${marks}</ul><ul class="legend-lines">${lines}</ul></details>`;
}

/** Most rows the page draws: rows × lanes cells make the page, and a webview slows down past a few MiB. */
export const maxRenderedRows = 5000;

function renderRows(model: TimelineModel): string {
  let previousTime: number | undefined;
  return model.rows
    .slice(0, maxRenderedRows)
    .map((row) => {
      const advanced = previousTime === undefined || row.time !== previousTime;
      const gap = previousTime !== undefined && row.time - previousTime >= 1;
      previousTime = row.time;
      const timeCell = `<td class="time${advanced ? ' advanced' : ''}${gap ? ' gap' : ''}">${advanced ? escapeHtml(secondsText(row.time)) : ''}</td>`;
      const scenarioCell = row.command
        ? `<td class="scenario command${row.command.location ? ' linked' : ''}" title="${escapeHtml(`scenario line ${row.command.line}: ${row.command.text}`)}"${linkAttributes(row.command.location)}><div class="command-line"><span class="prompt">$</span><span class="command-text">${escapeHtml(row.command.text)}</span><span class="line-number">${row.command.line}</span></div></td>`
        : '<td class="scenario"></td>';
      const cells = model.lanes
        .map((lane, index) => {
          const marks = row.marks.filter((mark) => mark.lane === lane.id).map(renderMark).join('');
          return `<td class="cell lane-${lane.kind} life-${row.lifelines[index] ?? 'none'}">${marks}</td>`;
        })
        .join('');
      return `<tr class="row${row.command ? ' command-row' : ''}">${timeCell}${scenarioCell}${cells}</tr>`;
    })
    .join('\n');
}

/** The whole page for a timeline. */
export function renderTimelineHtml(model: TimelineModel, options: TimelineHtmlOptions): string {
  const notices: string[] = [];
  if (model.empty) notices.push('This run produced no timeline events (nothing ran, or the language server predates the timeline).');
  if (model.truncated) notices.push('The run had more events than the timeline shows: only the first ones are drawn.');
  if (model.rows.length > maxRenderedRows) notices.push(`The timeline has ${model.rows.length} rows: only the first ${maxRenderedRows} are drawn (the Output channel has the whole transcript).`);
  const noticeHtml = notices.map((text) => `<p class="notice">${icon('info')}${escapeHtml(text)}</p>`).join('');
  const table = model.lanes.length === 0 && model.rows.length === 0
    ? ''
    : `<div class="scroller"><table class="timeline" aria-label="Simulation timeline: time flows down, one column per patch, object, shadow variable and task">
<thead><tr class="groups"><th scope="col" rowspan="2" class="time-head">${icon('clock')}time</th><th scope="col" rowspan="2" class="scenario-head">${icon('terminal')}scenario</th>${groupHeaders(model.lanes)}</tr>
<tr class="lanes">${model.lanes.map(laneHeader).join('')}</tr></thead>
<tbody>
${renderRows(model)}
</tbody></table></div>`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(contentSecurityPolicy(options))}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="${escapeHtml(options.codiconsUri)}">
<link rel="stylesheet" href="${escapeHtml(options.styleUri)}">
<title>${escapeHtml(timelineTitle)}</title>
</head>
<body${options.state === undefined ? '' : ` data-state="${escapeHtml(JSON.stringify(options.state))}"`}>
<header class="summary">
<h1>${icon('history')}${escapeHtml(timelineTitle)} <span class="scenario-label">${escapeHtml(model.title)}</span></h1>
<p class="subtitle">${escapeHtml(model.subtitle)}</p>
${legend()}
${noticeHtml}
</header>
${table}
<script nonce="${escapeHtml(options.nonce)}">
(function () {
  const vscode = acquireVsCodeApi();
  const saved = document.body.getAttribute('data-state');
  if (saved) {
    try {
      vscode.setState(JSON.parse(saved));
    } catch (error) {
      // Not restorable after a reload then; the page itself still works.
    }
  }
  function linkOf(event) {
    return event.target instanceof Element ? event.target.closest('[data-uri]') : null;
  }
  function open(element) {
    const uri = element.getAttribute('data-uri');
    const line = Number(element.getAttribute('data-line'));
    if (uri && Number.isInteger(line)) vscode.postMessage({ command: 'open', uri: uri, line: line });
  }
  document.addEventListener('click', function (event) {
    const element = linkOf(event);
    if (element) open(element);
  });
  // A mouse press on an event does not focus the page: VS Code learns of a webview's focus by
  // polling, and a focus it learned of after the clicked line's editor had opened made the
  // timeline's group active again (the line shown, but the timeline the active editor).
  document.addEventListener('mousedown', function (event) {
    if (linkOf(event)) event.preventDefault();
  });
  document.addEventListener('keydown', function (event) {
    if (event.key !== 'Enter' && event.key !== ' ') return;
    const element = linkOf(event);
    if (!element) return;
    event.preventDefault();
    open(element);
  });
  // Clicks before this point would find no listener: tests (and nothing else) wait for it.
  document.body.setAttribute('data-ready', 'true');
})();
</script>
</body>
</html>
`;
}
