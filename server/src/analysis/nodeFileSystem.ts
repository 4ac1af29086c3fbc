/**
 * The analyzer's view of the disk under Node (language server and CLI). Reads are synchronous: the
 * analyzer reads one file when it needs it, and open documents never come from here (the
 * analyzer owns their text).
 */
import { existsSync, readFileSync, readdirSync, type Dirent } from 'node:fs';
import type { FileSystemHost } from './analyzer';

/** One listing entry kept for the process's life, for its hidden class (see ModuleValues in model/assemble.ts). */
let keptEntry: Dirent | undefined;

export const nodeFileSystem: FileSystemHost = {
  readFile(path) {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return undefined;
    }
  },
  exists(path) {
    return existsSync(path);
  },
  listFolder(path) {
    try {
      const entries = readdirSync(path, { withFileTypes: true });
      keptEntry ??= entries[0];
      const listed: { name: string; isDirectory: boolean }[] = [];
      for (const entry of entries) listed.push({ name: entry.name, isDirectory: entry.isDirectory() });
      return listed;
    } catch {
      return [];
    }
  },
};
