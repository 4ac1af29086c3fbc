/**
 * The timeline as a picture: a real simulation run (the real language server over stdio runs
 * test/fixtures/timeline/stall-force-shadow.klpsim in its simulation worker) is laid out and
 * rendered to the webview page, which headless Chromium (Debian's `chromium`, driven by
 * playwright-core) loads from a local HTTP origin standing in for the webview's cspSource,
 * with VS Code's theme variables set as VS Code sets them. The DOM is checked (lanes, the
 * stalled transition's stack, the Content-Security-Policy actually enforced and not violated,
 * the stylesheet and codicon font loaded through it, clicks posting the right message through
 * an acquireVsCodeApi shim), and screenshots in a dark and a light theme (timeline.png,
 * timeline-light.png: the whole picture; timeline-panel.png: a panel's view) are saved to
 * test-artifacts/ for people to look at. Skips, saying why, when Chromium is not installed.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { AllowedLocations } from '../../client/src/timelineMessages';
import { renderTimelineHtml, newNonce, timelineTitle } from '../../client/src/timelineHtml';
import { buildTimeline, timelineLocations, type TimelineModel } from '../../client/src/timelineModel';
import { RunSimulationRequest, type RunSimulationResult } from '../../server/src/protocol/messages';
import { LspTestClient, fileUri, repoRoot } from '../protocol/lspClient';

const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const fixtures = join(repoRoot, 'test', 'fixtures');
const scenario = join(fixtures, 'timeline', 'stall-force-shadow.klpsim');
const workerSource = join(fixtures, 'sim', 'targets', 'klp_worker.c');
const artifacts = join(repoRoot, 'test-artifacts');

/** Theme variables as VS Code puts them on the webview's <html> (values of the Modern themes). */
const themes: Record<'dark' | 'light', Record<string, string>> = {
  dark: {
    '--vscode-font-family': 'system-ui, "Ubuntu", "Droid Sans", sans-serif',
    '--vscode-font-size': '13px',
    '--vscode-editor-font-family': '"Droid Sans Mono", "monospace", monospace',
    '--vscode-foreground': '#cccccc',
    '--vscode-editor-background': '#1f1f1f',
    '--vscode-descriptionForeground': '#9d9d9d',
    '--vscode-panel-border': '#2b2b2b',
    '--vscode-sideBar-background': '#181818',
    '--vscode-textCodeBlock-background': '#2b2b2b',
    '--vscode-charts-blue': '#3794ff',
    '--vscode-charts-green': '#89d185',
    '--vscode-charts-orange': '#d18616',
    '--vscode-charts-red': '#f14c4c',
    '--vscode-charts-purple': '#b180d7',
    '--vscode-textLink-foreground': '#4daafc',
    '--vscode-focusBorder': '#0078d4',
    '--vscode-list-hoverBackground': '#2a2d2e',
  },
  light: {
    '--vscode-font-family': 'system-ui, "Ubuntu", "Droid Sans", sans-serif',
    '--vscode-font-size': '13px',
    '--vscode-editor-font-family': '"Droid Sans Mono", "monospace", monospace',
    '--vscode-foreground': '#3b3b3b',
    '--vscode-editor-background': '#ffffff',
    '--vscode-descriptionForeground': '#717171',
    '--vscode-panel-border': '#e5e5e5',
    '--vscode-sideBar-background': '#f8f8f8',
    '--vscode-textCodeBlock-background': '#f0f0f0',
    '--vscode-charts-blue': '#1a85ff',
    '--vscode-charts-green': '#388a34',
    '--vscode-charts-orange': '#d18616',
    '--vscode-charts-red': '#e51400',
    '--vscode-charts-purple': '#652d90',
    '--vscode-textLink-foreground': '#005fb8',
    '--vscode-focusBorder': '#005fb8',
    '--vscode-list-hoverBackground': '#f2f2f2',
  },
};

/** 0-based line of the first line of a file containing `needle`. */
function lineOf(path: string, needle: string): number {
  const index = readFileSync(path, 'utf8').split('\n').findIndex((line) => line.includes(needle));
  assert.ok(index >= 0, `${path} has a line with ${needle}`);
  return index;
}

