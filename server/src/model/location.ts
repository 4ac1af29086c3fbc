/**
 * Source locations shared by every analysis layer. Lines and characters are 0-based and count
 * UTF-16 code units, which is what web-tree-sitter reports for JavaScript strings and what LSP
 * expects, so no layer ever converts.
 */
export interface Position {
  line: number;
  character: number;
}

export interface Range {
  start: Position;
  end: Position;
}

/** A range in a named file (absolute path). */
export interface Location {
  file: string;
  range: Range;
}

export const emptyRange: Range = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
