/**
 * Quick fixes by diagnostic code. Every fix is computed from the current text and the current
 * model (never from what an editor remembers of an older version), and its edits are plain
 * data: the LSP layer wraps them in versioned document edits, tests apply them to text.
 */
import type { Finding } from '../checks/types';
import { freeInheritedShadows, freeLeakedShadows, useGetOrAlloc } from './shadows';
import { addModinfo, addReplace, addTerminator } from './skeleton';
import { addMissingState, bumpVersion, releaseDeprecatedState, takeoverSkeleton } from './states';
import type { FileEdit, Fix, FixBuilder, FixContext } from './types';

export type { FileEdit, Fix, FixContext } from './types';

export const fixBuilders: Readonly<Record<string, FixBuilder>> = {
  'LP-TERMINATOR': addTerminator,
  'LP-MODINFO-MISSING': addModinfo,
  'LP-NON-CUMULATIVE': addReplace,
  'LP-STATE-MISSING': addMissingState,
  'LP-STATE-UNDECLARED': addMissingState,
  'LP-STATE-DOWNGRADE': bumpVersion,
  'LP-STATE-TAKEOVER': takeoverSkeleton,
  'LP-STATE-REVERT-FREE': takeoverSkeleton,
  'LP-STATE-DEPRECATED': releaseDeprecatedState,
  'LP-SHADOW-ALLOC-DUP': useGetOrAlloc,
  'LP-SHADOW-CUMULATIVE-DROP': freeInheritedShadows,
  'LP-SHADOW-LEAK': freeLeakedShadows,
};

function comparePositions(a: FileEdit, b: FileEdit): number {
  return a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character;
}

/**
 * Edits in document order, inserts at one position merged (in the order they were made), and
 * overlapping edits refused: an editor applies them all against the same text.
 */
export function normalizeEdits(edits: readonly FileEdit[]): FileEdit[] | undefined {
  const byFile = new Map<string, FileEdit[]>();
  for (const edit of edits) byFile.set(edit.file, [...(byFile.get(edit.file) ?? []), edit]);
  const result: FileEdit[] = [];
  for (const fileEdits of byFile.values()) {
    const sorted = fileEdits.map((edit, order) => ({ edit, order })).sort((a, b) => comparePositions(a.edit, b.edit) || a.order - b.order);
    const merged: FileEdit[] = [];
    for (const { edit } of sorted) {
      const previous = merged[merged.length - 1];
      const empty = (e: FileEdit) => e.range.start.line === e.range.end.line && e.range.start.character === e.range.end.character;
      if (previous && comparePositions(previous, edit) === 0 && empty(previous) && empty(edit)) {
        if (previous.newText.endsWith(edit.newText)) continue;
        merged[merged.length - 1] = { ...previous, newText: previous.newText + edit.newText };
        continue;
      }
      if (previous) {
        const end = previous.range.end;
        const start = edit.range.start;
        if (start.line < end.line || (start.line === end.line && start.character < end.character)) return undefined;
      }
      merged.push(edit);
    }
    result.push(...merged);
  }
  return result;
}

/** The fixes for one finding (none when its code has no fix or the text does not allow one). */
export function fixesFor(finding: Finding, context: FixContext): Fix[] {
  const build = fixBuilders[finding.code];
  if (!build) return [];
  const fixes: Fix[] = [];
  for (const fix of build(finding, context)) {
    const edits = normalizeEdits(fix.edits);
    if (edits && edits.length > 0) fixes.push({ ...fix, edits });
  }
  return fixes;
}

/** Applies edits to a text (all ranges refer to the original text), for tests and previews. */
export function applyEdits(text: string, edits: readonly FileEdit[]): string {
  const lineStarts = [0];
  for (let index = text.indexOf('\n'); index >= 0; index = text.indexOf('\n', index + 1)) lineStarts.push(index + 1);
  const offset = (position: FileEdit['range']['start']) => (lineStarts[position.line] ?? text.length) + position.character;
  const ordered = edits.map((edit, order) => ({ edit, order })).sort((a, b) => offset(b.edit.range.start) - offset(a.edit.range.start) || b.order - a.order);
  let result = text;
  for (const { edit } of ordered) result = result.slice(0, offset(edit.range.start)) + edit.newText + result.slice(offset(edit.range.end));
  return result;
}
