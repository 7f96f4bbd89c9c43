// esbuild plugins for the CLI bundle that keep work off every start (start-up time is rescue time in the stop zone).
import { builtinModules, createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const BUILTINS = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));

/**
 * Node's own modules through require, one export at a time. An ESM import of a builtin builds its namespace, which
 * reads every export, the lazy ones too (`import { statSync } from 'node:fs'` loaded fs streams, fs/promises and
 * readline), and esbuild's interop for a required module copies every property (node:util's lazy ones loaded
 * streams, worker_threads and more): each ~3-8 ms of every start. Here each name the code imports is read on its
 * own; the names nobody imports are dropped by tree shaking.
 */
export const builtinsByRequire = {
  name: 'builtins-by-require',
  setup(build) {
    build.onResolve({ filter: /^[a-z_:/]+$/ }, (args) =>
      BUILTINS.has(args.path) && (args.kind === 'import-statement' || args.kind === 'dynamic-import') ? { path: args.path, namespace: 'builtin' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'builtin' }, (args) => {
      const id = JSON.stringify(args.path);
      const names = Object.getOwnPropertyNames(require(args.path)).filter((name) => name !== 'default' && isIdentifier(name));
      const lines = names.map((name) => `export const ${name} = /* @__PURE__ */ of(${JSON.stringify(name)});`);
      return { contents: `const of = (name) => require(${id})[name];\nexport default /* @__PURE__ */ require(${id});\n${lines.join('\n')}\n`, loader: 'js' };
    });
  },
};

function isIdentifier(name) {
  try {
    new Function(`let ${name};`);
    return /^[A-Za-z_$][\w$]*$/.test(name);
  } catch {
    return false;
  }
}

/**
 * pg loads node:crypto and WebCrypto at start, for password authentication (~6 ms); a session that trusts or
 * fails never needs them. Its crypto helpers are loaded on their first use instead.
 */
export const lazyPgCrypto = {
  name: 'lazy-pg-crypto',
  setup(build) {
    build.onResolve({ filter: /(^|\/)utils$/ }, (args) => {
      const real = join(args.resolveDir, args.path) + '.js';
      if (!real.endsWith(join('pg', 'lib', 'crypto', 'utils.js'))) return undefined;
      return { path: real, namespace: 'lazy-pg-crypto' };
    });
    build.onLoad({ filter: /.*/, namespace: 'lazy-pg-crypto' }, (args) => ({
      contents: `let real;
module.exports = new Proxy({}, { get: (_, name) => (real ??= require(${JSON.stringify(args.path)}))[name] });`,
      resolveDir: dirname(args.path),
      loader: 'js',
    }));
  },
};
