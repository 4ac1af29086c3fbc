/**
 * Tree-sitter queries, loaded from the `.scm` files once per process and cached. A query that
 * fails to compile is reported through the logger and yields undefined: analysis then degrades,
 * it never crashes the server.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Query } from 'web-tree-sitter';
import { cLanguage, queriesDirectory } from './treeSitter';

const cache = new Map<string, Query | undefined>();
let logError: (message: string) => void = () => {};

export function setQueryErrorLogger(logger: (message: string) => void): void {
  logError = logger;
}

export function getQuery(name: string): Query | undefined {
  if (cache.has(name)) return cache.get(name);
  let query: Query | undefined;
  try {
    const source = readFileSync(join(queriesDirectory(), `${name}.scm`), 'utf8');
    query = new Query(cLanguage(), source);
  } catch (error) {
    logError(`query ${name}.scm failed to load: ${(error as Error).message}`);
  }
  cache.set(name, query);
  return query;
}
