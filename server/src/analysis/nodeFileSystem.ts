/**
 * The analyzer's view of the disk under Node (language server and CLI). Reads are synchronous: the
 * analyzer reads one file when it needs it, and open documents never come from here (the
 * analyzer owns their text).
 */
import { readFileSync, readdirSync } from 'node:fs';
import type { FileSystemHost } from './analyzer';

export const nodeFileSystem: FileSystemHost = {
  readFile(path) {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return undefined;
    }
  },
  listFolder(path) {
    try {
      return readdirSync(path, { withFileTypes: true }).map((entry) => ({ name: entry.name, isDirectory: entry.isDirectory() }));
    } catch {
      return [];
    }
  },
};
