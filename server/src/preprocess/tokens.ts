/**
 * A tokenizer for C expressions and macro bodies. It only needs to be good enough for the
 * constant expressions livepatch tables use (ids, versions, names, `#if` conditions).
 */
export type TokenKind = 'number' | 'identifier' | 'string' | 'char' | 'punct';

export interface Token {
  kind: TokenKind;
  text: string;
  /** True when whitespace preceded the token (matters for `#` stringification). */
  spaceBefore: boolean;
}

const punctuators = [
  '<<=', '>>=', '...', '##', '<<', '>>', '<=', '>=', '==', '!=', '&&', '||', '->', '++', '--',
  '+=', '-=', '*=', '/=', '%=', '&=', '|=', '^=',
];

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let space = false;
  const n = text.length;
  while (i < n) {
    const c = text[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v') {
      space = true;
      i++;
      continue;
    }
    if (c === '\\' && (text[i + 1] === '\n' || text[i + 1] === '\r')) {
      space = true;
      i += 2;
      continue;
    }
    if (c === '/' && text[i + 1] === '*') {
      const close = text.indexOf('*/', i + 2);
      i = close < 0 ? n : close + 2;
      space = true;
      continue;
    }
    if (c === '/' && text[i + 1] === '/') {
      const eol = text.indexOf('\n', i);
      i = eol < 0 ? n : eol;
      space = true;
      continue;
    }
    const start = i;
    let kind: TokenKind;
    if (/[A-Za-z_]/.test(c)) {
      while (i < n && /[A-Za-z0-9_]/.test(text[i])) i++;
      // An encoding prefix glued to a string (L"x", u8"x") stays part of the string.
      if ((text[i] === '"' || text[i] === "'") && /^(L|u|U|u8)$/.test(text.slice(start, i))) {
        const quote = text[i];
        i = skipQuoted(text, i, quote);
        kind = quote === '"' ? 'string' : 'char';
      } else kind = 'identifier';
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(text[i + 1] ?? ''))) {
      while (i < n && /[A-Za-z0-9_.]/.test(text[i])) i++;
      kind = 'number';
    } else if (c === '"' || c === "'") {
      i = skipQuoted(text, i, c);
      kind = c === '"' ? 'string' : 'char';
    } else {
      const p = punctuators.find((candidate) => text.startsWith(candidate, i));
      i += p ? p.length : 1;
      kind = 'punct';
    }
    tokens.push({ kind, text: text.slice(start, i), spaceBefore: space });
    space = false;
  }
  return tokens;
}

function skipQuoted(text: string, i: number, quote: string): number {
  i++;
  while (i < text.length) {
    if (text[i] === '\\') {
      i += 2;
      continue;
    }
    if (text[i] === quote || text[i] === '\n') return i + 1;
    i++;
  }
  return i;
}

/** The value of a C string literal token (escapes decoded, prefix dropped). */
export function stringLiteralValue(token: string): string {
  const open = token.indexOf('"');
  const body = token.slice(open + 1, token.endsWith('"') ? -1 : undefined);
  return decodeEscapes(body);
}

export function charLiteralValue(token: string): number {
  const open = token.indexOf("'");
  const body = decodeEscapes(token.slice(open + 1, token.endsWith("'") ? -1 : undefined));
  return body.length ? body.charCodeAt(0) : 0;
}

function decodeEscapes(body: string): string {
  return body.replace(/\\(x[0-9a-fA-F]+|[0-7]{1,3}|.)/g, (_m, e: string) => {
    if (e[0] === 'x') return String.fromCharCode(parseInt(e.slice(1), 16));
    if (/^[0-7]/.test(e)) return String.fromCharCode(parseInt(e, 8));
    const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '0': '\0', a: '\x07', b: '\b', f: '\f', v: '\v' };
    return simple[e] ?? e;
  });
}

/** Integer value of a C number token (suffixes u/l/ul/ull ignored), or undefined for floats. */
export function numberLiteralValue(token: string): number | undefined {
  const t = token.replace(/(ull|llu|ul|lu|ll|u|l)$/i, '');
  if (/^0[xX][0-9a-fA-F]+$/.test(t)) return parseInt(t.slice(2), 16);
  if (/^0[bB][01]+$/.test(t)) return parseInt(t.slice(2), 2);
  if (/^0[0-7]*$/.test(t)) return parseInt(t, 8);
  if (/^[1-9][0-9]*$/.test(t)) return parseInt(t, 10);
  return undefined;
}
