/** Builds the source model of fixture files with the real parser (no kernel model needed). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assembleModule } from '../../server/src/model/assemble';
import type { FileFacts } from '../../server/src/model/fileFacts';
import type { LivepatchModule } from '../../server/src/model/types';
import { SourceFile } from '../../server/src/parser/sourceFile';
import { loadCLanguage, newCParser } from '../../server/src/parser/treeSitter';

export const fixturesRoot = join(__dirname, '..', 'fixtures');

export const linux61 = {
  config: new Map([
    ['CONFIG_LIVEPATCH', 'y'],
    ['CONFIG_X86_64', 'y'],
  ]),
  versionCode: (6 << 16) + (1 << 8) + 176,
  architecture: 'x86_64',
};

export async function factsOf(path: string, text = readFileSync(path, 'utf8')): Promise<FileFacts> {
  await loadCLanguage();
  const parser = newCParser();
  const source = new SourceFile(path, text, parser, false);
  try {
    return source.facts();
  } finally {
    source.dispose();
    parser.delete();
  }
}

export async function moduleOf(files: string[], headers: string[] = [], configuration = linux61, name = 'fixture'): Promise<LivepatchModule> {
  const fileFacts = await Promise.all(files.map((f) => factsOf(f)));
  const headerFacts = await Promise.all(headers.map((f) => factsOf(f)));
  return assembleModule({ name, nameSource: 'file', files: fileFacts, headers: headerFacts }, configuration);
}
