/**
 * Reads a distribution tree's `patched_funcs.csv`: one line per patched function,
 *
 *     object  old_function  new_function  [old_sympos]
 *
 * separated by blanks and/or commas; `#` starts a comment; blank lines are ignored; a first line
 * of column titles (`object,old_func,new_func`) is allowed. `vmlinux` as the object means the
 * kernel itself (a NULL `.name`). Malformed lines become problems with the column they are about;
 * reading never fails.
 */
import type { Location } from '../model/location';
import type { PatchedFuncsLine, PatchedFuncsList } from '../model/types';

export const patchedFuncsFileName = 'patched_funcs.csv';

export function isPatchedFuncsFile(path: string): boolean {
  return path === patchedFuncsFileName || path.endsWith(`/${patchedFuncsFileName}`) || path.endsWith(`\\${patchedFuncsFileName}`);
}

interface Token {
  text: string;
  start: number;
  end: number;
}

const objectName = /^[A-Za-z0-9_-]+$/;
/** kallsyms names carry compiler suffixes (`.isra.0`, `.cold`) and, rarely, `$`. */
const symbolName = /^[A-Za-z_][A-Za-z0-9_.$]*$/;
const identifier = /^[A-Za-z_][A-Za-z0-9_]*$/;
const headerWords = new Set(['object', 'obj', 'objname', 'old_func', 'old_function', 'old_name', 'new_func', 'new_function', 'sympos', 'old_sympos']);

/** Splits one line (comment removed) into fields; an empty field between two commas is kept as "". */
function fieldsOf(line: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let sawComma = true; // the line start behaves like a separator
  while (i < line.length) {
    const c = line[i];
    if (c === ' ' || c === '\t') {
      i++;
      continue;
    }
    if (c === ',') {
      if (sawComma) tokens.push({ text: '', start: i, end: i });
      sawComma = true;
      i++;
      continue;
    }
    const start = i;
    while (i < line.length && line[i] !== ',' && line[i] !== ' ' && line[i] !== '\t') i++;
    tokens.push({ text: line.slice(start, i), start, end: i });
    sawComma = false;
  }
  return tokens;
}

// Top-level functions rather than closures made per list: a closure's optimised code is lost at
// each full collection once its instances are gone (ARCHITECTURE.md, invariants).

function at(path: string, line: number, start: number, end: number): Location {
  return { file: path, range: { start: { line, character: start }, end: { line, character: end } } };
}

function isHeaderLine(tokens: readonly Token[]): boolean {
  for (const t of tokens) if (!headerWords.has(t.text.toLowerCase())) return false;
  return true;
}

export function parsePatchedFuncs(path: string, text: string): PatchedFuncsList {
  const list: PatchedFuncsList = { path, lines: [], problems: [] };
  let sawContent = false;
  const rawLines = text.split('\n');
  for (let lineNumber = 0; lineNumber < rawLines.length; lineNumber++) {
    const raw = rawLines[lineNumber];
    const withoutReturn = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const hash = withoutReturn.indexOf('#');
    const content = hash >= 0 ? withoutReturn.slice(0, hash) : withoutReturn;
    const tokens = fieldsOf(content);
    if (tokens.length === 0) continue;
    const first = !sawContent;
    sawContent = true;
    if (first && isHeaderLine(tokens)) continue;
    const problem = lineProblem(path, lineNumber, tokens);
    if (problem) list.problems.push(problem);
    else list.lines.push(lineEntry(path, lineNumber, tokens));
  }
  return list;
}

/** A problem of a field (`token`), or of the whole line. */
function problemAt(path: string, lineNumber: number, tokens: readonly Token[], message: string, token: Token | undefined): PatchedFuncsList['problems'][number] {
  const location = token ? at(path, lineNumber, token.start, Math.max(token.end, token.start + 1)) : at(path, lineNumber, tokens[0].start, tokens[tokens.length - 1].end);
  return { message, location };
}

/** What is wrong with a line, if anything. */
function lineProblem(path: string, lineNumber: number, tokens: readonly Token[]): PatchedFuncsList['problems'][number] | undefined {
  if (tokens.length < 3 || tokens.length > 4) {
    return problemAt(path, lineNumber, tokens, `expected 'object old_function new_function [old_sympos]', found ${tokens.length} field${tokens.length === 1 ? '' : 's'}: the build cannot generate a klp_func entry from this line`, undefined);
  }
  for (const t of tokens) if (t.text === '') return problemAt(path, lineNumber, tokens, 'empty field between two commas', t);
  const [object, oldName, newFunc, sympos] = tokens;
  if (!objectName.test(object.text)) return problemAt(path, lineNumber, tokens, `'${object.text}' is not an object name: write vmlinux or the module name lsmod shows`, object);
  if (!symbolName.test(oldName.text)) return problemAt(path, lineNumber, tokens, `'${oldName.text}' is not a symbol name`, oldName);
  if (!identifier.test(newFunc.text)) return problemAt(path, lineNumber, tokens, `'${newFunc.text}' is not a C function name`, newFunc);
  if (sympos && !/^\d+$/.test(sympos.text)) return problemAt(path, lineNumber, tokens, `old_sympos '${sympos.text}' is not a non-negative number`, sympos);
  return undefined;
}

function lineEntry(path: string, lineNumber: number, tokens: readonly Token[]): PatchedFuncsLine {
  const [object, oldName, newFunc, sympos] = tokens;
  const entry: PatchedFuncsLine = {
    object: { value: object.text, location: at(path, lineNumber, object.start, object.end) },
    oldName: { value: oldName.text, location: at(path, lineNumber, oldName.start, oldName.end) },
    newFunc: { value: newFunc.text, location: at(path, lineNumber, newFunc.start, newFunc.end) },
    location: at(path, lineNumber, tokens[0].start, tokens[tokens.length - 1].end),
  };
  if (sympos) entry.sympos = { value: Number(sympos.text), location: at(path, lineNumber, sympos.start, sympos.end) };
  return entry;
}
