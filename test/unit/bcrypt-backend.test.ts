import bcryptjs from 'bcryptjs';

type Backend = typeof import('../../src/workers/bcrypt-backend');

/** The backend as a fresh process would load it, with ROSTER_BCRYPT set (or not). */
function loadBackend(choice: string | undefined): Backend {
  const saved = process.env.ROSTER_BCRYPT;
  if (choice === undefined) delete process.env.ROSTER_BCRYPT;
  else process.env.ROSTER_BCRYPT = choice;
  try {
    let backend: Backend | undefined;
    jest.isolateModules(() => {
      backend = require('../../src/workers/bcrypt-backend') as Backend;
    });
    return backend!;
  } finally {
    if (saved === undefined) delete process.env.ROSTER_BCRYPT;
    else process.env.ROSTER_BCRYPT = saved;
  }
}

function nativeInstalled(): boolean {
  try {
    require('@node-rs/bcrypt');
    return true;
  } catch {
    return false;
  }
}

describe('the bcrypt backend', () => {
  const native = loadBackend(undefined);
  const javascript = loadBackend('bcryptjs');

  it('is the native @node-rs/bcrypt where it installed, bcryptjs when ROSTER_BCRYPT=bcryptjs', () => {
    // package.json depends on @node-rs/bcrypt, whose prebuilt package covers the machines the tests run on.
    expect(nativeInstalled()).toBe(true);
    expect(native.name).toBe('@node-rs/bcrypt');
    expect(javascript.name).toBe('bcryptjs');
  });

  it('writes standard $2b$ hashes with either, each read by the other', async () => {
    const password = 'pâssword ünïcode 🔑';
    for (const [writer, reader] of [
      [native, javascript],
      [javascript, native],
    ] as const) {
      for (const hash of [writer.hashSync(password, 4), await writer.hash(password, 4)]) {
        expect(hash).toMatch(/^\$2b\$04\$[./A-Za-z0-9]{53}$/);
        expect(reader.verifySync(password, hash)).toBe(true);
        expect(await reader.verify(password, hash)).toBe(true);
        expect(await reader.verify('password unicode 🔑', hash)).toBe(false);
      }
    }
  });

  it("reads older $2a$ hashes and PHP's $2y$ with either", async () => {
    const hash = bcryptjs.hashSync('chamilo', 4);
    for (const backend of [native, javascript]) {
      for (const variant of ['$2a$', '$2y$']) {
        const old = hash.replace(/^\$2b\$/, variant);
        expect(await backend.verify('chamilo', old)).toBe(true);
        expect(await backend.verify('Chamilo', old)).toBe(false);
      }
    }
  });
});
