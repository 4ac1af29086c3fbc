// Bundles client, server, CLI and bench with esbuild and copies the wasm and query files the
// bundles load at run time next to them (dist/ is what the extension and `bin/klp` run).
import { build } from 'esbuild';
import { cpSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
mkdirSync(dist, { recursive: true });

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  logLevel: 'warning',
  // web-tree-sitter's ESM build calls createRequire(import.meta.url), which a CommonJS bundle
  // cannot provide: bundle its CommonJS build instead.
  alias: { 'web-tree-sitter': join(root, 'node_modules/web-tree-sitter/web-tree-sitter.cjs') },
};

await Promise.all([
  build({ ...common, entryPoints: [join(root, 'client/src/extension.ts')], outfile: join(dist, 'client.js'), external: ['vscode'] }),
  build({ ...common, entryPoints: [join(root, 'server/src/lsp/main.ts')], outfile: join(dist, 'server.js') }),
  // The simulation worker thread the server starts for livepatch/runSimulation (beside server.js).
  build({ ...common, entryPoints: [join(root, 'server/src/lsp/features/simulationWorker.ts')], outfile: join(dist, 'simulationWorker.js') }),
  // The facts worker threads the server, the CLI and the bench start for batches of files (beside them).
  build({ ...common, entryPoints: [join(root, 'server/src/analysis/factsWorker.ts')], outfile: join(dist, 'factsWorker.js') }),
  build({ ...common, entryPoints: [join(root, 'server/src/cli/main.ts')], outfile: join(dist, 'cli.js') }),
  build({ ...common, entryPoints: [join(root, 'bench/main.ts')], outfile: join(dist, 'bench.js') }),
]);

cpSync(join(root, 'node_modules/web-tree-sitter/web-tree-sitter.wasm'), join(dist, 'web-tree-sitter.wasm'));
cpSync(join(root, 'node_modules/tree-sitter-c/tree-sitter-c.wasm'), join(dist, 'tree-sitter-c.wasm'));
const queries = join(root, 'server/src/parser/queries');
mkdirSync(join(dist, 'queries'), { recursive: true });
for (const f of readdirSync(queries)) if (f.endsWith('.scm')) cpSync(join(queries, f), join(dist, 'queries', f));
// The timeline webview's stylesheet and the codicon font it uses (only the css and ttf ship).
const media = join(dist, 'media');
mkdirSync(media, { recursive: true });
cpSync(join(root, 'client/src/timeline.css'), join(media, 'timeline.css'));
for (const f of ['codicon.css', 'codicon.ttf']) cpSync(join(root, 'node_modules/@vscode/codicons/dist', f), join(media, f));
