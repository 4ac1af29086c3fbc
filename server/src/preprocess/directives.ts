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
  scanLines(text, 0, chains, []);
  return chains;
}

/** The chains of a text and its "safe" line starts: no chain open, not in a comment. */
export interface ConditionalScan {
  chains: ConditionalChain[];
  safe: number[];
}

export function scanConditionalsWithState(text: string): ConditionalScan {
  const chains: ConditionalChain[] = [];
  const safe: number[] = [];
  scanLines(text, 0, chains, safe);
  return { chains, safe };
}

/** Index of the last element <= value in a sorted array, or -1. */
function lastAtMost(sorted: number[], value: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (sorted[mid] <= value) low = mid + 1;
    else high = mid;
  }
  return low - 1;
}

/**
 * The scan of an edited text from the previous one (of a text `delta` characters shorter):
 * again from the last safe line start before the edit, until a line start after it that was
 * safe before too; the chains after it are the previous ones, moved (copies: the previous are
 * left as they were). Exactly scanConditionalsWithState(text). `[editStart, editEnd]` covers
 * every changed character (new offsets).
 */
export function updateConditionalScan(previous: ConditionalScan, delta: number, text: string, editStart: number, editEnd: number): ConditionalScan {
  const r = lastAtMost(previous.safe, editStart);
  const restart = r >= 0 ? previous.safe[r] : 0;
  const old = previous.chains;
  let before = 0;
  while (before < old.length && old[before].branches[0].start <= restart) before++;
  const chains = old.slice(0, before);
  const safe = previous.safe.slice(0, r + 1);
  const resumed = scanLines(text, restart, chains, safe, (lineStart) => {
    if (lineStart < editEnd) return false;
    const i = lastAtMost(previous.safe, lineStart - delta);
    return i >= 0 && previous.safe[i] === lineStart - delta;
  });
  if (resumed < text.length) {
    const oldResumed = resumed - delta;
    let after = before;
    while (after < old.length && old[after].branches[0].start <= oldResumed) after++;
    for (let i = after; i < old.length; i++) {
      chains.push({ branches: old[i].branches.map((b) => ({ kind: b.kind, condition: b.condition, start: b.start + delta, end: b.end + delta })) });
    }
    for (let i = lastAtMost(previous.safe, oldResumed) + 1; i < previous.safe.length; i++) safe.push(previous.safe[i] + delta);
  }
  return { chains, safe };
}

/**
 * The line scan from `from` (a safe line start, or 0) on: fills `chains`, records the safe line
 * starts it reaches after `from`, and stops at the first one `stop` accepts.
 */
function scanLines(text: string, from: number, chains: ConditionalChain[], safe: number[], stop?: (lineStart: number) => boolean): number {
  const stack: OpenChain[] = [];
  let inComment = false;
  let offset = from;
  const length = text.length;
  while (offset < length) {
    if (offset > from && stack.length === 0 && !inComment) {
      safe.push(offset);
      if (stop?.(offset)) return offset;
    }
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
  return length;
}
