/**
 * The `.klpsim` scenario language: diagnostics for lines the simulator would refuse (the parser's
 * errors, with their line:column) and for modules it could not find, published for open
 * scenarios after edits; and completion of commands, module files and names (livepatch and other
 * modules of the workspace), module parameters, and the sysfs/procfs files a scenario reads and
 * writes. Completion is asked for by `completion.ts`, which owns the LSP handler.
 */
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import {
  CompletionItemKind,
  DiagnosticSeverity,
  type CompletionItem,
  type CompletionList,
  type Diagnostic,
  type Position,
  type ServerCapabilities,
} from 'vscode-languageserver';
import { versionAtLeast, type KernelVersion } from '../../kernel/types';
import { allPatches } from '../../model/moduleLayout';
import type { LivepatchModule } from '../../model/types';
import { moduleByName, moduleForKo } from '../../sim/scenario/modules';
import { parseScenario } from '../../sim/scenario/parse';
import type { ServerContext } from '../context';
import { PathDebouncer } from '../debounce';
import type { OpenDocument } from '../documents';
import { diagnosticSource } from '../convert';
import { lineText, objectNameOf } from '../livepatchAt';
import { ensureWorkspaceIndexed, koPathOf } from './workspaceModules';


export const scenarioCommands: readonly { name: string; insert: string; detail: string }[] = [
  { name: 'insmod', insert: 'insmod ', detail: 'insmod <path>.ko [param=value...]: load a module built from the C source beside it' },
  { name: 'modprobe', insert: 'modprobe ', detail: "modprobe <name> [param=value...]: load a module found below the scenario's folder" },
  { name: 'rmmod', insert: 'rmmod ', detail: 'rmmod <name>: remove a module' },
  { name: 'echo', insert: 'echo ', detail: 'echo <value> > <file>: write a sysfs file (enabled, force, module parameters), dynamic debug control or /dev/kmsg' },
  { name: 'cat', insert: 'cat ', detail: 'cat <file> [> /dev/kmsg]: read a sysfs or procfs file' },
  { name: 'grep', insert: 'grep ', detail: 'grep <pattern> <file> [> /dev/kmsg]: read the matching lines of a file' },
  { name: 'ls', insert: 'ls ', detail: 'ls <directory>: list a sysfs directory, e.g. /sys/kernel/livepatch' },
  { name: 'sleep', insert: 'sleep ', detail: 'sleep <seconds>: let virtual time pass' },
  { name: 'sysctl', insert: 'sysctl ', detail: 'sysctl <key> | sysctl -w <key>=<value>: read or write a kernel parameter, e.g. kernel.ftrace_enabled' },
  { name: 'wait transition', insert: 'wait transition ', detail: 'wait transition <patch>: run virtual time until the transition of the patch ends' },
  { name: 'kernel', insert: 'kernel ', detail: 'kernel <model>.json | version <x.y[.z]> | config CONFIG_<NAME>=<value|n> | feature <name>=<value>: the machine this scenario runs on (before the first command)' },
  { name: 'task', insert: 'task ', detail: 'task <comm>:<pid> user|kthread|idle [running] [offline] [unreliable] [uninterruptible] [stack <fn> <fn>[<module>] ...]: a background task of the machine (before the first command)' },
];

// ---- Diagnostics ------------------------------------------------------------------------------

/** Columns of the word starting at a 1-based column (quotes included). */
function wordRange(line: string, column: number): { start: number; end: number } {
  const start = Math.max(0, Math.min(column - 1, line.length));
  let end = start;
  let quote: string | undefined;
  while (end < line.length) {
    const c = line[end];
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') quote = c;
    else if (/\s/.test(c)) break;
    end++;
  }
  return { start, end: Math.max(end, start) };
}

function diagnostic(line: number, text: string, column: number, severity: DiagnosticSeverity, message: string, code: string): Diagnostic {
  const { start, end } = wordRange(text, column);
  return { range: { start: { line, character: start }, end: { line, character: end } }, severity, source: diagnosticSource, code, message };
}

