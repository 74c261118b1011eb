import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '..');
export const BIN = path.join(ROOT, 'bin', 'roster');

export interface Figure {
  name: string;
  /** What roster achieved and the raw limit measured in the same run, in the same unit. */
  ours: number;
  raw: number;
  unit: string;
  /** rate: higher is better (ratio = ours/raw); time: lower is better (ratio = ours/raw). */
  kind: 'rate' | 'time';
  goal: string;
  pass: boolean;
  note?: string;
}

const figures: Figure[] = [];

/** Records a rate figure (ops/s): ratio ours/raw, goal is a minimum ratio. */
export function rateFigure(name: string, ours: number, raw: number, unit: string, minRatio: number, note?: string): Figure {
  const ratio = ours / raw;
  const figure: Figure = { name, ours, raw, unit, kind: 'rate', goal: `≥ ${minRatio}×`, pass: ratio >= minRatio, note };
  return push(figure);
}

/** Records a time figure (ms): ratio ours/raw, goal is a maximum ratio. */
export function timeFigure(name: string, ours: number, raw: number, maxRatio: number, note?: string): Figure {
  const figure: Figure = { name, ours, raw, unit: 'ms', kind: 'time', goal: `≤ ${maxRatio}×`, pass: ours / raw <= maxRatio, note };
  return push(figure);
}

/**
 * Records a peak memory figure (MB): lower is better, goal is an absolute
 * ceiling; `raw` is what the raw pipeline of the same run needed, shown
 * for comparison.
 */
export function memoryFigure(name: string, oursMb: number, rawMb: number, limitMb: number, note?: string): Figure {
  const figure: Figure = { name, ours: oursMb, raw: rawMb, unit: 'MB', kind: 'time', goal: `≤ ${limitMb} MB`, pass: oursMb <= limitMb, note };
  return push(figure);
}

function push(figure: Figure): Figure {
  figures.push(figure);
  const ratio = figure.ours / figure.raw;
  const fmt = (n: number) => (n >= 100 ? n.toFixed(0) : n.toFixed(2));
  process.stdout.write(
    `${figure.pass ? 'PASS' : 'MISS'}  ${figure.name}: roster ${fmt(figure.ours)} ${figure.unit}, raw ${fmt(figure.raw)} ${figure.unit}, ratio ${ratio.toFixed(2)}× (goal ${figure.goal})${figure.note ? `  [${figure.note}]` : ''}\n`,
  );
  return figure;
}

export function allFigures(): readonly Figure[] {
  return figures;
}

export function tempDir(label: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `roster-bench-${label}-`));
}

/** Median wall time of a command, in ms, over n runs (after one warm-up). */
export function medianCommandMs(command: string, args: string[], env: NodeJS.ProcessEnv, runs = 15): number {
  spawnSync(command, args, { env, stdio: 'ignore' });
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    const result = spawnSync(command, args, { env, stdio: 'ignore' });
    if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.status}`);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

export interface CommandSpec {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
}

/**
 * Median wall time of each command, in ms, run in turn (one of each per round,
 * after a warm-up round) so that a load change on the machine affects them all
 * alike: the raw limit and roster are measured side by side.
 */
export function medianInterleavedMs(commands: CommandSpec[], runs = 15): number[] {
  const times: number[][] = commands.map(() => []);
  for (let round = -1; round < runs; round++) {
    commands.forEach(({ command, args, env }, i) => {
      const start = process.hrtime.bigint();
      const result = spawnSync(command, args, { env, stdio: 'ignore' });
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.status}`);
      if (round >= 0) times[i]!.push(ms);
    });
  }
  return times.map((t) => t.sort((a, b) => a - b)[Math.floor(t.length / 2)]!);
}

/** Runs roster as a child process (stdout to /dev/null); its wall time and peak resident memory in MB. */
export function peakMemoryMb(args: string[], env: NodeJS.ProcessEnv): { ms: number; mb: number } {
  return peakMemoryOfNode([BIN, ...args], env);
}

/**
 * Runs `node <nodeArgs>` (from the project directory, stdout to /dev/null) and
 * returns its wall time and peak resident memory. The child reports its own
 * peak on exit through a preloaded hook: a parent's resourceUsage() covers
 * only the parent, not the children it waited for.
 */
export function peakMemoryOfNode(nodeArgs: string[], env: NodeJS.ProcessEnv): { ms: number; mb: number } {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, ['--require', peakReporter(), ...nodeArgs], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`node ${nodeArgs.slice(0, 3).join(' ')}… failed: ${result.stderr}`);
  const match = /PEAK_RSS_KB=(\d+)/.exec(result.stderr);
  if (!match) throw new Error(`no peak memory reported: ${result.stderr}`);
  return { ms, mb: Number(match[1]) / 1024 };
}

let hookFile: string | undefined;

/** A module, preloaded with --require, that prints the process's own peak memory on exit. */
export function peakReporter(): string {
  if (!hookFile) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'roster-bench-hook-'));
    process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
    hookFile = path.join(dir, 'peak-rss.js');
    fs.writeFileSync(hookFile, PEAK_HOOK);
  }
  return hookFile;
}

// VmHWM, not getrusage's maxRSS: on Linux a child's maxRSS starts at its
// parent's peak when forked (the bench process holds a large cache after
// building its data), while VmHWM belongs to the child's own address space.
const PEAK_HOOK = `process.on('exit', () => {
  const fs = require('node:fs');
  let kb = process.resourceUsage().maxRSS;
  try {
    const hwm = /VmHWM:\\s+(\\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    if (hwm) kb = Number(hwm[1]);
  } catch {}
  fs.writeSync(2, 'PEAK_RSS_KB=' + kb + '\\n');
});
`;
