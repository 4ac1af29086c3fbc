/**
 * Finds `#if`/`#ifdef`/`#ifndef`/`#elif`/`#else`/`#endif` chains in a file's text. The
 * preprocessor works on lines before any C parsing, and the C grammar cannot place a directive
 * that splits an initializer list or a statement (it becomes an ERROR node), so conditionals are
 * read from the lines, as cpp does, rather than from the tree.
 */
import type { ConditionalChain } from '../model/fileFacts';

interface OpenChain {
  chain: ConditionalChain;
}

/** Whether the line's first non-blank character is `#` (or it starts with a blank the fast test does not know). */
function mayBeDirective(text: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 32 || (c >= 9 && c <= 13)) continue;
    return c === 35 || c >= 128;
  }
  return false;
}

export function scanConditionals(text: string): ConditionalChain[] {
  const chains: ConditionalChain[] = [];
  const stack: OpenChain[] = [];
  let inComment = false;
  let offset = 0;
  const length = text.length;
  while (offset < length) {
    let end = text.indexOf('\n', offset);
    if (end < 0) end = length;
    // Join backslash continuations into one logical line.
    while (end < length && (text[end - 1] === '\\' || (text[end - 1] === '\r' && text[end - 2] === '\\'))) {
      const next = text.indexOf('\n', end + 1);
      end = next < 0 ? length : next;
    }
    const lineEnd = Math.min(end + 1, length);
    if (!inComment && mayBeDirective(text, offset, end)) {
      const line = text.slice(offset, end);
      const directive = /^\s*#\s*(ifdef|ifndef|if|elifdef|elifndef|elif|else|endif)\b(.*)$/s.exec(line);
      if (directive) {
        const kind = directive[1];
        const condition = directive[2].replace(/\/\*.*?\*\//gs, ' ').replace(/\/\/.*$/s, '').replace(/\\\r?\n/g, ' ').trim();
        const top = stack[stack.length - 1];
        const closeBranch = () => {
          const branches = top?.chain.branches;
          if (branches?.length) branches[branches.length - 1].end = offset;
        };
        if (kind === 'if' || kind === 'ifdef' || kind === 'ifndef') {
          const chain: ConditionalChain = { branches: [{ kind, condition, start: lineEnd, end: length }] };
          chains.push(chain);
          stack.push({ chain });
        } else if (top && (kind === 'elif' || kind === 'elifdef' || kind === 'elifndef')) {
          closeBranch();
          // #elifdef X is #elif defined(X): expressed as an elif condition.
          const elifCondition = kind === 'elif' ? condition : `${kind === 'elifndef' ? '!' : ''}defined(${condition})`;
          top.chain.branches.push({ kind: 'elif', condition: elifCondition, start: lineEnd, end: length });
        } else if (top && kind === 'else') {
          closeBranch();
          top.chain.branches.push({ kind: 'else', condition: '', start: lineEnd, end: length });
        } else if (top && kind === 'endif') {
          closeBranch();
          stack.pop();
        }
      }
    }
    // Track block comments so a directive-looking line inside one is ignored.
    for (let i = offset; i < end - 1; i++) {
      const c = text.charCodeAt(i);
      if (inComment) {
        if (c === 42 /* * */ && text.charCodeAt(i + 1) === 47) {
          inComment = false;
          i++;
        }
      } else if (c === 47 /* / */) {
        const next = text.charCodeAt(i + 1);
        if (next === 47) break;
        if (next === 42) {
          inComment = true;
          i++;
        }
      }
    }
    offset = lineEnd;
    if (end >= length) break;
  }
  return chains;
}
