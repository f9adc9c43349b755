// Builds the prebuilt bundle that `bin/ras-replay.js` runs when it is newer than the sources:
// dist/ras-replay.mjs (the CLI), dist/worker-main.mjs (a replay worker) and dist/hash-worker.mjs,
// with code splitting so each command's heavy modules stay in chunks loaded by its `await import()`.
// Every npm package stays external (resolved from node_modules at run time): the packages with
// native bindings (@duckdb/node-api) or a WebAssembly file next to their JS (sql.js) cannot be
// bundled, and bundling the pure-JS ones (apache-arrow, commander, csv-parse, vega) was measured
// in docs/benchmark.md to gain nothing on start-up, where the cost was tsx and TypeScript transforms.
// Run by `npm run build` and by `prepare` (so `npm ci` on a clean clone builds it).
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let build;
try {
  ({ build } = await import('esbuild'));
} catch {
  // An install without dev dependencies: the CLI runs from the sources (through tsx) instead.
  console.error('ras-replay build: esbuild is not installed; bin/ras-replay.js will run the sources');
  process.exit(0);
}
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist');
const tmp = join(root, `dist.tmp-${process.pid}`);
rmSync(tmp, { recursive: true, force: true });
mkdirSync(tmp, { recursive: true });
await build({
  absWorkingDir: root,
  entryPoints: {
    'ras-replay': 'src/cli/main.ts',
    'worker-main': 'src/engine/worker-main.ts',
    'hash-worker': 'src/engine/hash-worker.mjs',
  },
  outdir: tmp,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunk-[hash]',
  sourcemap: 'linked',
  logLevel: 'warning',
});
// Written last: bin/ras-replay.js uses the bundle only when this stamp is newer than every source.
writeFileSync(join(tmp, 'BUILT'), `${new Date().toISOString()}\n`);
rmSync(out, { recursive: true, force: true });
renameSync(tmp, out);
