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
  problemsRow: '.markers-panel .monaco-list-row',
  actionRow: '.action-widget .monaco-list-row',
  editorTab: '.part.editor .tabs-container .tab',
  panel: '.part.panel',
  outputFilter: '.part.panel .viewpane-filter input',
  outputLine: '.part.panel .output-view .view-line',
  editorLine: '.part.editor .monaco-editor .view-line',
  outputChannelPicker: '.part.panel select.monaco-select-box',
  activeEditorTab: '.part.editor .tabs-container .tab.active',
  cursorPosition: '.part.statusbar [id="status.editor.selection"]',
  webviewHost: 'iframe.webview.ready',
  webviewContent: 'iframe#active-frame',
} as const;

export class Workbench {
  private constructor(
    readonly page: Page,
    private readonly artifacts: string,
    /** Errors the page reported, for failure messages. */
    readonly pageErrors: string[],
  ) {}

  /** Opens `folder` in the workbench served at `url` and waits until the workbench is drawn. */
  static async open(browser: Browser, url: string, folder: string, artifacts: string, timeout: number): Promise<Workbench> {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(`${url}?folder=${encodeURIComponent(folder)}`, { timeout });
    await page.locator(selectors.workbench).waitFor({ timeout });
    return new Workbench(page, artifacts, pageErrors);
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
    await this.page.locator(rows, { hasText: label }).first().waitFor({ timeout });
    const count = await this.page.locator(rows).count();
    for (let step = 0; step <= count; step++) {
      const focused = await this.page.locator(`${rows}.focused`).first().innerText({ timeout });
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
    await this.page.keyboard.press('Control+P');
    const input = this.page.locator(selectors.quickInputBox);
    await input.waitFor({ timeout });
    await input.fill(name);
    await this.acceptRow(selectors.quickInputRow, name, timeout);
    await this.page.locator(selectors.editorTab, { hasText: name }).first().waitFor({ timeout });
    await this.page.locator(selectors.focusedEditor).waitFor({ timeout });
  }

  /** Runs a command by its palette title ("Category: Title") from the command palette (F1). */
  async runCommand(title: string, timeout: number): Promise<void> {
    await this.page.keyboard.press('F1');
    const input = this.page.locator(selectors.quickInputBox);
    await input.waitFor({ timeout });
    await input.fill(`>${title}`);
    await this.acceptRow(selectors.quickInputRow, title, timeout);
    await this.page.locator(selectors.quickInput).waitFor({ state: 'hidden', timeout });
  }

  /**
   * Runs a command that asks for a choice in a quick pick (Run Simulation's scenario picker) and
   * picks the row containing `choice`. The palette's row and the picker's rows differ, so waiting
   * for the choice's row is waiting for the picker.
   */
  async runCommandAndPick(title: string, choice: string, timeout: number): Promise<string[]> {
    await this.page.keyboard.press('F1');
    const input = this.page.locator(selectors.quickInputBox);
    await input.waitFor({ timeout });
    await input.fill(`>${title}`);
    await this.acceptRow(selectors.quickInputRow, title, timeout);
    await this.page.locator(selectors.quickInputRow, { hasText: choice }).first().waitFor({ timeout });
    const offered = await this.page.locator(selectors.quickInputRow).allInnerTexts();
    await this.acceptRow(selectors.quickInputRow, choice, timeout);
    await this.page.locator(selectors.quickInput).waitFor({ state: 'hidden', timeout });
    return offered.map((row) => row.replace(/\s+/g, ' ').trim());
  }

  /** Reloads the window ("Developer: Reload Window") and waits until the workbench is drawn again. */
  async reloadWindow(timeout: number): Promise<void> {
    // The reloaded page's load event, listened for before the reload can happen.
    const loaded = this.page.waitForEvent('load', { timeout });
    await this.runCommand('Developer: Reload Window', timeout);
    await loaded;
    await this.page.locator(selectors.workbench).waitFor({ timeout });
  }

  /** The rows of the Problems view (file rows and problem rows). */
  problems(): Locator {
    return this.page.locator(selectors.problemsRow);
  }

  /** Opens the Problems view (Ctrl+Shift+M). */
  async showProblems(timeout: number): Promise<void> {
    await this.page.keyboard.press('Control+Shift+M');
    await this.page.locator('.markers-panel').waitFor({ timeout });
  }

  /**
   * Puts the cursor on the problem whose row contains `problemText` (select it in the Problems
   * view, Enter opens the editor there), opens the quick fixes with Ctrl+. and applies `fixTitle`.
   * Returns the titles the menu offered.
   */
  async applyQuickFix(problemText: string, fixTitle: string, timeout: number): Promise<string[]> {
    await this.problems().filter({ hasText: problemText }).first().click({ timeout });
    await this.page.keyboard.press('Enter');
    await this.page.locator(selectors.focusedEditor).waitFor({ timeout });
    await this.page.keyboard.press('Control+Period');
    await this.page.locator(selectors.actionRow).first().waitFor({ timeout });
    const offered = await this.page.locator(selectors.actionRow).allInnerTexts();
    await this.screenshot('2-quick-fix-menu');
    await this.acceptRow(selectors.actionRow, fixTitle, timeout);
    await this.page.locator(selectors.actionRow).first().waitFor({ state: 'detached', timeout });
    return offered;
  }

  /** The channel the Output view shows (its picker's selected entry). */
  async outputChannel(timeout: number): Promise<string> {
    const selected = this.page.locator(`${selectors.outputChannelPicker} option:checked`).first();
    await selected.waitFor({ state: 'attached', timeout });
    return ((await selected.textContent({ timeout })) ?? '').trim();
  }

  /**
   * Narrows the Output view to the lines containing `filter` (its filter box) and waits until a
   * line containing `text` shows; the filter keeps a long transcript's line on screen.
   */
  async waitForOutputLine(filter: string, text: string, timeout: number): Promise<void> {
    const box = this.page.locator(selectors.outputFilter).first();
    await box.waitFor({ timeout });
    await box.fill(filter);
    await this.outputLine(text).waitFor({ timeout });
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

  /** The active tab (of any editor group) titled `title`. */
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
    return this.page.frameLocator(selectors.webviewHost).frameLocator(selectors.webviewContent).locator(selector, hasText === undefined ? undefined : { hasText });
  }
}
