// Builds the CLI as CommonJS bundles, and their V8 code caches:
//
//   dist/roster.js          what every invocation needs: commander, the global
//                           options and the command definitions (for --help);
//   dist/lazy.js            our modules that commands load with `await import('../…')`:
//                           the core, the database layer, kysely, the migrations;
//   dist/vendor/<pkg>.js    each package loaded with `await import('pkg')`
//                           (cli-table3, bcryptjs, @inquirer/prompts, …).
//
// `roster --help` loads a sixth of the code, and a command initialises only
// what it uses (src/cli/registry.ts defines only the command being run). In roster.js each `await import('../x')` becomes a lookup in lazy.js,
// which exports every such module by name; each `await import('pkg')` a require
// of its vendor bundle. better-sqlite3's addon and the packages that our
// modules import statically stay external, loaded from node_modules.
//
// bin/roster compiles the bundles with the code cache written here by warm-up
// runs (dist/**/*.js.cache), which spares most of the compilation; V8 rejects a
// cache from another Node version, and the bundle is then compiled as usual.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const src = path.join(root, 'src');
const EXTERNAL = ['better-sqlite3', 'pg', 'pg-cursor', '@inquirer/prompts', 'csv-parse', 'fast-xml-parser', 'bcryptjs', 'iconv-lite', 'cli-table3'];
// Whitespace and syntax are minified (less to read at every start); names are kept for stack traces.
// `import('pkg')` becomes a require(): a real import() would need the ESM
// loader (slow to start, and unavailable to code compiled through vm.Script).
const common = { bundle: true, minifyWhitespace: true, minifySyntax: true, platform: 'node', target: 'node20', format: 'cjs', sourcemap: true, external: EXTERNAL, supported: { 'dynamic-import': false }, logLevel: 'warning', absWorkingDir: root };

/** Our modules imported with `await import()`, by key (their path under src/, without extension). */
const lazyModules = new Map();
/** Packages imported with `await import()`. */
const vendorPackages = new Set();

const keyOf = (file) => path.relative(src, file).replace(/\.ts$/, '').split(path.sep).join('/');
const vendorFile = (pkg) => `vendor/${pkg.replace(/^@/, '').replace(/\//g, '-')}.js`;

/** Routes dynamic imports to the other bundles; `ownModulesHere`: our modules stay in this bundle (lazy.js itself). */
function splitDynamicImports({ ownModulesHere }) {
  return {
    name: 'split-dynamic-imports',
    setup(build) {
      build.onResolve({ filter: /.*/ }, async (args) => {
        if (args.kind !== 'dynamic-import' || args.path.startsWith('node:')) return undefined;
        if (!/^\.\.?\//.test(args.path)) {
          vendorPackages.add(args.path);
          return { path: args.path, namespace: 'vendor' };
        }
        const resolved = await build.resolve(args.path, { kind: 'import-statement', resolveDir: args.resolveDir });
        if (resolved.errors.length) return { errors: resolved.errors };
        lazyModules.set(keyOf(resolved.path), resolved.path);
        return ownModulesHere ? undefined : { path: keyOf(resolved.path), namespace: 'lazy' };
      });
      build.onResolve({ filter: /^\.\/(lazy|vendor\/.*)\.js$/ }, (args) => ({ path: args.path, external: true }));
      build.onLoad({ filter: /.*/, namespace: 'lazy' }, (args) => ({ contents: `module.exports = require('./lazy.js').modules[${JSON.stringify(args.path)}];`, loader: 'js' }));
      build.onLoad({ filter: /.*/, namespace: 'vendor' }, (args) => ({ contents: `module.exports = require('./${vendorFile(args.path)}');`, loader: 'js' }));
      // Commander loads child_process for executable subcommands, which roster
      // does not use; loading it costs every start-up a few milliseconds.
      build.onResolve({ filter: /^(node:)?child_process$/ }, (args) => (/commander/.test(args.importer) ? { path: 'child_process', namespace: 'deferred' } : undefined));
      build.onLoad({ filter: /.*/, namespace: 'deferred' }, () => ({
        contents: "let real; const load = () => (real ??= require('node:child_process')); module.exports = new Proxy({}, { get: (_, key) => load()[key] });",
        loader: 'js',
      }));
    },
  };
}

