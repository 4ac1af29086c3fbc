import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { diagnosticCodes } from '../../../server/src/checks/codes';

const root = join(__dirname, '../../..');
const docsFolder = join(root, 'docs/diagnostics');

describe('diagnostic code registry', () => {
  it('has unique LP-* codes', () => {
    const all = diagnosticCodes.map((info) => info.code);
    assert.equal(new Set(all).size, all.length);
    for (const code of all) assert.match(code, /^LP-[A-Z0-9]+(-[A-Z0-9]+)*$/);
  });

  it('gives every code a doc page titled with the code and the registry title', () => {
    for (const info of diagnosticCodes) {
      const path = join(root, info.docPath);
      assert.ok(existsSync(path), `${info.code} has no page at ${info.docPath}`);
      const firstLine = readFileSync(path, 'utf8').split('\n')[0];
      assert.equal(firstLine, `# ${info.code}: ${info.title}`);
    }
  });

  it('has a code for every doc page', () => {
    const known = new Set(diagnosticCodes.map((info) => `${info.code}.md`));
    for (const name of readdirSync(docsFolder)) {
      if (name === 'README.md') continue;
      assert.ok(known.has(name), `docs/diagnostics/${name} documents no registered code`);
    }
  });

  it('lists every code in the index with its severity', () => {
    const index = readFileSync(join(docsFolder, 'README.md'), 'utf8');
    for (const info of diagnosticCodes) assert.ok(index.includes(`| [${info.code}](${info.code}.md) | ${info.defaultSeverity} |`), `README lacks ${info.code}`);
  });

  it('says on each page what, why, how and which kernels', () => {
    for (const info of diagnosticCodes) {
      const text = readFileSync(join(root, info.docPath), 'utf8');
      for (const heading of ['## What it detects', '## Why it matters', '## How to fix', '## Kernel versions'])
        assert.ok(text.includes(heading), `${info.code} page lacks "${heading}"`);
      assert.ok(text.includes(`**${info.defaultSeverity}**`), `${info.code} page states another severity`);
    }
  });
});
