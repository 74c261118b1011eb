import { bcryptCost, checkBcryptChoice, generatePassword, hashPassword, isBcryptHash, verifyPassword } from '../../src/core/passwords';
import { PasswordPool } from '../../src/core/password-pool';
import { caught } from './helpers';

describe('passwords', () => {
  it('are hashed as standard $2b$ bcrypt, at the configured cost', async () => {
    const hash = await hashPassword('s3cret ünïcode', 4);
    expect(hash).toMatch(/^\$2b\$04\$/);
    expect(isBcryptHash(hash)).toBe(true);
    expect(await verifyPassword('s3cret ünïcode', hash)).toBe(true);
    expect(await verifyPassword('s3cret unicode', hash)).toBe(false);
  });

  it("verify PHP's $2y$ hashes too", async () => {
    const hash = (await hashPassword('chamilo', 4)).replace(/^\$2b\$/, '$2y$');
    expect(await verifyPassword('chamilo', hash)).toBe(true);
  });

  it('take the cost from ROSTER_BCRYPT_COST, default 10, within bcrypt limits', async () => {
    expect(bcryptCost({})).toBe(10);
    expect(bcryptCost({ ROSTER_BCRYPT_COST: '12' })).toBe(12);
    for (const bad of ['3', '32', 'ten', '4.5']) {
      expect((await caught(() => bcryptCost({ ROSTER_BCRYPT_COST: bad }))).exitCode).toBe(5);
    }
  });

  it('take ROSTER_BCRYPT unset or "bcryptjs", and refuse any other value', async () => {
    expect(() => checkBcryptChoice({})).not.toThrow();
    expect(() => checkBcryptChoice({ ROSTER_BCRYPT: '' })).not.toThrow();
    expect(() => checkBcryptChoice({ ROSTER_BCRYPT: 'bcryptjs' })).not.toThrow();
    for (const bad of ['bcrypt', 'native', 'BCRYPTJS', '@node-rs/bcrypt']) {
      const error = await caught(() => checkBcryptChoice({ ROSTER_BCRYPT: bad }));
      expect(error.exitCode).toBe(5);
      expect(error.message).toContain(`not "${bad}"`);
    }
  });

  it('are generated long, without look-alike characters, and different each time', () => {
    const passwords = Array.from({ length: 50 }, () => generatePassword());
    for (const p of passwords) expect(p).toMatch(/^[a-km-np-zA-HJ-NP-Z2-9]{16}$/);
    expect(new Set(passwords).size).toBe(50);
    expect(generatePassword(24)).toHaveLength(24);
  });

  it('recognise bcrypt hashes only', () => {
    expect(isBcryptHash('$2a$10$' + 'a'.repeat(53))).toBe(true);
    expect(isBcryptHash('$2x$10$' + 'a'.repeat(53))).toBe(false);
    expect(isBcryptHash('5f4dcc3b5aa765d61d8327deb882cf99')).toBe(false);
  });
});

describe('the password pool', () => {
  it('hashes in its worker threads (src/workers/bcrypt-worker.js), in order, as standard $2b$ bcrypt', async () => {
    const pool = new PasswordPool({ size: 2, cost: 4 });
    try {
      const passwords = ['first password', 'second password', 'third password'];
      const hashes = await pool.hash(passwords);
      expect(hashes).toHaveLength(3);
      for (const [i, hash] of hashes.entries()) {
        expect(hash).toMatch(/^\$2b\$04\$/);
        expect(await verifyPassword(passwords[i]!, hash)).toBe(true);
      }
      expect(await verifyPassword(passwords[0]!, hashes[1]!)).toBe(false);
    } finally {
      await pool.destroy();
    }
  });
});
