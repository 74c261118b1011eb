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

/**
 * Runs roster as a child process and returns its wall time and peak resident
 * memory in MB. The child reports its own maxRSS (worker threads included)
 * when it exits, through a module preloaded with -r: process.resourceUsage()
 * only ever describes the calling process, never its children.
 */
export function peakMemoryMb(args: string[], env: NodeJS.ProcessEnv): { ms: number; mb: number } {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, ['-r', peakReporter(), BIN, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', maxBuffer: 1 << 20 });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`roster ${args.join(' ')} failed: ${result.stderr}`);
  const match = /PEAK_RSS_KB=(\d+)/.exec(result.stderr);
  return { ms, mb: match ? Number(match[1]) / 1024 : NaN };
}

let reporter: string | undefined;

/** A module that prints the process's peak RSS on exit. */
export function peakReporter(): string {
  if (!reporter) {
    reporter = path.join(tempDir('peak'), 'peak-rss.js');
    fs.writeFileSync(reporter, "process.on('exit', () => process.stderr.write('PEAK_RSS_KB=' + process.resourceUsage().maxRSS + '\\n'));\n");
  }
  return reporter;
}
