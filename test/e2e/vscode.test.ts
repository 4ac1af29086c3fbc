/**
 * End-to-end in a real VS Code: the packaged .vsix installed into code-server (VS Code 1.100 for
 * the browser, from the npm registry), opened in headless Chromium and driven through the UI with
 * playwright-core. It checks what a person sees: the diagnostic in the Problems view, a quick fix
 * from Ctrl+. that makes it go away, the activation time the extension logs in its Output
 * channel, "Livepatch: Run Simulation" from the command palette (the generated default scenario,
 * then a `.klpsim` of the workspace, each chosen in the scenario picker) writing the dmesg-form
 * transcript to its Output channel, a simulation finding in the Problems view and the timeline
 * panel; clicking a timeline event opens its source line, and the timeline comes back after
 * "Developer: Reload Window".
 *
 * Needs test/e2e/setup.sh (chromium, code-server, playwright-core) and a built dist/; without the
 * first it skips with the reason (fails instead when KLP_E2E_REQUIRED=1, as in CI). Screenshots go
 * to test-artifacts/e2e-*.png.
 */
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { codeServerFolders, installExtension, packageExtension, startCodeServer, writeUserSettings, type RunningCodeServer } from './codeServer';
import { e2eMissing, findChromium, loadPlaywright, repoRoot } from './host';
import type { Browser } from './playwright';
import { Workbench } from './workbench';

/** Longest wait for one UI event outside the steps (starting the workbench). */
const uiTimeout = 120_000;
/**
 * What one step may take in all, its waits together: generous (a step took 1-27 s here, also
 * with both cores kept busy by other work), yet a failing step cannot wait 120 s per locator.
 */
const stepBudget = 120_000;
const fixtureFolder = join(repoRoot, 'test', 'fixtures', 'e2e', 'uptime-fix');
const fixtureFile = 'livepatch-uptime.c';
/** A module whose scenario leaks a shadow variable (SIM-SHADOW-LEAK at the allocation). */
const scenarioFolder = join(repoRoot, 'test', 'fixtures', 'e2e', 'counter-leak');
const scenarioFile = 'reader-count.klpsim';
const scenarioModuleFile = 'livepatch-counter.c';
/** The budget the issue sets for activation on this machine. */
const activationBudgetMs = 500;
const artifacts = join(repoRoot, 'test-artifacts');
const missing = e2eMissing();
/** Set by .ci/run after test/e2e/setup.sh: there a missing host is a failure, not a skip. */
const required = process.env.KLP_E2E_REQUIRED === '1';
const skipReason = missing && !required ? `end-to-end test skipped: ${missing}` : false;

