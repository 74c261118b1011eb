// Builds the CLI as one CommonJS bundle, dist/roster.js (bin/roster loads it),
// from src/cli/main.ts, with its source map. The packages of package.json's
// dependencies stay in node_modules and are required from there. Commander and
// kysely, which every command needs, and pg with the packages that come with
// it, are bundled (so they are devDependencies: an installed roster does not
// need them): they load faster from the bundle than as dozens of files (pg:
// 38 ms as files, 19 ms bundled). A module that only some commands use is imported with
// `await import()`: esbuild keeps it in the bundle and runs it on first use.
// The manual page, dist/roster.1, is written from the commands' own help by
// src/cli/write-manual.ts, bundled to a temporary file and run once.
// The import's bcrypt worker thread runs src/workers/bcrypt-worker.js, copied
// next to the bundle with the bcrypt-backend.js it requires.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const { dependencies } = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));

fs.rmSync(dist, { recursive: true, force: true });
const common = {
  absWorkingDir: root,
  tsconfig: path.join(root, 'tsconfig.build.json'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  // Less for V8 to parse at every start; names are kept, for stack traces.
  minifyWhitespace: true,
  minifySyntax: true,
  // pg-native is pg's optional addon, which roster never asks for.
  external: [...Object.keys(dependencies), 'pg-native'],
  // `await import('pkg')` as a require(): a real import() would start Node's ESM loader, which
  // costs every command that reaches it some 10 ms, for packages that are all CommonJS anyway.
  supported: { 'dynamic-import': false },
  logLevel: 'warning',
};
await esbuild.build({ ...common, entryPoints: [path.join(root, 'src', 'cli', 'main.ts')], outfile: path.join(dist, 'roster.js') });

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'roster-build-'));
try {
  const writer = path.join(scratch, 'write-manual.js');
  await esbuild.build({ ...common, sourcemap: false, entryPoints: [path.join(root, 'src', 'cli', 'write-manual.ts')], outfile: writer });
  execFileSync(process.execPath, [writer, path.join(dist, 'roster.1')], { stdio: 'inherit' });
} finally {
  fs.rmSync(scratch, { recursive: true, force: true });
}
for (const file of ['bcrypt-worker.js', 'bcrypt-backend.js']) fs.copyFileSync(path.join(root, 'src', 'workers', file), path.join(dist, file));
