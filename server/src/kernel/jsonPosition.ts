/**
 * Maps JSON pointers to positions in JSON text, and finds the position of a syntax error.
 *
 * JSON.parse gives neither: it returns values without positions and its error messages only
 * sometimes carry an offset, so this is a small strict scanner over the text. It walks the
 * document once, descending only into the members that some requested pointer goes through and
 * skipping everything else, so locating several errors in a large model costs one pass.
 */

export interface TextPosition {
  offset: number;
  /** 0-based. */
  line: number;
  /** 0-based, in UTF-16 code units (what LSP and JavaScript strings use). */
  character: number;
}

export class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

interface PathNode {
  wanted: boolean;
  children: Map<string, PathNode>;
}

/** Splits an RFC 6901 pointer ("/a/b~1c/0") into unescaped segments. */
export function parseJsonPointer(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(pointer.startsWith('/') ? 1 : 0)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

export function escapeJsonPointerSegment(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

class Scanner {
  pos = 0;
  readonly found = new Map<PathNode, number>();

  constructor(readonly text: string) {
    // A byte order mark is not JSON, but editors write it; positions stay those of the text.
    if (text.charCodeAt(0) === 0xfeff) this.pos = 1;
  }

  fail(message: string, offset = this.pos): never {
    throw new JsonSyntaxError(message, offset);
  }

  ws(): void {
    const t = this.text;
    let i = this.pos;
    for (;;) {
      const c = t.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else break;
    }
    this.pos = i;
  }

  document(root: PathNode | undefined): void {
    this.ws();
    if (this.pos >= this.text.length) this.fail('empty document: expected a JSON value');
    this.value(root);
    this.ws();
    if (this.pos < this.text.length) this.fail('unexpected content after the end of the JSON value');
  }

  value(node: PathNode | undefined): void {
    if (node?.wanted) this.found.set(node, this.pos);
    const c = this.text.charCodeAt(this.pos);
    if (c === 0x7b /* { */) this.object(node);
    else if (c === 0x5b /* [ */) this.array(node);
    else if (c === 0x22 /* " */) this.string(false);
    else if (c === 0x2d /* - */ || (c >= 0x30 && c <= 0x39)) this.number();
    else if (this.text.startsWith('true', this.pos)) this.pos += 4;
    else if (this.text.startsWith('false', this.pos)) this.pos += 5;
    else if (this.text.startsWith('null', this.pos)) this.pos += 4;
    else if (this.pos >= this.text.length) this.fail('unexpected end of input: expected a value');
    else this.fail(`unexpected character ${describe(this.text[this.pos])}: expected a value`);
  }

  object(node: PathNode | undefined): void {
    const children = node && node.children.size > 0 ? node.children : undefined;
    this.pos++;
    this.ws();
    if (this.text.charCodeAt(this.pos) === 0x7d /* } */) {
      this.pos++;
      return;
    }
    for (;;) {
      this.ws();
      if (this.text.charCodeAt(this.pos) !== 0x22) {
        if (this.pos >= this.text.length) this.fail("unexpected end of input: expected a property name or '}'");
        this.fail(`unexpected character ${describe(this.text[this.pos])}: expected a property name in double quotes`);
      }
      const key = this.string(children !== undefined);
      this.ws();
      if (this.text.charCodeAt(this.pos) !== 0x3a /* : */) this.fail(`expected ':' after property name`);
      this.pos++;
      this.ws();
      this.value(children?.get(key as string));
      this.ws();
      const c = this.text.charCodeAt(this.pos);
      if (c === 0x2c /* , */) {
        this.pos++;
        continue;
      }
      if (c === 0x7d) {
        this.pos++;
        return;
      }
      if (this.pos >= this.text.length) this.fail("unexpected end of input: expected ',' or '}'");
      this.fail(`unexpected character ${describe(this.text[this.pos])}: expected ',' or '}' after a property value`);
    }
  }

  array(node: PathNode | undefined): void {
    const children = node && node.children.size > 0 ? node.children : undefined;
    this.pos++;
    this.ws();
    if (this.text.charCodeAt(this.pos) === 0x5d /* ] */) {
      this.pos++;
      return;
    }
    for (let index = 0; ; index++) {
      this.ws();
      this.value(children?.get(String(index)));
      this.ws();
      const c = this.text.charCodeAt(this.pos);
      if (c === 0x2c) {
        this.pos++;
        continue;
      }
      if (c === 0x5d) {
        this.pos++;
        return;
      }
      if (this.pos >= this.text.length) this.fail("unexpected end of input: expected ',' or ']'");
      this.fail(`unexpected character ${describe(this.text[this.pos])}: expected ',' or ']' after an array element`);
    }
  }

  /** Scans a string starting at the opening quote; returns its value only when asked. */
  string(decode: boolean): string | undefined {
    const t = this.text;
    const start = this.pos;
    let i = start + 1;
    let escaped = false;
    for (;;) {
      const c = t.charCodeAt(i);
      if (c === 0x22) break;
      if (Number.isNaN(c)) this.fail('unterminated string', start);
      if (c < 0x20) this.fail('control character in string (escape it as \\n, \\t or \\u00XX)', i);
      if (c === 0x5c /* \ */) {
        escaped = true;
        const e = t[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(t.slice(i + 2, i + 6))) this.fail('invalid \\u escape in string', i);
          i += 6;
          continue;
        }
        if (e === undefined || '"\\/bfnrt'.indexOf(e) < 0) this.fail(`invalid escape '\\${e ?? ''}' in string`, i);
        i += 2;
        continue;
      }
      i++;
    }
    this.pos = i + 1;
    if (!decode) return undefined;
    const raw = t.slice(start + 1, i);
    return escaped ? (JSON.parse(t.slice(start, i + 1)) as string) : raw;
  }

  number(): void {
    const re = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
    re.lastIndex = this.pos;
    const m = re.exec(this.text);
    if (!m || m[0] === '-') this.fail('invalid number');
    this.pos += m[0].length;
  }
}

function describe(ch: string | undefined): string {
  if (ch === undefined) return 'end of input';
  return JSON.stringify(ch);
}

/** 0-based line/character of each offset (one pass over the text up to the largest offset). */
export function offsetsToPositions(text: string, offsets: number[]): TextPosition[] {
  const order = offsets.map((_, i) => i).sort((a, b) => offsets[a] - offsets[b]);
  const result: TextPosition[] = new Array(offsets.length);
  let line = 0;
  let lineStart = 0;
  let scanned = 0;
  for (const i of order) {
    const target = Math.min(offsets[i], text.length);
    for (let p = text.indexOf('\n', scanned); p !== -1 && p < target; p = text.indexOf('\n', p + 1)) {
      line++;
      lineStart = p + 1;
    }
    scanned = Math.max(scanned, lineStart);
    result[i] = { offset: offsets[i], line, character: target - lineStart };
  }
  return result;
}

/**
 * Positions of the values the pointers designate (the first character of the value). Pointers
 * whose value does not exist are absent from the result; the text must be valid JSON for the
 * pointers after a syntax error to be found.
 */
export function locateJsonPointers(text: string, pointers: string[]): Map<string, TextPosition> {
  const root: PathNode = { wanted: false, children: new Map() };
  const nodes = new Map<string, PathNode>();
  for (const pointer of pointers) {
    let node = root;
    for (const seg of parseJsonPointer(pointer)) {
      let child = node.children.get(seg);
      if (!child) {
        child = { wanted: false, children: new Map() };
        node.children.set(seg, child);
      }
      node = child;
    }
    node.wanted = true;
    nodes.set(pointer, node);
  }
  const scanner = new Scanner(text);
  try {
    scanner.document(root);
  } catch (e) {
    if (!(e instanceof JsonSyntaxError)) throw e;
  }
  const keys = [...nodes.keys()].filter((k) => scanner.found.has(nodes.get(k)!));
  const positions = offsetsToPositions(
    text,
    keys.map((k) => scanner.found.get(nodes.get(k)!)!),
  );
  return new Map(keys.map((k, i) => [k, positions[i]]));
}

export function locateJsonPointer(text: string, pointer: string): TextPosition | undefined {
  return locateJsonPointers(text, [pointer]).get(pointer);
}

/** The first syntax error in the text, or undefined when it is valid JSON. */
export function findJsonSyntaxError(text: string): { message: string; position: TextPosition } | undefined {
  try {
    new Scanner(text).document(undefined);
    return undefined;
  } catch (e) {
    if (!(e instanceof JsonSyntaxError)) throw e;
    return { message: e.message, position: offsetsToPositions(text, [e.offset])[0] };
  }
}
