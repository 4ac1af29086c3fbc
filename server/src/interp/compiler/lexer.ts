/**
 * Splits C source into preprocessing tokens that remember where they came from, and into
 * directive lines. Backslash continuations are joined, comments dropped, and every token keeps
 * its file, 1-based line and column so compiled code can report source locations after macro
 * expansion.
 */

export type PKind = 'number' | 'identifier' | 'string' | 'char' | 'punct';

export interface Origin {
  file: string;
  line: number;
  column: number;
}

export interface PToken {
  kind: PKind;
  text: string;
  /** Whitespace before the token (for `#` stringification). */
  spaceBefore: boolean;
  origin: Origin;
  /** Macro names that must not expand this token again (the C "hide set"). */
  hide?: Set<string>;
}

export interface DirectiveLine {
  /** Text after `#` with comments removed and continuations joined. */
  text: string;
  origin: Origin;
}

export type LexItem = { token: PToken } | { directive: DirectiveLine };

const punctuators = [
  '<<=', '>>=', '...', '##', '<<', '>>', '<=', '>=', '==', '!=', '&&', '||', '->', '++', '--',
  '+=', '-=', '*=', '/=', '%=', '&=', '|=', '^=',
];

function isIdStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 36;
}
function isIdPart(c: number): boolean {
  return isIdStart(c) || (c >= 48 && c <= 57);
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Lexes a whole file into tokens and directive lines, in order. */
export function lexFile(text: string, file: string, directives = true): LexItem[] {
  const items: LexItem[] = [];
  const n = text.length;
  let i = 0;
  let line = 1;
  let lineStart = 0;
  let atLineStart = true;
  let space = true;

  const skipSpaceAndComments = (stopAtNewline: boolean): void => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 10) {
        if (stopAtNewline) return;
        line++;
        lineStart = i + 1;
        atLineStart = true;
        space = true;
        i++;
      } else if (c === 32 || c === 9 || c === 13 || c === 12 || c === 11) {
        space = true;
        i++;
      } else if (c === 92 && (text.charCodeAt(i + 1) === 10 || (text.charCodeAt(i + 1) === 13 && text.charCodeAt(i + 2) === 10))) {
        i += text.charCodeAt(i + 1) === 13 ? 3 : 2;
        line++;
        lineStart = i;
        space = true;
      } else if (c === 47 && text.charCodeAt(i + 1) === 42) {
        const close = text.indexOf('*/', i + 2);
        const end = close < 0 ? n : close + 2;
        for (let k = i; k < end; k++) {
          if (text.charCodeAt(k) === 10) {
            line++;
            lineStart = k + 1;
          }
        }
        i = end;
        space = true;
      } else if (c === 47 && text.charCodeAt(i + 1) === 47) {
        while (i < n && text.charCodeAt(i) !== 10) {
          if (text.charCodeAt(i) === 92 && text.charCodeAt(i + 1) === 10) {
            i += 2;
            line++;
            lineStart = i;
          } else i++;
        }
        space = true;
      } else return;
    }
  };

  const lexToken = (): PToken => {
    const start = i;
    const origin: Origin = { file, line, column: i - lineStart + 1 };
    const c = text.charCodeAt(i);
    let kind: PKind;
    if (isIdStart(c)) {
      while (i < n && isIdPart(text.charCodeAt(i))) i++;
      const word = text.slice(start, i);
      const q = text[i];
      if ((q === '"' || q === "'") && /^(L|u|U|u8)$/.test(word)) {
        i = skipQuoted(text, i, q);
        kind = q === '"' ? 'string' : 'char';
      } else kind = 'identifier';
    } else if (isDigit(c) || (c === 46 && isDigit(text.charCodeAt(i + 1)))) {
      while (i < n) {
        const d = text.charCodeAt(i);
        if ((d === 43 || d === 45) && /[eEpP]/.test(text[i - 1])) {
          i++;
          continue;
        }
        if (isIdPart(d) || d === 46) i++;
        else break;
      }
      kind = 'number';
    } else if (c === 34 || c === 39) {
      i = skipQuoted(text, i, text[i]);
      kind = c === 34 ? 'string' : 'char';
    } else {
      const p = punctuators.find((candidate) => text.startsWith(candidate, i));
      i += p ? p.length : 1;
      kind = 'punct';
    }
    let tokenText = text.slice(start, i);
    if (tokenText.includes('\\\n')) tokenText = tokenText.replace(/\\\r?\n/g, '');
    const token: PToken = { kind, text: tokenText, spaceBefore: space, origin };
    space = false;
    return token;
  };

  while (i < n) {
    skipSpaceAndComments(false);
    if (i >= n) break;
    if (directives && atLineStart && text[i] === '#') {
      const origin: Origin = { file, line, column: i - lineStart + 1 };
      i++;
      // Collect the logical line with comments removed.
      let directive = '';
      for (;;) {
        const before = i;
        skipSpaceAndComments(true);
        if (i > before) directive += ' ';
        if (i >= n || text.charCodeAt(i) === 10) break;
        const c = text.charCodeAt(i);
        if (c === 34 || c === 39) {
          const end = skipQuoted(text, i, text[i]);
          directive += text.slice(i, end);
          i = end;
        } else {
          directive += text[i];
          i++;
        }
      }
      items.push({ directive: { text: directive.trim(), origin } });
      atLineStart = false;
      continue;
    }
    atLineStart = false;
    items.push({ token: lexToken() });
  }
  return items;
}

/** Lexes a fragment (a macro body or an #if condition) with one origin for every token. */
export function lexFragment(text: string, origin: Origin): PToken[] {
  const out: PToken[] = [];
  for (const item of lexFile(text, origin.file, false)) {
    if ('token' in item) out.push({ ...item.token, origin });
  }
  return out;
}

function skipQuoted(text: string, i: number, quote: string): number {
  i++;
  while (i < text.length) {
    const c = text[i];
    if (c === '\\') {
      i += 2;
      continue;
    }
    if (c === quote || c === '\n') return i + 1;
    i++;
  }
  return i;
}
