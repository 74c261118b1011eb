'use strict';
/**
 * The bcrypt roster hashes and checks passwords with: @node-rs/bcrypt, a
 * native build for the platform, where its prebuilt package installed (about
 * 1.25 times as fast as bcryptjs per hash on these machines); else bcryptjs,
 * plain JavaScript, which runs everywhere. Both write standard `$2b$` hashes
 * and read `$2a$`, `$2b$` and PHP's `$2y$`, so a database written with one is
 * read by the other. ROSTER_BCRYPT=bcryptjs keeps to bcryptjs (to compare them,
 * or where a native module is not wanted).
 *
 * Plain JavaScript, shared by src/core/passwords.ts and the import's worker
 * threads (bcrypt-worker.js); the build copies it next to the bundle.
 */

function nativeBcrypt() {
  if (process.env.ROSTER_BCRYPT === 'bcryptjs') return undefined;
  let native;
  try {
    native = require('@node-rs/bcrypt');
  } catch {
    // Not installed for this platform (its optional package was not served): bcryptjs does the work.
    return undefined;
  }
  return {
    name: '@node-rs/bcrypt',
    hashSync: (password, cost) => native.hashSync(password, cost),
    verifySync: (password, hash) => native.verifySync(password, hash),
    // On libuv's thread pool: the main thread goes on meanwhile.
    hash: (password, cost) => native.hash(password, cost),
    verify: (password, hash) => native.verify(password, hash),
  };
}

function javascriptBcrypt() {
  // bcryptjs 3 writes $2b$ and reads $2a$, $2b$ and $2y$, as the native one does.
  const bcryptjs = require('bcryptjs');
  return {
    name: 'bcryptjs',
    hashSync: (password, cost) => bcryptjs.hashSync(password, cost),
    verifySync: (password, hash) => bcryptjs.compareSync(password, hash),
    hash: (password, cost) => bcryptjs.hash(password, cost),
    verify: (password, hash) => bcryptjs.compare(password, hash),
  };
}

module.exports = nativeBcrypt() || javascriptBcrypt();