fs.rmSync(dist, { recursive: true, force: true });
await esbuild.build({ ...common, entryPoints: [path.join(src, 'cli', 'main.ts')], outfile: path.join(dist, 'roster.js'), plugins: [splitDynamicImports({ ownModulesHere: false })] });

// The core may itself import lazily (a module loading another): build until no new module turns up.
const entry = path.join(dist, 'lazy-entry.ts');
let known = -1;
while (known !== lazyModules.size) {
  known = lazyModules.size;
  const keys = [...lazyModules.keys()].sort();
  // Getters: each module (and what it imports) is initialised when a command first asks for it,
  // not all of them when lazy.js loads; `search` runs none of the import or export code.
  fs.writeFileSync(entry, `export const modules = {\n${keys.map((key) => `  get ${JSON.stringify(key)}() { return require(${JSON.stringify(lazyModules.get(key))}); },`).join('\n')}\n};\n`);
  // better-sqlite3's JavaScript is bundled too (resolving and reading its dozen files cost every
  // command a few milliseconds); its addon is loaded by path (src/db/database.ts nativeBinding).
  // So are pg and pg-cursor (some 30 files: about 20 ms off every PostgreSQL command, measured
  // under load); pg-native is pg's optional addon, which roster never asks for.
  await esbuild.build({
    ...common,
    external: [...EXTERNAL.filter((pkg) => !['better-sqlite3', 'pg', 'pg-cursor'].includes(pkg)), 'pg-native'],
    entryPoints: [entry],
    outfile: path.join(dist, 'lazy.js'),
    plugins: [splitDynamicImports({ ownModulesHere: true })],
  });
}
fs.rmSync(entry);

for (const pkg of vendorPackages) {
  await esbuild.build({
    ...common,
    external: ['better-sqlite3'],
    stdin: { contents: `module.exports = require(${JSON.stringify(pkg)});`, resolveDir: root, loader: 'js' },
    outfile: path.join(dist, vendorFile(pkg)),
  });
}

// The import's bcrypt worker threads load a bundle of their own (src/core/password-pool.ts).
await esbuild.build({ ...common, entryPoints: [path.join(src, 'workers', 'bcrypt-worker.ts')], outfile: path.join(dist, 'bcrypt-worker.js') });

// Warm-up runs write the code caches, each for the bundles it is the first to load.
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'roster-build-'));
try {
  const run = (args, { cache = true, input } = {}) => {
    const result = spawnSync(process.execPath, [path.join(root, 'bin', 'roster'), ...args], {
      env: { ...process.env, ROSTER_WRITE_CODE_CACHE: cache ? '1' : '', ROSTER_DB: path.join(scratch, 'warm-up.db'), ROSTER_BCRYPT_COST: '4', HOME: scratch, NO_COLOR: '1' },
      input: input ?? '',
      stdio: ['pipe', 'ignore', 'pipe'],
      encoding: 'utf8',
    });
    if (result.status !== 0) throw new Error(`warm-up run roster ${args.join(' ')} failed: ${result.stderr}`);
  };
  // Migrate first, so that the caches hold the code of everyday commands rather than that of migrations.
  run(['db', 'migrate'], { cache: false });
  run(['--help']);
  run(['add', '--username', 'warm', '--email', 'warm@example.org', '--firstname', 'Warm', '--lastname', 'Up', '--role', 'student', '--password-stdin'], { cache: false, input: 'warm-up password\n' });
  run(['search', 'warm']);
  run(['list', '--format', 'csv']);
  run(['edit', 'warm', '--reset-password', '--password-stdin'], { input: 'another warm-up password\n' });
} finally {
  fs.rmSync(scratch, { recursive: true, force: true });
}
