/** The C sources and headers of the test fixtures, for tests that check a property on every one. */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const fixturesRoot = join(__dirname, '../fixtures');

/** Every `.c` and `.h` file under `folder`, in name order, depth first. */
export function sourcesUnder(folder: string = fixturesRoot, into: string[] = []): string[] {
  for (const name of readdirSync(folder).sort()) {
    const path = join(folder, name);
    if (statSync(path).isDirectory()) sourcesUnder(path, into);
    else if (/\.[ch]$/.test(name)) into.push(path);
  }
  return into;
}
