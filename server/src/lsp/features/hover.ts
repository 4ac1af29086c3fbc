/**
 * Hover on an `.old_name` string: what the kernel model knows about the symbol in the target
 * object — type, address, how many symbols of that name the object has and which `old_sympos`
 * selects which, and whether ftrace can patch it.
 */
import { MarkupKind, type Hover, type ServerCapabilities } from 'vscode-languageserver';
import type { KernelModel, KernelSymbol } from '../../kernel/types';
import type { KlpFunc } from '../../model/types';
import type { ServerContext } from '../context';
import { objectNameOf, oldNameAt } from '../livepatchAt';
import { isScenarioPath } from '../documents';
import { pathFromUri } from '../uris';

const symbolTypeNames: Record<string, string> = {
  T: 'global function',
  t: 'local (static) function',
  W: 'weak function',
  w: 'weak function',
  D: 'global data',
  d: 'local data',
  B: 'global bss',
  b: 'local bss',
  R: 'global read-only data',
  r: 'local read-only data',
  V: 'weak object',
  v: 'weak object',
  A: 'absolute symbol',
  U: 'undefined symbol',
};

export function describeSymbolType(type: string): string {
  return symbolTypeNames[type] ?? 'symbol';
}

function code(text: string): string {
  return '`' + text.replace(/`/g, "'") + '`';
}

function sympos(func: KlpFunc): number | undefined {
  return func.oldSympos?.value;
}

function symbolLine(symbol: KernelSymbol): string {
  const size = symbol.size !== undefined ? `, ${symbol.size} bytes` : '';
  return `${code(symbol.type)} ${describeSymbolType(symbol.type)} at ${code(symbol.address)}${size}`;
}

/** The hover text for `name` looked up in `objectName` (exported for unit tests). */
export function describeOldName(kernel: KernelModel, objectName: string | undefined, name: string, func?: KlpFunc): string {
  const lines: string[] = [];
  if (objectName === undefined) {
    lines.push(`${code(name)}: the object name of this \`klp_object\` could not be evaluated, so the symbol cannot be looked up.`);
    return withFooter(lines, kernel);
  }
  lines.push(`**${code(name)}** in ${code(objectName)}`);
  lines.push('');
  if (!kernel.objects.has(objectName)) {
    lines.push(`The kernel model has no object ${code(objectName)}: the symbol cannot be checked until the model describes that module.`);
    return withFooter(lines, kernel);
  }
  const symbols = kernel.lookup(objectName, name);
  const selected = func ? sympos(func) : undefined;
  if (symbols.length === 0) {
    lines.push(`Not found: ${code(objectName)} has no symbol named ${code(name)} in the kernel model.`);
    const elsewhere = kernel.objectsDefining(name).filter((other) => other !== objectName);
    if (elsewhere.length > 0) lines.push('', `Defined in: ${elsewhere.map(code).join(', ')}.`);
  } else if (symbols.length === 1) {
    lines.push(symbolLine(symbols[0]));
    lines.push('', `Unique in ${code(objectName)}: \`old_sympos\` 0 (unset) or 1 selects it.`);
  } else {
    lines.push(`${symbols.length} symbols named ${code(name)} in ${code(objectName)}; \`old_sympos\` must say which:`);
    lines.push('');
    symbols.forEach((symbol, index) => {
      const mark = selected === index + 1 ? ' ← selected' : '';
      lines.push(`- \`old_sympos = ${index + 1}\`: ${symbolLine(symbol)}${mark}`);
    });
    if (selected === undefined || selected === 0) {
      lines.push('', 'With `old_sympos` 0 (unset) the kernel refuses the patch: the name is ambiguous.');
    } else if (selected > symbols.length) {
      lines.push('', `\`old_sympos = ${selected}\` is beyond the ${symbols.length} matching symbols.`);
    }
  }
  if (symbols.length > 0) {
    const { patchable, reason } = kernel.isPatchable(objectName, name);
    if (patchable === true) lines.push('', 'Patchable: yes (ftrace can attach to it).');
    else if (patchable === false) lines.push('', `Patchable: **no**${reason ? ` — ${reason}` : ''}.`);
    else lines.push('', 'Patchable: unknown (the kernel model has no list of ftrace-patchable functions for this object).');
  }
  return withFooter(lines, kernel);
}

function withFooter(lines: string[], kernel: KernelModel): string {
  lines.push('', `_Kernel model: ${kernel.release} ${kernel.architecture} (${kernel.source})_`);
  return lines.join('\n');
}

export function register(context: ServerContext): ServerCapabilities {
  context.connection.onHover(
    context.safe('textDocument/hover', null, ({ textDocument, position }): Hover | null => {
      const path = pathFromUri(textDocument.uri);
      // Scenarios are not C: the analyzer must not parse them.
      if (isScenarioPath(path)) return null;
      const module = context.analyzer.analyze(path).module;
      if (!module) return null;
      const found = oldNameAt(module, path, position);
      const oldName = found?.func.oldName;
      if (!found || !oldName || oldName.value === undefined) return null;
      return {
        contents: { kind: MarkupKind.Markdown, value: describeOldName(context.kernel.model, objectNameOf(found.object), oldName.value, found.func) },
        range: oldName.location.range,
      };
    }),
  );
  return { hoverProvider: true };
}
