/**
 * The bounded walk of the workspace folders for the files the analyzer cares about. The walk
 * stops at `maxFiles` (it does not merely stop reporting), can be cancelled between directories,
 * and yields to the event loop after each directory so that requests are answered meanwhile.
 */
import { opendir } from 'node:fs/promises';
import { join } from 'node:path';
import { yieldToEventLoop } from './diagnosticsPublisher';
import { isPatchedFuncsFile } from '../layouts/patchedFuncsCsv';

/** Sources and the build files that name a module's parts. */
export function isWorkspaceFile(name: string): boolean {
  return name.endsWith('.c') || name.endsWith('.h') || name === 'Kbuild' || name === 'Makefile' || isPatchedFuncsFile(name);
}

/** Files that get diagnostics: sources, and distribution trees' patched_funcs.csv lists. */
export function isSourceFile(path: string): boolean {
  return path.endsWith('.c') || path.endsWith('.h') || isPatchedFuncsFile(path);
}

/** Folders never worth walking: version control, dependencies, build trees' hidden state. */
function skipFolder(name: string): boolean {
  return name.startsWith('.') || name === 'node_modules';
}

export interface WalkResult {
  files: string[];
  /** True when the walk stopped at the cap with folders left unvisited. */
  capped: boolean;
  cancelled: boolean;
  /** Folders that could not be read. */
  unreadable: string[];
}

export async function collectWorkspaceFiles(
  roots: readonly string[],
  maxFiles: number,
  isCancelled: () => boolean,
): Promise<WalkResult> {
  const result: WalkResult = { files: [], capped: false, cancelled: false, unreadable: [] };
  const queue = [...roots];
  while (queue.length > 0) {
    if (isCancelled()) {
      result.cancelled = true;
      break;
    }
    const folder = queue.shift()!;
    const subfolders: string[] = [];
    try {
      // Symbolic links are neither followed nor collected: a link loop cannot trap the walk.
      for await (const entry of await opendir(folder)) {
        if (entry.isDirectory()) {
          if (!skipFolder(entry.name)) subfolders.push(join(folder, entry.name));
        } else if (entry.isFile() && isWorkspaceFile(entry.name)) {
          if (result.files.length >= maxFiles) {
            result.capped = true;
            return result;
          }
          result.files.push(join(folder, entry.name));
        }
      }
    } catch {
      result.unreadable.push(folder);
    }
    queue.push(...subfolders.sort());
    await yieldToEventLoop();
  }
  return result;
}
