// Builds the CLI as two CommonJS bundles and their V8 code caches:
//
//   dist/roster.js  what every invocation needs: commander, the global
//                   options and the command definitions (for --help);
//   dist/lazy.js    what commands load on demand with `await import(...)`:
//                   the core, the database layer, kysely, the migrations.
//
// `roster --help` then compiles a sixth of the code. Each `await import('../x')`
// of our own sources in the first bundle becomes a lookup in the second,
// which exports every such module by name. Heavy third-party packages stay
// external and load from node_modules when a command needs them.
//
// bin/roster loads both bundles with the V8 code cache written here after a
// warm-up run (dist/*.js.cache), which spares most of the compilation; a
// cache from another Node version is rejected by V8 and simply not used.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const src = path.join(root, 'src');
const EXTERNAL = ['better-sqlite3', '@inquirer/prompts', 'csv-parse', 'csv-stringify', 'fast-xml-parser', 'bcryptjs', 'iconv-lite', 'cli-table3'];
// `import('pkg')` of an external package becomes a require(): every one of them
// ships CommonJS, and a real import() would need the ESM loader (slow to start,
// and unavailable to code compiled through vm.Script with a code cache).
const common = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', sourcemap: true, external: EXTERNAL, supported: { 'dynamic-import': false }, logLevel: 'warning', absWorkingDir: root };

/** Our modules imported with `await import()`, by key (their path under src/, without extension). */
const lazyModules = new Map();

const splitLazyImports = {
  name: 'split-lazy-imports',
  setup(build) {
    build.onResolve({ filter: /^\.\.?\// }, async (args) => {
      if (args.kind !== 'dynamic-import') return undefined;
      const resolved = await build.resolve(args.path, { kind: 'import-statement', resolveDir: args.resolveDir });
      if (resolved.errors.length) return { errors: resolved.errors };
      const key = path.relative(src, resolved.path).replace(/\.ts$/, '').split(path.sep).join('/');
      lazyModules.set(key, resolved.path);
      return { path: key, namespace: 'lazy' };
    });
    build.onResolve({ filter: /^\.\/lazy\.js$/ }, () => ({ path: './lazy.js', external: true }));
    build.onLoad({ filter: /.*/, namespace: 'lazy' }, (args) => ({
      contents: `module.exports = require('./lazy.js').modules[${JSON.stringify(args.path)}];`,
      loader: 'js',
    }));
    // Commander loads child_process for executable subcommands, which roster
    // does not use; loading it costs every start-up a few milliseconds.
    build.onResolve({ filter: /^(node:)?child_process$/ }, (args) => (/commander/.test(args.importer) ? { path: 'child_process', namespace: 'deferred' } : undefined));
    build.onLoad({ filter: /.*/, namespace: 'deferred' }, () => ({
      contents: "let real; const load = () => (real ??= require('node:child_process')); module.exports = new Proxy({}, { get: (_, key) => load()[key] });",
      loader: 'js',
    }));
  },
};

fs.rmSync(dist, { recursive: true, force: true });
await esbuild.build({ ...common, entryPoints: [path.join(src, 'cli', 'main.ts')], outfile: path.join(dist, 'roster.js'), plugins: [splitLazyImports] });

// The lazy bundle may itself import lazily (a module of the core loading another): follow until closed.
const entry = path.join(dist, 'lazy-entry.ts');
let known = 0;
while (known !== lazyModules.size) {
  known = lazyModules.size;
  const keys = [...lazyModules.keys()].sort();
  // Static imports, not getters with require(): esbuild tree-shakes kysely only through imports.
  fs.writeFileSync(entry, keys.map((key, i) => `import * as m${i} from ${JSON.stringify(lazyModules.get(key))};`).join('\n') + `\nexport const modules = {\n${keys.map((key, i) => `  ${JSON.stringify(key)}: m${i},`).join('\n')}\n};\n`);
  await esbuild.build({
    ...common,
    entryPoints: [entry],
    outfile: path.join(dist, 'lazy.js'),
    plugins: [
      {
        name: 'collect-nested-lazy-imports',
        setup(build) {
          build.onResolve({ filter: /^\.\.?\// }, async (args) => {
            if (args.kind !== 'dynamic-import') return undefined;
            const resolved = await build.resolve(args.path, { kind: 'import-statement', resolveDir: args.resolveDir });
            if (!resolved.errors.length) lazyModules.set(path.relative(src, resolved.path).replace(/\.ts$/, '').split(path.sep).join('/'), resolved.path);
            return undefined;
          });
        },
      },
    ],
  });
}
fs.rmSync(entry);

// Warm-up runs write the code caches: the help for the first bundle, a search on a scratch database for the second.
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'roster-build-'));
try {
  const run = (cache, args) => {
    const result = spawnSync(process.execPath, [path.join(root, 'bin', 'roster'), ...args], {
      env: { ...process.env, ROSTER_WRITE_CODE_CACHE: cache, ROSTER_DB: path.join(scratch, 'warm-up.db'), HOME: scratch, NO_COLOR: '1' },
      stdio: ['ignore', 'ignore', 'pipe'],
      encoding: 'utf8',
    });
    if (result.status !== 0) throw new Error(`warm-up run roster ${args.join(' ')} failed: ${result.stderr}`);
  };
  // Migrate first, so that the cache holds the code of everyday commands rather than that of migrations.
  run('none', ['db', 'migrate']);
  run('roster.js', ['--help']);
  run('lazy.js', ['search', 'warm-up']);
} finally {
  fs.rmSync(scratch, { recursive: true, force: true });
}
