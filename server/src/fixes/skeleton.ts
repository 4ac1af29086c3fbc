/**
 * Fixes for the module skeleton and tables: the `{ }` terminator, MODULE_INFO(livepatch, "Y"),
 * and `.replace = true`.
 */
import type { Finding } from '../checks/types';
import { addInitializerField, insertIntoList, sourceOf } from './edits';
import { indentUnit, matchingBrace } from './text';
import type { Fix, FixContext } from './types';

/** LP-TERMINATOR for a missing terminator: the finding sits on the array's closing brace. */
export function addTerminator(finding: Finding, context: FixContext): Fix[] {
  if (finding.data?.insertText !== '{ }') return [];
  const source = sourceOf(context, finding.location.file);
  if (!source) return [];
  const close = source.offsetAt(finding.location.range.start);
  if (source.text[close] !== '}') return [];
  // The array's opening brace: the matching one, found by scanning back.
  let depth = 0;
  let open = -1;
  for (let index = close; index >= 0; index--) {
    const c = source.text[index];
    if (c === '}') depth++;
    else if (c === '{' && --depth === 0) {
      open = index;
      break;
    }
  }
  if (open < 0 || matchingBrace(source.text, open) !== close) return [];
  const edits = insertIntoList(source, open, close, ['{ }'], indentUnit(source.text));
  return edits ? [{ title: 'Add the { } terminator', code: finding.code, edits, isPreferred: true }] : [];
}

/** LP-MODINFO-MISSING: the tag goes after MODULE_LICENSE, else at the end of the main file. */
export function addModinfo(finding: Finding, context: FixContext): Fix[] {
  const { module } = context;
  const main = module.files[0];
  if (!main) return [];
  const source = sourceOf(context, main);
  if (!source) return [];
  const line = 'MODULE_INFO(livepatch, "Y");';
  let edit;
  if (module.license && module.license.location.file === main) {
    const after = source.lineEnd(module.license.location.range.end.line);
    edit = source.insert(after, `\n${line}`);
  } else {
    const text = source.text;
    edit = source.insert(text.length, `${text.endsWith('\n') || text === '' ? '' : '\n'}${line}\n`);
  }
  return [{ title: 'Add MODULE_INFO(livepatch, "Y")', code: finding.code, edits: [edit], isPreferred: true }];
}

/** LP-NON-CUMULATIVE: make this patch cumulative. */
export function addReplace(finding: Finding, context: FixContext): Fix[] {
  const name = typeof finding.data?.patch === 'string' ? finding.data.patch : undefined;
  const patch = context.module.patches.find((candidate) => candidate.variableName === name) ?? context.module.patches[0];
  if (!patch || patch.replace !== undefined) return [];
  const source = sourceOf(context, patch.location.file);
  if (!source) return [];
  const edits = addInitializerField(source, patch.location, '.replace = true,');
  return edits
    ? [{ title: `Make '${patch.variableName}' cumulative (.replace = true): it then replaces every installed patch`, code: finding.code, edits }]
    : [];
}
