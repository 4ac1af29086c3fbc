/**
 * Quick fixes as plain data: a title and text edits per file, computed from a finding, the
 * module it is about and the current text. The LSP layer turns them into code actions with
 * versioned document edits; tests apply them to text directly.
 */
import type { Finding } from '../checks/types';
import type { Range } from '../model/location';
import type { LivepatchModule } from '../model/types';

export interface FileEdit {
  /** Absolute path of the file the edit applies to. */
  file: string;
  /** Range in the current text of that file (an empty range inserts). */
  range: Range;
  newText: string;
}

export interface Fix {
  title: string;
  /** The code of the finding it fixes. */
  code: string;
  edits: FileEdit[];
  /** The one fix an editor may apply without asking ("fix all"), when there is an obvious one. */
  isPreferred?: boolean;
}

export interface FixContext {
  /** The module the finding belongs to. */
  module: LivepatchModule;
  /** Every module of the workspace (predecessors are looked up by name among them). */
  modules: readonly LivepatchModule[];
  /** The current text of a file; fixes are never built against anything else. */
  textOf(path: string): string | undefined;
}

export type FixBuilder = (finding: Finding, context: FixContext) => Fix[];
