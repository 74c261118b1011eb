/**
 * A worker thread that hashes passwords with bcryptjs, so that an import
 * hashes on every core while the main thread reads the file and writes
 * the database. Built as its own esbuild entry (dist/bcrypt-worker.js).
 */
import { parentPort } from 'node:worker_threads';
import bcrypt from 'bcryptjs';

export interface HashRequest {
  id: number;
  passwords: string[];
  cost: number;
}

export interface HashResponse {
  id: number;
  hashes?: string[];
  error?: string;
}

parentPort?.on('message', (request: HashRequest) => {
  try {
    // Standard $2b$ hashes, as hashPassword() writes them.
    const hashes = request.passwords.map((p) => bcrypt.hashSync(p, request.cost).replace(/^\$2a\$/, '$2b$'));
    parentPort!.postMessage({ id: request.id, hashes } satisfies HashResponse);
  } catch (error) {
    parentPort!.postMessage({ id: request.id, error: String((error as Error)?.message ?? error) } satisfies HashResponse);
  }
});
