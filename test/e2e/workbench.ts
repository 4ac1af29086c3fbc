/**
 * Drives the VS Code workbench in the browser the way a person does: Quick Open, the command
 * palette, the Problems view, Ctrl+. on a diagnostic, the Output view. Every step waits on what
 * the UI shows (a selector appearing or going away), never on a fixed delay. The selectors are
 * VS Code's own class names (workbench 1.100), gathered here so a VS Code update touches one file.
 */
import { join } from 'node:path';
import type { Browser, Locator, Page } from './playwright';

const selectors = {
  workbench: '.monaco-workbench',
  quickInput: '.quick-input-widget',
  quickInputBox: '.quick-input-widget .quick-input-box input',
  quickInputRow: '.quick-input-widget .quick-input-list .monaco-list-row',
  focusedEditor: '.part.editor .monaco-editor.focused',
  problemsView: '.markers-panel',
  problemsRow: '.markers-panel .monaco-list-row',
  /** The filter box of the view the panel shows (Problems and Output each have one; a hidden one may linger). */
  panelFilter: '.part.panel .viewpane-filter input:visible',
  actionRow: '.action-widget .monaco-list-row',
  editorTab: '.part.editor .tabs-container .tab',
  panel: '.part.panel',
  outputLine: '.part.panel .output-view .view-line',
  editorLine: '.part.editor .monaco-editor .view-line',
  outputChannelPicker: '.part.panel select.monaco-select-box',
  /** The active tab of the active editor group: the editor whose cursor the status bar shows. */
  activeEditorTab: '.part.editor .editor-group-container.active .tabs-container .tab.active',
  /** The active tab of every editor group (for failure messages). */
  groupActiveTabs: '.part.editor .tabs-container .tab.active',
  cursorPosition: '.part.statusbar [id="status.editor.selection"]',
  webviewHost: 'iframe.webview.ready',
  webviewContent: 'iframe#active-frame',
} as const;

/**
 * The time left of `timeout` from now, asked for before each of a helper's waits: the helper
 * as a whole keeps to its caller's budget (at least 1 ms each: a timeout of 0 means no limit).
 */
function budget(timeout: number): () => number {
  const until = Date.now() + timeout;
  return () => Math.max(1, until - Date.now());
}

export class Workbench {
  private constructor(
    readonly page: Page,
    private readonly artifacts: string,
    /** The extension whose webviews `webview()` looks into ("publisher.name"). */
    private readonly extensionId: string,
    /** Errors the page reported, for failure messages. */
    readonly pageErrors: string[],
  ) {}

  /** Opens `folder` in the workbench served at `url` and waits until the workbench is drawn. */
  static async open(browser: Browser, url: string, folder: string, artifacts: string, extensionId: string, timeout: number): Promise<Workbench> {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(`${url}?folder=${encodeURIComponent(folder)}`, { timeout });
    await page.locator(selectors.workbench).waitFor({ timeout });
    return new Workbench(page, artifacts, extensionId, pageErrors);
  }

  async screenshot(name: string): Promise<string> {
    const path = join(this.artifacts, `e2e-${name}.png`);
    await this.page.screenshot({ path });
    return path;
  }

  /**
   * Moves the keyboard focus in an open list (quick input, code action menu) to the row whose
   * text contains `label` and accepts it with Enter. Keys, not clicks: VS Code covers a fresh
   * context menu with a pointer block for a moment, and a person uses the keys here too.
   */
  private async acceptRow(rows: string, label: string, timeout: number): Promise<void> {
    const left = budget(timeout);
    await this.page.locator(rows, { hasText: label }).first().waitFor({ timeout: left() });
    const count = await this.page.locator(rows).count();
    for (let step = 0; step <= count; step++) {
      const focused = await this.page.locator(`${rows}.focused`).first().innerText({ timeout: left() });
      if (focused.includes(label)) {
        await this.page.keyboard.press('Enter');
        return;
      }
      await this.page.keyboard.press('ArrowDown');
    }
    throw new Error(`no row "${label}" could be focused among ${JSON.stringify(await this.page.locator(rows).allInnerTexts())}`);
  }

  /** Quick Open (Ctrl+P): opens a file of the workspace by name and waits for its editor. */
  async openFile(name: string, timeout: number): Promise<void> {
    const left = budget(timeout);
    await this.page.keyboard.press('Control+P');
    const input = this.page.locator(selectors.quickInputBox);
    await input.waitFor({ timeout: left() });
    await input.fill(name);
    await this.acceptRow(selectors.quickInputRow, name, left());
    await this.page.locator(selectors.editorTab, { hasText: name }).first().waitFor({ timeout: left() });
    await this.page.locator(selectors.focusedEditor).waitFor({ timeout: left() });
  }