/** Serves the page and the media the way the webview would: the page, /media/*. */
function serve(html: () => string): Promise<Server> {
  const media: Record<string, { path: string; type: string }> = {
    '/media/timeline.css': { path: join(repoRoot, 'client', 'src', 'timeline.css'), type: 'text/css' },
    '/media/codicon.css': { path: join(repoRoot, 'node_modules', '@vscode', 'codicons', 'dist', 'codicon.css'), type: 'text/css' },
    '/media/codicon.ttf': { path: join(repoRoot, 'node_modules', '@vscode', 'codicons', 'dist', 'codicon.ttf'), type: 'font/ttf' },
  };
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').replace(/\?.*$/, '');
    if (path === '/') {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      response.end(html());
      return;
    }
    const file = media[path];
    if (!file) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': file.type });
    response.end(readFileSync(file.path));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/**
 * The acquireVsCodeApi shim, run before the page's own script: records what the page posts (VS
 * Code allows one acquisition per page) and every CSP violation. A string, not a function, so
 * that nothing the TypeScript transform adds can leak into the page.
 */
const shim = `
  window.posted = [];
  window.violations = [];
  let acquired = false;
  window.acquireVsCodeApi = () => {
    if (acquired) throw new Error('acquireVsCodeApi called twice');
    acquired = true;
    return { postMessage: (message) => window.posted.push(message), getState: () => undefined, setState: () => undefined };
  };
  document.addEventListener('securitypolicyviolation', (event) => window.violations.push(event.violatedDirective + ' ' + event.blockedURI));
`;

/** Evaluates a JavaScript expression in the page (text: this project compiles without DOM types). */
function inPage<T = unknown>(page: Page, expression: string): Promise<T> {
  return page.evaluate(expression) as Promise<T>;
}

async function applyTheme(page: Page, theme: 'dark' | 'light'): Promise<void> {
  await inPage(
    page,
    `for (const [name, value] of Object.entries(${JSON.stringify(themes[theme])})) document.documentElement.style.setProperty(name, value);
     document.body.classList.remove('vscode-dark', 'vscode-light');
     document.body.classList.add('vscode-${theme}')`,
  );
}

const skip = existsSync(chromiumPath) ? false : `Chromium is not installed at ${chromiumPath} (apt-get install -y chromium, or set CHROMIUM_PATH)`;

describe('the timeline picture', { skip }, () => {
  let client: LspTestClient;
  let result: RunSimulationResult;
  let model: TimelineModel;
  let server: Server;
  let browser: Browser;
  let page: Page;
  let origin: string;
  let nonce: string;
  const pageErrors: string[] = [];

  before(async () => {
    client = await LspTestClient.start({ workspaceFolder: join(fixtures, 'timeline') });
    result = await client.request<RunSimulationResult>(RunSimulationRequest.method, { scenario: { kind: 'file', uri: fileUri(scenario) } }, 60_000);
    model = buildTimeline(result);
    server = await serve(() => {
      nonce = newNonce();
      return renderTimelineHtml(model, { cspSource: origin, nonce, styleUri: `${origin}/media/timeline.css`, codiconsUri: `${origin}/media/codicon.css` });
    });
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox', '--disable-gpu'] });
    page = await browser.newPage({ viewport: { width: 1600, height: 900 }, deviceScaleFactor: 1 });
    await page.addInitScript(shim);
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(`${origin}/`);
    await applyTheme(page, 'dark');
    await inPage(page, 'document.fonts.ready.then(() => true)');
  });

  after(async () => {
    await browser?.close();
    server?.close();
    await client?.stop();
  });

  it('gets the events from the server, with the stalled task stack at source URIs', () => {
    assert.deepEqual(result.inputErrors, []);
    const stalled = result.events?.find((event) => event.kind === 'transition' && event.phase === 'stalled');
    assert.ok(stalled && stalled.kind === 'transition', `a stalled transition in ${JSON.stringify(result.events?.map((e) => e.kind))}`);
    const blocker = stalled.blockers?.find((task) => task.comm === 'klp_worker');
    assert.ok(blocker, JSON.stringify(stalled));
    const step = blocker.stack.find((frame) => frame.function === 'worker_step');
    assert.equal(step?.location?.uri, fileUri(workerSource));
    assert.equal(step?.location?.range.start.line, lineOf(workerSource, 'msleep('));
  });

  it('is a page under a strict Content-Security-Policy that loads its style and font without violations', async () => {
    const csp = await page.getAttribute('meta[http-equiv="Content-Security-Policy"]', 'content');
    assert.ok(csp, 'the CSP meta tag');
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, new RegExp(`script-src 'nonce-${nonce.replace(/[-_]/g, '\\$&')}'`));
    assert.ok(!/unsafe-inline|unsafe-eval/.test(csp), csp);
    assert.equal(await page.title(), timelineTitle);
    // (The test itself sets the theme variables on <html>, as VS Code does.)
    assert.equal(await page.locator('body [style]').count(), 0, 'no inline style attributes');
    assert.equal(await inPage(page, `[...document.querySelectorAll('*')].filter((el) => [...el.attributes].some((a) => a.name.startsWith('on'))).length`), 0, 'no inline event handlers');
    // The stylesheet applied (a patched lane draws a 5px line) and the codicon font loaded.
    const enabledWidth = await inPage(page, `(() => {
      const cell = document.querySelector('td.cell.life-enabled');
      return cell ? getComputedStyle(cell, '::before').width : 'no enabled lifeline';
    })()`);
    assert.equal(enabledWidth, '5px');
    const fontLoaded = await inPage(page, `[...document.fonts].some((font) => font.family.replace(/"/g, '') === 'codicon' && font.status === 'loaded')`);
    assert.ok(fontLoaded, 'the codicon font loaded');
    assert.deepEqual(await inPage(page, 'window.violations'), []);
    assert.deepEqual(pageErrors, []);
    // And the policy is enforced: a script without the nonce does not run.
    const injected = await inPage(page, `(() => {
      const script = document.createElement('script');
      script.textContent = 'window.injectedRan = true';
      document.body.append(script);
      return window.injectedRan === true;
    })()`);
    assert.equal(injected, false);
  });

  it('has a lane per patch, object, shadow variable id and task, and a findings lane', async () => {
    const lanes = await page.$$eval('th.lane-head', (heads) => heads.map((head) => head.getAttribute('data-lane')));
    for (const lane of ['patch:lp_worker', 'patch:lp_shadow', 'patch:lp_state_v1', 'object:vmlinux', 'object:klp_worker', 'shadow:1', 'task:klp_worker:1001', 'findings']) {
      assert.ok(lanes.includes(lane), `lane ${lane} in ${lanes.join(', ')}`);
    }
    // Group order: patches, objects, shadow variables, tasks, findings.
    const groups = await page.$$eval('th.group', (heads) => heads.map((head) => head.textContent));
    assert.deepEqual(groups, ['Patches', 'Objects', 'Shadow variables', 'Tasks', 'Findings']);
    // Every row has one cell per lane after the time and scenario columns.
    const widths = await page.$$eval('tbody tr', (rows) => [...new Set(rows.map((row) => row.children.length))]);
    assert.deepEqual(widths, [lanes.length + 2]);
  });

  it('shows the stalled transition with the blocking task and its stack', async () => {
    const group = page.locator('td[class*="lane-patch"] .mark-group', { has: page.locator('.type-transition-stalled') });
    assert.equal(await group.count(), 1);
    assert.match((await group.locator('.stack-title').textContent()) ?? '', /klp_worker:1001/);
    const frames = await group.locator('.frame').allTextContents();
    assert.ok(frames.some((frame) => frame.startsWith('worker_step [klp_worker]') && frame.includes(`klp_worker.c:${lineOf(workerSource, 'msleep(') + 1}`)), frames.join(' | '));
    assert.ok(frames.some((frame) => frame.startsWith('worker_fn')), frames.join(' | '));
    // The patch lane is drawn stalled until the force, and the blocking task's lane says so.
    assert.ok((await page.locator('td.lane-patch.life-stalled').count()) > 0);
    assert.equal(await page.locator('.type-task-blocking').count(), 1);
    assert.ok((await page.locator('.type-transition-force').count()) >= 1);
  });

  it('shows callbacks, task switches, shadow variables, states, modules and findings', async () => {
    for (const type of ['callback-pre_patch', 'callback-post_patch', 'task-switch-stack-check', 'task-switch-force', 'shadow-alloc', 'shadow-duplicate', 'state-installed', 'module-load', 'module-unload', 'patch-enabled', 'finding-warning']) {
      assert.ok((await page.locator(`.mark.type-${type}`).count()) > 0, `a ${type} mark`);
    }
    assert.ok((await page.locator('tr.command-row').count()) >= 10, 'a row per scenario command');
    assert.ok((await page.locator('td.time.gap').count()) > 0, 'the time axis shows the jump while the transition waited');
  });

  it('posts an open message for the clicked event, and only what the timeline links to is allowed', async () => {
    const allowed = new AllowedLocations(timelineLocations(model));
    const frame = page.locator('.frame.linked', { hasText: 'worker_step' });
    await frame.click();
    const command = page.locator('td.command.linked', { hasText: 'insmod ../sim/transition/lp_worker.ko' });
    await command.click();
    const alloc = page.locator('.mark.type-shadow-alloc.linked').first();
    await alloc.focus();
    await page.keyboard.press('Enter');
    const posted = await inPage<unknown[]>(page, 'window.posted');
    const shadowSource = join(fixtures, 'sim', 'shadow', 'lp_shadow.c');
    assert.deepEqual(posted.slice(0, 2), [
      { command: 'open', uri: fileUri(workerSource), line: lineOf(workerSource, 'msleep(') },
      { command: 'open', uri: fileUri(scenario), line: lineOf(scenario, 'insmod ../sim/transition/lp_worker.ko') },
    ]);
    const third = posted[2] as { uri: string; line: number };
    assert.equal(third.uri, fileUri(shadowSource));
    assert.match(readFileSync(shadowSource, 'utf8').split('\n')[third.line], /klp_shadow_(get_or_)?alloc/);
    for (const message of posted) assert.ok(allowed.openRequestOf(message), JSON.stringify(message));
    assert.equal(allowed.openRequestOf({ command: 'open', uri: 'file:///etc/passwd', line: 0 }), undefined);
  });

  it('marks itself ready once its listeners are attached, and a press on an event does not take the focus', async () => {
    assert.equal(await page.getAttribute('body', 'data-ready'), 'true');
    // VS Code polls a webview's focus: a page that took it on the press could make the timeline
    // the active editor again after the clicked line's editor opened.
    const pressed = (selector: string) =>
      inPage<boolean>(page, `(() => { const e = new MouseEvent('mousedown', { bubbles: true, cancelable: true }); document.querySelector(${JSON.stringify(selector)}).dispatchEvent(e); return e.defaultPrevented; })()`);
    assert.equal(await pressed('.mark.type-shadow-alloc.linked'), true, 'a press on a linked event is cancelled');
    assert.equal(await pressed('th.lane-head'), false, 'a press elsewhere is left alone');
  });

  it('saves screenshots in a dark and a light theme', async () => {
    mkdirSync(artifacts, { recursive: true });
    // What a panel of this size shows, scrolled to the stalled transition ...
    await page.locator('.type-transition-stalled').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(artifacts, 'timeline-panel.png') });
    // ... and the whole picture: the table scrolls inside the panel, so make the window as big as it.
    const size = await inPage<{ width: number; height: number }>(page, `(() => {
      const table = document.querySelector('table.timeline');
      const header = document.querySelector('header.summary');
      return { width: Math.max(table.scrollWidth, header.scrollWidth) + 16, height: header.scrollHeight + table.scrollHeight + 16 };
    })()`);
    await page.setViewportSize({ width: Math.min(size.width, 6000), height: Math.min(size.height, 8000) });
    await inPage(page, `document.querySelector('.scroller').scrollTo(0, 0)`);
    await page.mouse.move(0, 0);
    await page.screenshot({ path: join(artifacts, 'timeline.png'), fullPage: true });
    await applyTheme(page, 'light');
    await page.screenshot({ path: join(artifacts, 'timeline-light.png'), fullPage: true });
    // The themes change the picture: the page follows the variables instead of fixed colours.
    const background = await inPage(page, 'getComputedStyle(document.body).backgroundColor');
    assert.equal(background, 'rgb(255, 255, 255)');
  });
});
