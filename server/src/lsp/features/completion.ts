/**
 * Completion inside the string of an `.old_name = "..."` initializer: the symbols of the target
 * object in the kernel model whose names start with what is typed. For vmlinux only function
 * symbols are offered (its data symbols are never patch targets); the list is capped and marked
 * incomplete so the client asks again as the prefix grows. In `.klpsim` scenarios the request is
 * handed to `scenarioLanguage.ts` (one connection has one completion handler).
 */
import {
  CompletionItemKind,
  type CompletionItem,
  type CompletionList,
  type ServerCapabilities,
} from 'vscode-languageserver';
import type { KernelObjectModel, KernelSymbol } from '../../kernel/types';
import type { Range } from '../../model/location';
import type { ServerContext } from '../context';
import { lineText, objectAround, objectNameOf } from '../livepatchAt';
import { describeSymbolType } from './hover';
import { completeScenario } from './scenarioLanguage';

/** Most items one completion answer carries. */
export const maxCompletionItems = 200;

const functionTypes = new Set(['T', 't', 'W', 'w']);

interface NameEntry {
  name: string;
  symbols: KernelSymbol[];
}

/** Sorted, de-duplicated candidate names per object, built once per model object. */
const candidateCache = new WeakMap<KernelObjectModel, NameEntry[]>();

function candidates(object: KernelObjectModel): NameEntry[] {
  let entries = candidateCache.get(object);
  if (entries) return entries;
  const byName = new Map<string, KernelSymbol[]>();
  for (const symbol of object.symbols) {
    if (object.name === 'vmlinux' && !functionTypes.has(symbol.type)) continue;
    const list = byName.get(symbol.name);
    if (list) list.push(symbol);
    else byName.set(symbol.name, [symbol]);
  }
  entries = [...byName.entries()]
    .map(([name, symbols]) => ({ name, symbols }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  candidateCache.set(object, entries);
  return entries;
}

/** Index of the first entry whose name is not below `prefix`. */
function lowerBound(entries: NameEntry[], prefix: string): number {
  let low = 0;
  let high = entries.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (entries[middle].name < prefix) low = middle + 1;
    else high = middle;
  }
  return low;
}

/**
 * The `.old_name` string the cursor is in: the text typed so far and the columns of the whole
 * string content (up to the closing quote, or the cursor when it is not typed yet).
 */
export function oldNameStringAt(line: string, character: number): { prefix: string; start: number; end: number } | undefined {
  const before = line.slice(0, character);
  const match = /\.\s*old_name\s*=\s*"([^"\\]*)$/.exec(before);
  if (!match) return undefined;
  const closing = line.indexOf('"', character);
  return { prefix: match[1], start: character - match[1].length, end: closing >= 0 ? closing : character };
}

export function completeOldName(object: KernelObjectModel, prefix: string, range: Range): CompletionList {
  const entries = candidates(object);
  const items: CompletionItem[] = [];
  let index = lowerBound(entries, prefix);
  let isIncomplete = false;
  for (; index < entries.length && entries[index].name.startsWith(prefix); index++) {
    if (items.length === maxCompletionItems) {
      isIncomplete = true;
      break;
    }
    const { name, symbols } = entries[index];
    const first = symbols[0];
    items.push({
      label: name,
      kind: functionTypes.has(first.type) ? CompletionItemKind.Function : CompletionItemKind.Variable,
      detail:
        symbols.length > 1
          ? `${symbols.length} symbols in ${object.name}: needs old_sympos`
          : `${first.type} ${describeSymbolType(first.type)} in ${object.name}`,
      textEdit: { range, newText: name },
    });
  }
  return { isIncomplete, items };
}

export function register(context: ServerContext): ServerCapabilities {
  context.connection.onCompletion(
    context.safe('textDocument/completion', null, ({ textDocument, position, context: trigger }): CompletionList | null | Promise<CompletionList> => {
      const scenario = context.documents.getScenarioByUri(textDocument.uri);
      if (scenario) return completeScenario(context, scenario, position);
      // '/' and ' ' trigger completion for scenarios only.
      if (trigger?.triggerCharacter === '/' || trigger?.triggerCharacter === ' ') return null;
      const open = context.documents.getByUri(textDocument.uri);
      if (!open) return null;
      const found = oldNameStringAt(lineText(open.document, position.line), position.character);
      if (!found) return null;
      const range: Range = {
        start: { line: position.line, character: found.start },
        end: { line: position.line, character: found.end },
      };
      const module = context.analyzer.analyze(open.path).module;
      const object = module ? objectAround(module, open.path, position) : undefined;
      // Outside any recognisable klp_object (e.g. while the array is half typed) assume vmlinux.
      const objectName = object ? objectNameOf(object) : 'vmlinux';
      if (objectName === undefined) return { isIncomplete: false, items: [] };
      const model = context.kernel.model.objects.get(objectName);
      if (!model) return { isIncomplete: false, items: [] };
      return completeOldName(model, found.prefix, range);
    }),
  );
  return { completionProvider: { triggerCharacters: ['"', '/', ' '] } };
}
