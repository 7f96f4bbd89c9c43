// The CLI as the bin runs it: one bundle of our code, @mvcc-doctor/pg and pg, split per command (each still loads
// lazily), in dist/bundle/. Loading a command's modules one by one (310 in all) cost 0.06-0.1 s of every start
// (measured on `freeze`): start-up time is rescue time in the stop zone. `freeze` also gets a bundle of its own in one
// file (freeze.js), which the bin starts for it: its 20 chunks cost ~10 ms more. `tsc -b` still builds dist/ for the
// library and its types.
import { build } from 'esbuild';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtinsByRequire, lazyPgCrypto } from './start-up-plugins.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = join(root, 'dist/bundle');
const common = {
  absWorkingDir: root,
  outdir,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Chunks beside the entries: code that finds a file by import.meta.url finds it in the same folder, and
  // dist/bundle/ is as deep as dist/server/ for ../../dashboard/.
  chunkNames: '[name]-[hash]',
  // pg's optional native driver; the lab is the demo's, installed only from the repository.
  external: ['pg-native', '@mvcc-doctor/lab'],
  // pg is CommonJS: bundled into ESM it needs a require for Node's own modules.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  plugins: [builtinsByRequire, lazyPgCrypto],
  // Node reads, decodes and hashes every byte of a module before its code cache applies: without whitespace and
  // with shorter syntax, freeze.js is 30 % smaller and starts ~6 ms sooner. Names stay, for MVCC_DOCTOR_DEBUG's stacks.
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
  write: false,
};
const split = build({
  ...common,
  entryPoints: {
    main: 'src/cli/main.ts',
    // Started by URL next to the code that starts them (see analyze-in-parallel.ts and serve-demo.ts).
    'analyze-worker': 'src/logs/parallel/analyze-worker.ts',
    'demo-app': 'src/demo/demo-app.ts',
  },
  splitting: true,
});
const freeze = build({ ...common, entryPoints: { freeze: 'src/cli/freeze-main.ts' }, splitting: false });
const outputFiles = (await Promise.all([split, freeze])).flatMap((result) => result.outputFiles);

// Only what changed is written, each file whole (a temporary name, then renamed): tests that build run beside tests
// that start the bin, which must never see a missing or half-written file.
mkdirSync(outdir, { recursive: true });
const names = new Set(outputFiles.map((file) => basename(file.path)));
for (const file of outputFiles) {
  if (existsSync(file.path) && readFileSync(file.path).equals(file.contents)) continue;
  const temporary = `${file.path}.${process.pid}.tmp`;
  writeFileSync(temporary, file.contents);
  renameSync(temporary, file.path);
}
for (const name of readdirSync(outdir)) if (!names.has(name) && !name.endsWith('.tmp')) rmSync(join(outdir, name), { force: true });