/**
 * Problems of a scenario: lines the parser refuses, `insmod` of a `.ko` with no source beside it
 * (the simulator would refuse to run), `modprobe` of a name found nowhere below the scenario's
 * folder (it would fail like modprobe does).
 */
export function scenarioDiagnostics(text: string, scenarioPath: string): Diagnostic[] {
  const lines = text.split(/\r?\n/);
  const parsed = parseScenario(text);
  const diagnostics: Diagnostic[] = parsed.errors.map((error) =>
    diagnostic(error.line - 1, lines[error.line - 1] ?? '', error.column, DiagnosticSeverity.Error, error.message, 'SIM-SCENARIO'),
  );
  const folder = dirname(scenarioPath);
  for (const { command, line } of parsed.lines) {
    const raw = lines[line - 1] ?? '';
    if (command.kind === 'insmod' && !moduleForKo(resolve(folder, command.path))) {
      const column = raw.indexOf(command.path) + 1 || raw.search(/\S/) + 1;
      diagnostics.push(
        diagnostic(line - 1, raw, column, DiagnosticSeverity.Error, `insmod: no source for ${command.path} (expected ${command.path.replace(/\.ko$/, '.c')} or a Kbuild module of that name beside it)`, 'SIM-NO-MODULE'),
      );
    } else if (command.kind === 'modprobe' && !moduleByName(folder, command.name)) {
      const column = raw.indexOf(command.name, raw.indexOf('modprobe') + 8) + 1 || 1;
      diagnostics.push(
        diagnostic(line - 1, raw, column, DiagnosticSeverity.Warning, `modprobe: no module ${command.name} below the scenario's folder: modprobe will fail`, 'SIM-NO-MODULE'),
      );
    }
  }
  return diagnostics;
}

// ---- Completion -------------------------------------------------------------------------------

/** What completion offers for the workspace, gathered once per request. */
export interface ScenarioCompletionData {
  /** Folder of the scenario: `.ko` paths are offered relative to it. */
  folder: string;
  modules: { name: string; koPath: string; isLivepatch: boolean; parameters: string[]; objects: string[] }[];
  kernelVersion: KernelVersion;
}

export function completionData(modules: readonly LivepatchModule[], folder: string, kernelVersion: KernelVersion): ScenarioCompletionData {
  const seen = new Set<string>();
  const entries: ScenarioCompletionData['modules'] = [];
  for (const module of modules) {
    if (module.files.length === 0 || seen.has(module.name)) continue;
    seen.add(module.name);
    const objects = new Set<string>();
    for (const patch of allPatches(module)) {
      for (const object of patch.objects) {
        const name = object.isTerminator ? undefined : objectNameOf(object);
        if (name) objects.add(name);
      }
    }
    entries.push({ name: module.name, koPath: koPathOf(module), isLivepatch: module.isLivepatch, parameters: module.parameters.map((p) => p.name), objects: [...objects] });
  }
  entries.sort((a, b) => Number(b.isLivepatch) - Number(a.isLivepatch) || a.name.localeCompare(b.name));
  return { folder, modules: entries, kernelVersion };
}

interface Word {
  text: string;
  start: number;
}

/** Splits the text before the cursor into words (quotes kept inside words, `>` its own word). */
function wordsBefore(text: string): Word[] {
  const words: Word[] = [];
  let index = 0;
  while (index < text.length) {
    while (index < text.length && /\s/.test(text[index])) index++;
    if (index >= text.length) break;
    const start = index;
    if (text[index] === '>') {
      words.push({ text: '>', start });
      index++;
      continue;
    }
    let quote: string | undefined;
    while (index < text.length && (quote || !/[\s>]/.test(text[index]))) {
      const c = text[index];
      if (quote && c === quote) quote = undefined;
      else if (!quote && (c === "'" || c === '"')) quote = c;
      index++;
    }
    words.push({ text: text.slice(start, index), start });
  }
  return words;
}

function item(label: string, kind: CompletionItemKind, detail: string, sortText?: string): CompletionItem {
  return { label, kind, detail, sortText };
}

