/** Small position helpers over the analysis' 0-based, UTF-16 positions (the same as LSP's). */
import type { Location, Position, Range } from '../model/location';

export function comparePositions(a: Position, b: Position): number {
  return a.line !== b.line ? a.line - b.line : a.character - b.character;
}

/** Whether `position` is inside `range`, both ends included (a cursor right after a word counts). */
export function rangeContains(range: Range, position: Position): boolean {
  return comparePositions(range.start, position) <= 0 && comparePositions(position, range.end) <= 0;
}

export function rangeContainsRange(outer: Range, inner: Range): boolean {
  return comparePositions(outer.start, inner.start) <= 0 && comparePositions(inner.end, outer.end) <= 0;
}

export function locationContains(location: Location | undefined, path: string, position: Position): boolean {
  return location !== undefined && location.file === path && rangeContains(location.range, position);
}

function isIndex(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

/** A range that is safe to hand to a client even if an analysis layer produced nonsense. */
export function sanitizeRange(range: Range | undefined): Range {
  const start = range?.start;
  const end = range?.end;
  const safeStart = { line: isIndex(start?.line) ? start.line : 0, character: isIndex(start?.character) ? start.character : 0 };
  const safeEnd = { line: isIndex(end?.line) ? end.line : safeStart.line, character: isIndex(end?.character) ? end.character : safeStart.character };
  return comparePositions(safeStart, safeEnd) <= 0 ? { start: safeStart, end: safeEnd } : { start: safeStart, end: safeStart };
}
