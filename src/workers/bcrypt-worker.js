'use strict';
/**
 * A worker thread that hashes passwords with bcrypt (bcrypt-backend.js: native
 * where it installed, else bcryptjs), so that an import
 * hashes on every core while the main thread reads the file and writes the
 * database (src/core/password-pool.ts sends the requests). Plain JavaScript,
 * so that the tests run this very file: the build copies it next to the bundle.
 *
 * Request: { id, passwords: string[], cost }; reply: { id, hashes } or { id, error }.
 */
const { parentPort } = require('node:worker_threads');
const bcrypt = require('./bcrypt-backend.js');

parentPort.on('message', (request) => {
  try {
    // Standard $2b$ hashes, as hashPassword() in src/core/passwords.ts writes them.
    const hashes = request.passwords.map((p) => bcrypt.hashSync(p, request.cost));
    parentPort.postMessage({ id: request.id, hashes });
  } catch (error) {
    parentPort.postMessage({ id: request.id, error: String((error && error.message) || error) });
  }
});