function livepatchFiles(data: ScenarioCompletionData, writing: boolean): CompletionItem[] {
  const items: CompletionItem[] = [];
  const attributes = writing
    ? [
        ['enabled', 'write 1 to enable, 0 to disable the patch (starts a transition)'],
        ['force', 'write 1 to force the running transition to complete (dangerous)'],
      ]
    : [
        ['enabled', '1 when the patch is enabled'],
        ['transition', '1 while the patch is in transition'],
        ...(versionAtLeast(data.kernelVersion, 6, 11) ? [['replace', '1 when the patch is cumulative (since 6.11)']] : []),
        ...(versionAtLeast(data.kernelVersion, 6, 14) ? [['stack_order', 'position of the patch on the stack (since 6.14)']] : []),
      ];
  for (const module of data.modules) {
    if (!module.isLivepatch) continue;
    for (const [attribute, detail] of attributes) {
      items.push(item(`/sys/kernel/livepatch/${module.name}/${attribute}`, CompletionItemKind.File, detail, `1${module.name}`));
    }
    if (!writing && versionAtLeast(data.kernelVersion, 6, 0)) {
      for (const object of module.objects) {
        items.push(item(`/sys/kernel/livepatch/${module.name}/${object}/patched`, CompletionItemKind.File, `1 when ${object} is patched`, `2${module.name}`));
      }
    }
  }
  for (const module of data.modules) {
    for (const parameter of module.parameters) {
      items.push(item(`/sys/module/${module.name}/parameters/${parameter}`, CompletionItemKind.File, `parameter ${parameter} of ${module.name}`, `3${module.name}`));
    }
  }
  const fixed: [string, string][] = writing
    ? [
        ['/sys/kernel/debug/dynamic_debug/control', 'dynamic debug: e.g. \'file kernel/livepatch/* +p\''],
        ['/dev/kmsg', 'write a line to the kernel log'],
      ]
    : [
        ['/proc/cmdline', 'produced by cmdline_proc_show (patchable)'],
        ['/proc/version', 'produced by version_proc_show (patchable)'],
        ['/proc/meminfo', 'produced by meminfo_proc_show (patchable)'],
        ['/proc/sys/kernel/tainted', 'taint flags'],
        ['/proc/self/patch_state', 'the patch state of the reading task'],
      ];
  for (const [path, detail] of fixed) items.push(item(path, CompletionItemKind.File, detail, `4${path}`));
  return items;
}

/**
 * Completion items for the text of one scenario line before the cursor, and the column where
 * the word being completed starts (what the items replace).
 */