  /** Runs a command by its palette title ("Category: Title") from the command palette (F1). */
  async runCommand(title: string, timeout: number): Promise<void> {
    const left = budget(timeout);
    await this.page.keyboard.press('F1');
    const input = this.page.locator(selectors.quickInputBox);
    await input.waitFor({ timeout: left() });
    await input.fill(`>${title}`);
    await this.acceptRow(selectors.quickInputRow, title, left());
    await this.page.locator(selectors.quickInput).waitFor({ state: 'hidden', timeout: left() });
  }

  /**
   * Runs a command that asks for a choice in a quick pick (Run Simulation's scenario picker) and
   * picks the row containing `choice`. The palette's row and the picker's rows differ, so waiting
   * for the choice's row is waiting for the picker.
   */
  async runCommandAndPick(title: string, choice: string, timeout: number): Promise<string[]> {
    const left = budget(timeout);
    await this.page.keyboard.press('F1');
    const input = this.page.locator(selectors.quickInputBox);
    await input.waitFor({ timeout: left() });
    await input.fill(`>${title}`);
    await this.acceptRow(selectors.quickInputRow, title, left());
    await this.page.locator(selectors.quickInputRow, { hasText: choice }).first().waitFor({ timeout: left() });
    const offered = await this.page.locator(selectors.quickInputRow).allInnerTexts();
    await this.acceptRow(selectors.quickInputRow, choice, left());
    await this.page.locator(selectors.quickInput).waitFor({ state: 'hidden', timeout: left() });
    return offered.map((row) => row.replace(/\s+/g, ' ').trim());
  }

  /** Reloads the window ("Developer: Reload Window") and waits until the workbench is drawn again. */
  async reloadWindow(timeout: number): Promise<void> {
    const left = budget(timeout);
    // The reloaded page's load event, listened for before the reload can happen.
    const loaded = this.page.waitForEvent('load', { timeout: left() });
    await this.runCommand('Developer: Reload Window', left());
    await loaded;
    await this.page.locator(selectors.workbench).waitFor({ timeout: left() });
  }

  /** The rows of the Problems view (file rows and problem rows). */
  problems(): Locator {
    return this.page.locator(selectors.problemsRow);
  }

  /**
   * Opens the Problems view (Ctrl+Shift+M). The key toggles: on a Problems view that has the
   * focus it closes the panel (it did, after step 1 had opened it), so it is pressed only when
   * the view is not shown.
   */
  async showProblems(timeout: number): Promise<void> {
    const view = this.page.locator(selectors.problemsView);
    if (!(await view.isVisible())) await this.page.keyboard.press('Control+Shift+M');
    await view.waitFor({ timeout });
  }

  /** Whether the Problems view is on screen. */
  async problemsShown(): Promise<boolean> {
    return this.page.locator(selectors.problemsView).isVisible();
  }

  /** Narrows the Problems view to the rows matching `text` (its filter box matches messages and codes). */
  async filterProblems(text: string, timeout: number): Promise<void> {
    const left = budget(timeout);
    await this.showProblems(left());
    await this.page.locator(selectors.panelFilter).first().fill(text, { timeout: left() });
  }

  /**
   * Puts the cursor on the problem whose row contains `problemText`, as a person does: select
   * the row in the Problems view, Enter opens the editor there. Waits until the active editor is
   * `location.file` with the cursor on `location.line`, the state Ctrl+. acts on.
   *
   * The server's workspace pass reports other files' problems at any time, and the rows move
   * when they come: a click on a moving row selects another problem (seen once on a loaded
   * machine: Enter opened the other file). So the view is narrowed to the problem first, and if
   * the editor still lands elsewhere the gesture is done again (at most three times; `note` says
   * so). The landing is the check, not a delay.
   */
  async openProblem(problemText: string, location: { file: string; line: number }, timeout: number, note: (message: string) => void): Promise<void> {
    const left = budget(timeout);
    await this.filterProblems(problemText, left());
    const attempts = 3;
    for (let attempt = 1; ; attempt++) {
      // This attempt's share of what is left: the last one gets all of it.
      const attemptLeft = budget(Math.floor(left() / (attempts - attempt + 1)));
      const row = this.problems().filter({ hasText: problemText }).first();
      await row.click({ timeout: attemptLeft() });
      await this.page.keyboard.press('Enter');
      try {
        await this.activeEditorTab(location.file).waitFor({ timeout: attemptLeft() });
        await this.cursorPosition().filter({ hasText: `Ln ${location.line},` }).waitFor({ timeout: attemptLeft() });
        return;
      } catch (error) {
        const state = `Enter on the problem row, attempt ${attempt}: ${await this.editorState()}`;
        if (attempt === attempts) throw new Error(`${state}: ${error instanceof Error ? error.message : String(error)}`);
        note(`${state}: selecting the row again`);
        await this.screenshot(`open-problem-attempt-${attempt}`);
      }
    }
  }

