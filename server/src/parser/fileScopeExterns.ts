/**
 * File-scope `extern` declarations carry no fact the model reads (functions, tables, calls,
 * returns, records and typedefs all come from elsewhere), yet the extracted kernel code of a
 * distribution tree is made of them by the hundred: about 40 % of its bytes. A file that is not
 * open is parsed with them overwritten by spaces (same length, newlines kept, as in
 * neutralize.ts), which spares the parser and the facts query a fifth of their work on such code.
 * Their relocation macros are read before this (neutralize.ts, layouts/workspace.ts). An open
 * document is parsed whole: its tree serves hover and navigation, and reports every syntax error.
 *
 * Only a declaration that is plainly one is blanked: it starts a statement at file scope, and it
 * ends at a `;` outside parentheses with no `{`, `}`, `=` or directive line before it. Anything
 * else (an initialiser, a body, an unterminated declaration) is left to the parser.
 */
import { blankOut } from './neutralize';

const enum Code {
  Tab = 9,
  Newline = 10,
  Return = 13,
  Space = 32,
  DoubleQuote = 34,
  Hash = 35,
  SingleQuote = 39,
  OpenParen = 40,
  CloseParen = 41,
  Star = 42,
  Slash = 47,
  Semicolon = 59,
  Equals = 61,
  Backslash = 92,
  OpenBrace = 123,
  CloseBrace = 125,
}

function isIdentifierPart(code: number): boolean {
  return (code >= 97 && code <= 122) || (code >= 65 && code <= 90) || (code >= 48 && code <= 57) || code === 95;
}

/** The end of a comment starting at `at` (`//` or a block comment), or `at` when none starts there. */
function commentEnd(text: string, at: number): number {
  if (text.charCodeAt(at) !== Code.Slash) return at;
  const next = text.charCodeAt(at + 1);
  if (next === Code.Slash) {
    const end = text.indexOf('\n', at);
    return end < 0 ? text.length : end;
  }
  if (next === Code.Star) {
    const end = text.indexOf('*/', at + 2);
    return end < 0 ? text.length : end + 2;
  }
  return at;
}

/** The end of the string or character literal starting at `at` (its closing quote included). */
function literalEnd(text: string, at: number): number {
  const quote = text.charCodeAt(at);
  for (let i = at + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === Code.Backslash) i++;
    else if (c === quote || c === Code.Newline) return i + 1;
  }
  return text.length;
}

/** The end of the directive starting at `at` (its continuation lines included, its newline not). */
function directiveEnd(text: string, at: number): number {
  let end = text.indexOf('\n', at);
  while (end > 0 && (text.charCodeAt(end - 1) === Code.Backslash || (text.charCodeAt(end - 1) === Code.Return && text.charCodeAt(end - 2) === Code.Backslash))) end = text.indexOf('\n', end + 1);
  return end < 0 ? text.length : end;
}

/** Whether only blanks precede `at` on its line. */
function firstOnLine(text: string, at: number): boolean {
  for (let i = at - 1; i >= 0; i--) {
    const c = text.charCodeAt(i);
    if (c === Code.Newline) return true;
    if (c !== Code.Space && c !== Code.Tab && c !== Code.Return) return false;
  }
  return true;
}

/** The offset just past the `;` ending a plain declaration that starts at `at`, or -1. */
function declarationEnd(text: string, at: number): number {
  let parens = 0;
  for (let i = at; i < text.length; ) {
    const c = text.charCodeAt(i);
    const afterComment = commentEnd(text, i);
    if (afterComment !== i) {
      i = afterComment;
      continue;
    }
    switch (c) {
      case Code.DoubleQuote:
      case Code.SingleQuote:
        i = literalEnd(text, i);
        continue;
      case Code.Hash:
        if (firstOnLine(text, i)) return -1;
        break;
      case Code.OpenBrace:
      case Code.CloseBrace:
      case Code.Equals:
        return -1;
      case Code.OpenParen:
        parens++;
        break;
      case Code.CloseParen:
        if (--parens < 0) return -1;
        break;
      case Code.Semicolon:
        if (parens === 0) return i + 1;
        break;
    }
    i++;
  }
  return -1;
}

/** `text` with its plain file-scope `extern` declarations overwritten by spaces (newlines kept). */
export function blankFileScopeExterns(text: string): string {
  if (!text.includes('extern')) return text;
  const ranges: number[] = [];
  let depth = 0;
  // At file scope, whether the last token ended a statement (or there was none yet).
  let statementStart = true;
  for (let i = 0; i < text.length; ) {
    const c = text.charCodeAt(i);
    const afterComment = commentEnd(text, i);
    if (afterComment !== i) {
      i = afterComment;
      continue;
    }
    if (c === Code.Space || c === Code.Tab || c === Code.Newline || c === Code.Return) {
      i++;
      continue;
    }
    if (c === Code.Hash && firstOnLine(text, i)) {
      i = directiveEnd(text, i);
      continue;
    }
    if (c === Code.DoubleQuote || c === Code.SingleQuote) {
      i = literalEnd(text, i);
      statementStart = false;
      continue;
    }
    if (isIdentifierPart(c)) {
      let end = i + 1;
      while (end < text.length && isIdentifierPart(text.charCodeAt(end))) end++;
      if (depth === 0 && statementStart && end - i === 6 && text.startsWith('extern', i)) {
        const declarationStop = declarationEnd(text, end);
        if (declarationStop > 0) {
          ranges.push(i, declarationStop);
          i = declarationStop;
          continue;
        }
      }
      statementStart = false;
      i = end;
      continue;
    }
    if (c === Code.OpenBrace) depth++;
    else if (c === Code.CloseBrace && depth > 0) depth--;
    statementStart = depth === 0 && (c === Code.Semicolon || c === Code.CloseBrace);
    i++;
  }
  if (ranges.length === 0) return text;
  let blanked = '';
  let last = 0;
  for (let r = 0; r < ranges.length; r += 2) {
    blanked += text.slice(last, ranges[r]) + blankOut(text, ranges[r], ranges[r + 1]);
    last = ranges[r + 1];
  }
  return blanked + text.slice(last);
}
