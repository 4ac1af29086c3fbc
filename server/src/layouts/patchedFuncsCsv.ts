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

export function parsePatchedFuncs(path: string, text: string): PatchedFuncsList {
  const list: PatchedFuncsList = { path, lines: [], problems: [] };
  const at = (line: number, start: number, end: number): Location => ({ file: path, range: { start: { line, character: start }, end: { line, character: end } } });
  let sawContent = false;
  text.split('\n').forEach((raw, lineNumber) => {
    const withoutReturn = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const hash = withoutReturn.indexOf('#');
    const content = hash >= 0 ? withoutReturn.slice(0, hash) : withoutReturn;
    const tokens = fieldsOf(content);
    if (tokens.length === 0) return;
    const first = !sawContent;
    sawContent = true;
    if (first && tokens.every((t) => headerWords.has(t.text.toLowerCase()))) return;
    const lineLocation = at(lineNumber, tokens[0].start, tokens[tokens.length - 1].end);
    const problem = (message: string, token?: Token) => {
      list.problems.push({ message, location: token ? at(lineNumber, token.start, Math.max(token.end, token.start + 1)) : lineLocation });
    };
    if (tokens.length < 3 || tokens.length > 4) {
      problem(`expected 'object old_function new_function [old_sympos]', found ${tokens.length} field${tokens.length === 1 ? '' : 's'}: the build cannot generate a klp_func entry from this line`);
      return;
    }
    const empty = tokens.find((t) => t.text === '');
    if (empty) return problem('empty field between two commas', empty);
    const [object, oldName, newFunc, sympos] = tokens;
    if (!objectName.test(object.text)) return problem(`'${object.text}' is not an object name: write vmlinux or the module name lsmod shows`, object);
    if (!symbolName.test(oldName.text)) return problem(`'${oldName.text}' is not a symbol name`, oldName);
    if (!identifier.test(newFunc.text)) return problem(`'${newFunc.text}' is not a C function name`, newFunc);
    if (sympos && !/^\d+$/.test(sympos.text)) return problem(`old_sympos '${sympos.text}' is not a non-negative number`, sympos);
    const entry: PatchedFuncsLine = {
      object: { value: object.text, location: at(lineNumber, object.start, object.end) },
      oldName: { value: oldName.text, location: at(lineNumber, oldName.start, oldName.end) },
      newFunc: { value: newFunc.text, location: at(lineNumber, newFunc.start, newFunc.end) },
      location: lineLocation,
    };
    if (sympos) entry.sympos = { value: Number(sympos.text), location: at(lineNumber, sympos.start, sympos.end) };
    list.lines.push(entry);
  });
  return list;
}