  /** Where the editor is, for failure messages: the active tab of each group and the status bar's cursor. */
  async editorState(): Promise<string> {
    const active = await this.page.locator(selectors.activeEditorTab).allInnerTexts().catch(() => []);
    const groups = await this.page.locator(selectors.groupActiveTabs).allInnerTexts().catch(() => []);
    const cursor = await this.cursorPosition().innerText({ timeout: 1000 }).catch(() => 'none');
    const clean = (texts: string[]) => JSON.stringify(texts.map((text) => text.replace(/\s+/g, ' ').trim()));
    return `active group's tab ${clean(active)}, each group's active tab ${clean(groups)}, status bar cursor "${cursor.replace(/\s+/g, ' ').trim()}"`;
  }

  /**
   * Opens the problem whose row contains `problemText` (see `openProblem`), opens the quick
   * fixes with Ctrl+. and applies `fixTitle`. Returns the titles the menu offered.
   */
  async applyQuickFix(problemText: string, location: { file: string; line: number }, fixTitle: string, timeout: number, note: (message: string) => void): Promise<string[]> {
    const left = budget(timeout);
    await this.openProblem(problemText, location, left(), note);
    await this.page.locator(selectors.focusedEditor).waitFor({ timeout: left() });
    await this.page.keyboard.press('Control+Period');
    await this.page.locator(selectors.actionRow).first().waitFor({ timeout: left() });
    const offered = await this.page.locator(selectors.actionRow).allInnerTexts();
    await this.screenshot('2-quick-fix-menu');
    await this.acceptRow(selectors.actionRow, fixTitle, left());
    await this.page.locator(selectors.actionRow).first().waitFor({ state: 'detached', timeout: left() });
    return offered;
  }

  /** The channel the Output view shows (its picker's selected entry). */
  async outputChannel(timeout: number): Promise<string> {
    const left = budget(timeout);
    const selected = this.page.locator(`${selectors.outputChannelPicker} option:checked`).first();
    await selected.waitFor({ state: 'attached', timeout: left() });
    return ((await selected.textContent({ timeout: left() })) ?? '').trim();
  }

  /**
   * Narrows the Output view to the lines containing `filter` (its filter box) and waits until a
   * line containing `text` shows; the filter keeps a long transcript's line on screen.
   */
  async waitForOutputLine(filter: string, text: string, timeout: number): Promise<void> {
    const left = budget(timeout);
    const box = this.page.locator(selectors.panelFilter).first();
    await box.waitFor({ timeout: left() });
    await box.fill(filter);
    await this.outputLine(text).waitFor({ timeout: left() });
  }

  /** A line the Output view shows that contains `text` (lines scrolled away are not in the page). */
  outputLine(text: string): Locator {
    return this.page.locator(selectors.outputLine, { hasText: text }).first();
  }

  /** A line an editor shows that contains `text` (lines scrolled away are not in the page). */
  editorLine(text: string): Locator {
    return this.page.locator(selectors.editorLine, { hasText: text }).first();
  }

  /** The editor tab titled `title` (an editor or a webview panel). */
  editorTab(title: string): Locator {
    return this.page.locator(selectors.editorTab, { hasText: title }).first();
  }

  /** The active editor's tab (the active tab of the active group) when it is titled `title`. */
  activeEditorTab(title: string): Locator {
    return this.page.locator(selectors.activeEditorTab, { hasText: title }).first();
  }

  /** The status bar's cursor position item ("Ln 31, Col 2"). */
  cursorPosition(): Locator {
    return this.page.locator(selectors.cursorPosition).first();
  }

  /**
   * The content of the active webview panel: VS Code nests the extension's document in an
   * iframe (the webview host) inside an iframe (the active frame).
   */
  webviewText(text: string): Locator {
    return this.webview('body', text);
  }

  /** Elements matching `selector` in the webview panel's own document. */
  webview(selector: string, hasText?: string): Locator {
    // The host frame's URL names the extension: another webview (a walkthrough, release notes)
    // can never be the one looked into.
    const host = `${selectors.webviewHost}[src*="extensionId=${encodeURIComponent(this.extensionId)}"]`;
    return this.page.frameLocator(host).frameLocator(selectors.webviewContent).locator(selector, hasText === undefined ? undefined : { hasText });
  }
}
