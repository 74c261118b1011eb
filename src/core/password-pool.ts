import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import { bcryptCost, checkBcryptChoice } from './passwords';

interface Pending {
  resolve(hashes: string[]): void;
  reject(error: Error): void;
}

interface PoolWorker {
  worker: Worker;
  pending: Map<number, Pending>;
  queued: number;
}

/**
 * The worker's script (plain JavaScript): next to the bundle, where the build
 * copies it, or in src/workers when the sources run (the unit tests).
 */
function workerScript(): string {
  const besideBundle = path.join(__dirname, 'bcrypt-worker.js');
  return fs.existsSync(besideBundle) ? besideBundle : path.join(__dirname, '..', 'workers', 'bcrypt-worker.js');
}

/** Hashes passwords with bcrypt on every core: one worker thread per core, started on first use. */
export class PasswordPool {
  private workers: PoolWorker[] = [];
  private nextId = 1;
  private destroyed = false;
  readonly size: number;
  readonly cost: number;

  constructor(options: { size?: number; cost?: number } = {}) {
    this.size = Math.max(1, options.size ?? os.availableParallelism());
    this.cost = options.cost ?? bcryptCost();
    checkBcryptChoice();
  }

  /** Hashes in order; the work is split across the workers. */
  async hash(passwords: string[]): Promise<string[]> {
    if (!passwords.length) return [];
    if (this.destroyed) throw new Error('the password pool is closed');
    const workers = await this.start();
    // Contiguous slices, least busy workers first.
    const order = [...workers].sort((a, b) => a.queued - b.queued);
    const slices = Math.min(order.length, passwords.length);
    const per = Math.ceil(passwords.length / slices);
    const parts: Promise<string[]>[] = [];
    for (let i = 0; i < slices; i++) {
      const slice = passwords.slice(i * per, (i + 1) * per);
      if (slice.length) parts.push(this.send(order[i]!, slice));
    }
    return (await Promise.all(parts)).flat();
  }

  private send(target: PoolWorker, passwords: string[]): Promise<string[]> {
    const id = this.nextId++;
    target.queued += passwords.length;
    return new Promise<string[]>((resolve, reject) => {
      target.pending.set(id, {
        resolve: (hashes) => {
          target.queued -= passwords.length;
          resolve(hashes);
        },
        reject,
      });
      target.worker.postMessage({ id, passwords, cost: this.cost });
    });
  }

  private starting?: Promise<PoolWorker[]>;

  private start(): Promise<PoolWorker[]> {
    this.starting ??= (async () => {
      const script = workerScript();
      const { Worker } = await import('node:worker_threads');
      for (let i = 0; i < this.size; i++) {
        const entry: PoolWorker = { worker: new Worker(script), pending: new Map(), queued: 0 };
        entry.worker.on('message', (message: { id: number; hashes?: string[]; error?: string }) => {
          const pending = entry.pending.get(message.id);
          if (!pending) return;
          entry.pending.delete(message.id);
          if (message.hashes) pending.resolve(message.hashes);
          else pending.reject(new Error(`bcrypt worker: ${message.error ?? 'no result'}`));
        });
        const failAll = (error: Error) => {
          for (const pending of entry.pending.values()) pending.reject(error);
          entry.pending.clear();
        };
        entry.worker.on('error', failAll);
        entry.worker.on('exit', (code) => failAll(new Error(`bcrypt worker stopped (exit ${code})`)));
        this.workers.push(entry);
      }
      return this.workers;
    })();
    return this.starting;
  }

  /** Stops the workers; hashes still pending are rejected. */
  async destroy(): Promise<void> {
    this.destroyed = true;
    const workers = this.workers;
    this.workers = [];
    await Promise.all(workers.map((w) => w.worker.terminate()));
  }
}