/** Where the fixture declares its struct klp_patch: the diagnostic for the whole module points at its name. */
function patchDeclarationPosition(): { line: number; column: number } {
  const lines = readFileSync(join(fixtureFolder, fixtureFile), 'utf8').split('\n');
  const index = lines.findIndex((line) => /^static struct klp_patch \w+ = \{/.test(line));
  assert.ok(index >= 0, 'the fixture declares a struct klp_patch');
  const name = /klp_patch (\w+)/.exec(lines[index])!;
  return { line: index + 1, column: lines[index].indexOf(name[1]) + 1 };
}

/** The 1-based line of the fixture module's klp_shadow_alloc call: where the leak is reported. */
function shadowAllocationLine(): number {
  const lines = readFileSync(join(scenarioFolder, scenarioModuleFile), 'utf8').split('\n');
  const index = lines.findIndex((line) => line.includes('klp_shadow_alloc('));
  assert.ok(index >= 0, 'the fixture allocates a shadow variable');
  return index + 1;
}

/** The text of that line. */
function shadowAllocationText(): string {
  return readFileSync(join(scenarioFolder, scenarioModuleFile), 'utf8').split('\n')[shadowAllocationLine() - 1];
}

/** The extension's id ("publisher.name"), as VS Code names it in its webviews' URLs. */
function extensionId(): string {
  const manifest = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { publisher: string; name: string };
  return `${manifest.publisher}.${manifest.name}`;
}

/** Whether the manifest contributes the timeline command (the timeline panel exists). */
function hasTimelineCommand(): boolean {
  const manifest = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { contributes?: { commands?: { command: string }[] } };
  return (manifest.contributes?.commands ?? []).some((entry) => entry.command === 'livepatch.showTimeline');
}

function seconds(milliseconds: number): string {
  return `${(milliseconds / 1000).toFixed(1)} s`;
}

describe('the packaged extension in a real VS Code (code-server + Chromium)', { skip: skipReason, timeout: 15 * 60_000 }, () => {
  let work: string;
  let workspace: string;
  let server: RunningCodeServer | undefined;
  let browser: Browser | undefined;
  let workbench: Workbench;
  const timings: string[] = [];
  let suiteStarted = 0;
  /** When the running step's budget ends. */
  let stepDeadline = 0;
  /** The first step that failed: the later ones build on the UI state it should have left. */
  let failedStep: string | undefined;

  /** The time the running step has left, for its next wait (at least 1 ms: 0 would mean no limit). */
  function left(): number {
    return Math.max(1, stepDeadline - Date.now());
  }

  /** Runs one UI step; on failure keeps a screenshot and the server's log in the message. */
  async function step(t: TestContext, name: string, body: () => Promise<void>): Promise<void> {
    // Each step starts where the one before left the workbench (the quick-fixed file, the run's
    // timeline): after a failure the rest could only wait out their budgets for a state that
    // never came, so they do not run, and a broken run ends in minutes.
    if (failedStep) {
      t.skip(`not run: step ${failedStep} failed, and the steps share one workbench, each going on from where the one before left it`);
      return;
    }
    const started = Date.now();
    stepDeadline = started + stepBudget;
    try {
      await body();
    } catch (error) {
      failedStep = name;
      const shot = await workbench.screenshot(`failure-${name}`).catch(() => 'no screenshot');
      const pageErrors = workbench.pageErrors.slice(-5).join('\n');
      throw new Error(`${name} failed (screenshot ${shot}): ${error instanceof Error ? error.message : String(error)}\npage errors:\n${pageErrors}\ncode-server log (end):\n${server?.log().slice(-3000) ?? ''}`);
    }
    const took = `${name}: ${seconds(Date.now() - started)}`;
    timings.push(took);
    t.diagnostic(took);
  }

  before(async () => {
    if (missing) throw new Error(`the end-to-end test cannot run (KLP_E2E_REQUIRED=1): ${missing}`);
    assert.ok(existsSync(join(repoRoot, 'dist', 'server.js')), 'dist/ is missing: run `npm run build` first');
    suiteStarted = Date.now();
    mkdirSync(artifacts, { recursive: true });
    // Screenshots of an earlier run would pass for this run's.
    for (const name of readdirSync(artifacts)) if (/^e2e-.*\.png$/.test(name)) rmSync(join(artifacts, name));
    work = mkdtempSync(join(tmpdir(), 'livepatch-e2e-'));
    workspace = join(work, 'workspace');
    cpSync(fixtureFolder, join(workspace, 'uptime-fix'), { recursive: true });
    cpSync(scenarioFolder, join(workspace, 'counter-leak'), { recursive: true });

    let started = Date.now();
    const vsix = join(work, 'livepatch-workbench.vsix');
    packageExtension(vsix);
    timings.push(`package .vsix: ${seconds(Date.now() - started)}`);

    started = Date.now();
    const folders = codeServerFolders(join(work, 'code-server'));
    writeUserSettings(folders);
    const installed = installExtension(folders, vsix);
    assert.match(installed, /successfully installed/);
    timings.push(`install .vsix: ${seconds(Date.now() - started)}`);

    started = Date.now();
    server = await startCodeServer(folders, workspace);
    browser = await loadPlaywright().chromium.launch({ executablePath: findChromium()!, headless: true, args: ['--no-sandbox'], timeout: uiTimeout });
    workbench = await Workbench.open(browser, server.url, workspace, artifacts, extensionId(), uiTimeout);
    timings.push(`start code-server and load the workbench: ${seconds(Date.now() - started)}`);
  });

  after(async () => {
    await browser?.close().catch(() => undefined);
    await server?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('shows the missing MODULE_INFO(livepatch, "Y") in the Problems view', async (t) => {
    for (const timing of timings) t.diagnostic(timing);
    await step(t, '1-problems', async () => {
      let started = Date.now();
      await workbench.openFile(fixtureFile, left());
      t.diagnostic(`Quick Open to the editor: ${seconds(Date.now() - started)}`);
      started = Date.now();
      await workbench.showProblems(left());
      const row = workbench.problems().filter({ hasText: 'LP-MODINFO-MISSING' }).first();
      await row.waitFor({ timeout: left() });
      // Includes the extension's activation (the first C file) and the language server's start.
      t.diagnostic(`editor open to the problem in the Problems view: ${seconds(Date.now() - started)}`);
      const text = (await row.innerText()).replace(/\s+/g, ' ');
      assert.match(text, /has no MODULE_INFO\(livepatch, "Y"\)/);
      const position = patchDeclarationPosition();
      assert.ok(text.includes(`[Ln ${position.line}, Col ${position.column}]`), `the problem points at the klp_patch name (${position.line}:${position.column}): ${text}`);
      await workbench.screenshot('1-problems');
    });
  });

  it('applies the quick fix from Ctrl+. and the diagnostic goes away', async (t) => {
    await step(t, '2-quick-fix', async () => {
      const { line } = patchDeclarationPosition();
      const note = (message: string) => t.diagnostic(message);
      const offered = await workbench.applyQuickFix('LP-MODINFO-MISSING', { file: fixtureFile, line }, 'MODULE_INFO(livepatch, "Y")', left(), note);
      t.diagnostic(`quick fixes offered: ${offered.join(' | ')}`);
      await workbench.problems().filter({ hasText: 'LP-MODINFO-MISSING' }).first().waitFor({ state: 'detached', timeout: left() });
      // Rows are detached from a closed view as well: the view must still be showing them.
      assert.ok(await workbench.problemsShown(), 'the Problems view is still shown after the fix');
      // The inserted line is in the editor: go to the end of the file and find it on screen.
      await workbench.page.keyboard.press('Control+End');
      await workbench.editorLine('MODULE_INFO(livepatch, "Y");').waitFor({ timeout: left() });
      await workbench.screenshot('3-fixed');
    });
  });

  it('logs its activation time in its Output channel, under the budget', async (t) => {
    await step(t, '3-activation', async () => {
      await workbench.runCommand('Livepatch: Show Output', left());
      await workbench.waitForOutputLine('activated in', 'Livepatch Workbench activated in', left());
      const channel = await workbench.outputChannel(left());
      assert.equal(channel, 'Livepatch Workbench', 'the Output view shows the extension channel');
      // The Output view draws spaces as no-break spaces.
      const line = (await workbench.outputLine('Livepatch Workbench activated in').innerText({ timeout: left() })).replace(/\s+/g, ' ');
      const match = /activated in (\d+) ms/.exec(line);
      assert.ok(match, `the activation line reads "... activated in N ms": ${line}`);
      const activationMs = Number(match[1]);
      t.diagnostic(`extension activation (from its Output channel): ${activationMs} ms`);
      assert.ok(activationMs < activationBudgetMs, `activation took ${activationMs} ms, the budget is ${activationBudgetMs} ms`);
    });
  });

  it('runs "Livepatch: Run Simulation" from the command palette with the default scenario: transcript in the Output view, timeline panel', async (t) => {
    await step(t, '4-simulation', async () => {
      // With a .klpsim in the workspace the command asks; the generated default scenario loads
      // every livepatch module of the workspace in series order, then disables and removes them.
      const offered = await workbench.runCommandAndPick('Livepatch: Run Simulation', 'Default scenario', left());
      assert.ok(offered.some((row) => row.includes(scenarioFile)), `the picker offers the workspace's scenario: ${offered.join(' | ')}`);
      // The quick-fixed module (saved by the command) is accepted by the simulated kernel.
      await workbench.waitForOutputLine('livepatch:', "livepatch: enabling patch 'livepatch_uptime'", left());
      await workbench.outputLine("livepatch: 'livepatch_uptime': patching complete").waitFor({ timeout: left() });
      const saved = readFileSync(join(workspace, 'uptime-fix', fixtureFile), 'utf8');
      assert.ok(saved.includes('MODULE_INFO(livepatch, "Y");'), 'Run Simulation saved the quick-fixed source before simulating it');
      const channel = await workbench.outputChannel(left());
      assert.match(channel, /^Livepatch Simulation$/, `the Output view shows the simulation channel (shows "${channel}")`);
      if (hasTimelineCommand()) {
        await workbench.editorTab('Livepatch Timeline').waitFor({ timeout: left() });
        await workbench.webviewText('livepatch_uptime').waitFor({ timeout: left() });
      } else {
        t.diagnostic('the manifest has no livepatch.showTimeline command yet: the timeline panel is not checked');
      }
      await workbench.screenshot('4-simulation');
    });
  });

  it('runs a .klpsim scenario picked in Run Simulation: its transcript in the Output view, its finding in the Problems view', async (t) => {
    const line = shadowAllocationLine();
    await step(t, '5-scenario', async () => {
      await workbench.runCommandAndPick('Livepatch: Run Simulation', scenarioFile, left());
      await workbench.waitForOutputLine(scenarioFile, `Simulation: ${scenarioFile}`, left());
      // Only this scenario reads /proc/cmdline, twice: the second read counts two readers.
      await workbench.waitForOutputLine('readers)', 'counted cmdline (2 readers)', left());
      await workbench.waitForOutputLine('SIM-SHADOW-LEAK', `${scenarioModuleFile}:${line}: warning: shadow variable`, left());
      await workbench.filterProblems('SIM-SHADOW-LEAK', left());
      const row = workbench.problems().filter({ hasText: 'SIM-SHADOW-LEAK' }).filter({ hasText: scenarioFile }).first();
      await row.waitFor({ timeout: left() });
      const text = (await row.innerText()).replace(/\s+/g, ' ');
      assert.match(text, /is still allocated at the end of the scenario/);
      assert.ok(text.includes(`[Ln ${line}, Col `), `the finding points at the klp_shadow_alloc line ${line}: ${text}`);
      await workbench.screenshot('5-scenario-problems');
    });
  });

  it('clicking a timeline event with a source location opens that line in the editor', async (t) => {
    const line = shadowAllocationLine();
    await step(t, '6-timeline-click', async () => {
      await workbench.editorTab('Livepatch Timeline').waitFor({ timeout: left() });
      await workbench.webviewText(scenarioFile).waitFor({ timeout: left() });
      // The shadow variable's allocation (and the leak found at the end) link to the alloc line.
      // The page's listeners are attached once it marks its body ready; a click before that is lost.
      await workbench.webview('body[data-ready="true"]').waitFor({ timeout: left() });
      const event = workbench.webview(`[data-uri$="/${scenarioModuleFile}"][data-line="${line - 1}"]`).first();
      // The timeline selects the event's line from its first non-blank character to its end, and
      // the status bar counts the selection: a cursor left on this line earlier does not pass.
      const landed = `Ln ${line},`;
      const selected = `(${shadowAllocationText().trimStart().length} selected)`;
      // Checked on the active group's tab: the CI failure (a tab matched, the status bar never
      // showed the line) was VS Code's polled webview focus making the timeline's group active
      // again after the editor had opened; the page no longer takes the focus on a click
      // (timelineHtml.ts). A click that is lost on its way is clicked again (at most three
      // times, within the step's budget), and the diagnostics say so.
      const attempts = 3;
      for (let attempt = 1; ; attempt++) {
        await event.click({ timeout: left() });
        // This attempt's share of the step's time left: the last one gets all of it.
        const attemptEnds = Date.now() + Math.floor(left() / (attempts - attempt + 1));
        const attemptLeft = () => Math.max(1, attemptEnds - Date.now());
        try {
          await workbench.activeEditorTab(scenarioModuleFile).waitFor({ timeout: attemptLeft() });
          await workbench.cursorPosition().filter({ hasText: landed }).filter({ hasText: selected }).waitFor({ timeout: attemptLeft() });
          break;
        } catch (error) {
          const state = `after click ${attempt}: ${await workbench.editorState()}`;
          if (attempt === attempts) throw new Error(`${state}: ${error instanceof Error ? error.message : String(error)}`);
          t.diagnostic(`${state}: clicking again`);
          await workbench.screenshot(`6-timeline-click-attempt-${attempt}`);
        }
      }
      await workbench.editorLine('klp_shadow_alloc(&readers_anchor').waitFor({ timeout: left() });
      t.diagnostic(`status bar after the click: ${(await workbench.cursorPosition().innerText({ timeout: left() })).trim()}`);
      await workbench.screenshot('6-timeline-click');
    });
  });

  it('brings the timeline back after "Developer: Reload Window"', async (t) => {
    await step(t, '7-reload', async () => {
      const started = Date.now();
      await workbench.reloadWindow(left());
      t.diagnostic(`reload to the workbench drawn again: ${seconds(Date.now() - started)}`);
      await workbench.editorTab('Livepatch Timeline').waitFor({ timeout: left() });
      t.diagnostic(`reload to the timeline tab: ${seconds(Date.now() - started)}`);
      // Drawn from the state the page saved: the last run's scenario and its shadow variable lane.
      await workbench.webviewText(scenarioFile).waitFor({ timeout: left() });
      await workbench.webview('.lane-head.lane-shadow').first().waitFor({ timeout: left() });
      t.diagnostic(`reload to the timeline drawn again: ${seconds(Date.now() - started)}`);
      await workbench.screenshot('7-reloaded');
    });
    t.diagnostic(`whole end-to-end run (setup and seven steps): ${seconds(Date.now() - suiteStarted)}`);
  });
});