export function completeScenarioLine(line: string, character: number, data: ScenarioCompletionData): { start: number; items: CompletionItem[] } {
  const before = line.slice(0, character);
  const words = wordsBefore(before);
  // A comment starts with '#' at the start of a word.
  if (words.some((w) => w.text.startsWith('#'))) return { start: character, items: [] };
  const typingWord = before.length > 0 && !/[\s>]$/.test(before);
  const current = typingWord ? words[words.length - 1] : undefined;
  const start = current ? current.start : character;
  const done = current ? words.slice(0, -1) : words;

  if (done.length === 0) {
    return {
      start,
      items: scenarioCommands.map((command, index) => ({
        label: command.name,
        kind: CompletionItemKind.Keyword,
        detail: command.detail,
        insertText: command.insert,
        sortText: String(index).padStart(2, '0'),
      })),
    };
  }
  const command = done[0].text;
  const args = done.slice(1);
  const moduleByKo = (path: string) => data.modules.find((m) => relativeKo(m.koPath, data.folder) === path || m.koPath === path);
  const moduleNames = (livepatchOnly: boolean) =>
    data.modules
      .filter((m) => !livepatchOnly || m.isLivepatch)
      .map((m) => item(m.name, CompletionItemKind.Module, m.isLivepatch ? 'livepatch module' : 'module of the workspace'));
  const parameterItems = (name: string | undefined) =>
    (data.modules.find((m) => m.name === name)?.parameters ?? []).map((p) => item(`${p}=`, CompletionItemKind.Property, `parameter of ${name}`));

  switch (command) {
    case 'insmod':
      if (args.length === 0) {
        return {
          start,
          items: data.modules.map((m) => item(relativeKo(m.koPath, data.folder), CompletionItemKind.File, `${m.isLivepatch ? 'livepatch module' : 'module'} ${m.name}`)),
        };
      }
      return { start, items: parameterItems(moduleByKo(args[0].text)?.name) };
    case 'modprobe':
      if (args.length === 0) return { start, items: moduleNames(false) };
      return { start, items: parameterItems(args[0].text.replace(/-/g, '_')) };
    case 'rmmod':
      return { start, items: args.length === 0 ? moduleNames(false) : [] };
    case 'wait':
      if (args.length === 0) return { start, items: [item('transition', CompletionItemKind.Keyword, 'wait transition <patch>')] };
      if (args.length === 1 && args[0].text === 'transition') return { start, items: moduleNames(true) };
      return { start, items: [] };
    case 'echo': {
      const redirected = args.some((w) => w.text === '>');
      if (redirected) return { start, items: args[args.length - 1]?.text === '>' ? livepatchFiles(data, true) : [] };
      if (args.length === 0) {
        return {
          start,
          items: [
            item('1', CompletionItemKind.Value, 'enable (or force)'),
            item('0', CompletionItemKind.Value, 'disable'),
            item("'file kernel/livepatch/* +p'", CompletionItemKind.Value, 'dynamic debug: print the livepatch core\'s debug messages'),
          ],
        };
      }
      return { start, items: [] };
    }
    case 'cat':
    case 'grep': {
      const fileIndex = command === 'cat' ? 0 : 1;
      if (args.length === fileIndex) return { start, items: livepatchFiles(data, false) };
      if (args.length === fileIndex + 1) return { start, items: [item('> /dev/kmsg', CompletionItemKind.Snippet, 'log the output to the kernel log')] };
      if (args.length === fileIndex + 2 && args[fileIndex + 1].text === '>') return { start, items: [item('/dev/kmsg', CompletionItemKind.File, 'the kernel log')] };
      return { start, items: [] };
    }
    default:
      return { start, items: [] };
  }
}

function relativeKo(koPath: string, folder: string): string {
  const path = relative(folder, koPath);
  return path === '' || isAbsolute(path) ? koPath : path;
}

export async function completeScenario(context: ServerContext, open: OpenDocument, position: Position): Promise<CompletionList> {
  await ensureWorkspaceIndexed(context);
  const data = completionData(context.analyzer.modules(), dirname(open.path), context.kernel.model.version);
  const line = lineText(open.document, position.line);
  const { start, items } = completeScenarioLine(line, position.character, data);
  // The items replace the whole word under the cursor (also the part after it).
  const after = wordRange(line, start + 1).end;
  const range = { start: { line: position.line, character: start }, end: { line: position.line, character: Math.max(after, position.character) } };
  return {
    isIncomplete: false,
    items: items.map((entry) => ({ ...entry, textEdit: { range, newText: entry.insertText ?? entry.label }, insertText: undefined, filterText: entry.label })),
  };
}

// ---- Registration -----------------------------------------------------------------------------

export function register(context: ServerContext): ServerCapabilities {
  const pending = new PathDebouncer(() => context.settings.diagnostics.debounceMs);

  const publish = context.safe('scenario diagnostics', undefined, (document: OpenDocument) => {
    if (!context.documents.getScenario(document.path)) return;
    void context.connection.sendDiagnostics({
      uri: document.uri,
      version: document.document.version,
      diagnostics: scenarioDiagnostics(document.document.getText(), document.path),
    });
  });

  context.documents.onDidOpenScenario((document) => void publish(document));
  context.documents.onDidChangeScenario((document) => {
    pending.schedule(document.path, () => void publish(document));
  });
  context.documents.onDidCloseScenario((document) => {
    pending.cancel(document.path);
    void context.connection.sendDiagnostics({ uri: document.uri, diagnostics: [] });
  });
  context.onShutdown(() => pending.dispose());
  return {};
}
