import fs from 'node:fs';
import path from 'node:path';
import { addField } from '../../src/core/fields';
import { verifyPassword } from '../../src/core/passwords';
import { addUser, editUser, getUser, type NewUserInput } from '../../src/core/users';
import { caught, tempContext, type TestContext } from './helpers';

const base = (over: Partial<NewUserInput> = {}): NewUserInput => ({
  firstname: 'Ada',
  lastname: 'Lovelace',
  email: 'ada@example.org',
  username: 'ada',
  roles: ['teacher'],
  password: 'correct horse',
  ...over,
});

interface Row {
  [key: string]: unknown;
}

describe('addUser', () => {
  let ctx: TestContext;
  const count = async (table: string) => (await ctx.row<{ n: number }>(`SELECT count(*) AS n FROM "${table}"`))!.n;
  beforeAll(async () => {
    ctx = await tempContext();
    await addField(ctx, { name: 'cohort', type: 'number' });
    await addField(ctx, { name: 'alumni', type: 'boolean' });
  });
  afterAll(() => ctx.cleanup());

  it('creates the user with its roles, defaults, a bcrypt hash and one audit row', async () => {
    const { user, warnings } = await addUser(
      ctx,
      base({
        firstname: '  Ada ',
        roles: ['admin', 'Teacher'],
        fields: [
          { name: 'cohort', value: '2026' },
          { name: 'alumni', value: 'yes' },
        ],
      }),
    );
    expect(warnings).toEqual([]);
    expect(user).toEqual({
      id: expect.any(Number),
      username: 'ada',
      email: 'ada@example.org',
      firstname: 'Ada',
      lastname: 'Lovelace',
      roles: ['teacher', 'admin'],
      active: true,
      language: 'en',
      officialCode: null,
      phone: null,
      picture: null,
      authSource: 'platform',
      expiresAt: null,
      registeredAt: '2026-03-01T12:00:00.000Z',
      lastLoginAt: null,
      deletedAt: null,
      anonymizedAt: null,
      system: false,
      extra: { alumni: true, cohort: 2026 },
    });
    const row = (await ctx.row<Row>('SELECT password_hash, created_by, username_key, email_key FROM "user" WHERE id = ?', user.id))!;
    expect(row.password_hash).toMatch(/^\$2b\$04\$[./A-Za-z0-9]{53}$/);
    expect(await verifyPassword('correct horse', row.password_hash as string)).toBe(true);
    expect(row).toMatchObject({ created_by: 'unit-tester', username_key: 'ada', email_key: 'ada@example.org' });

    const audit = await ctx.rows<Row>("SELECT * FROM audit_log WHERE action = 'user.add' ORDER BY id");
    expect(audit).toEqual([
      { id: expect.any(Number), at: '2026-03-01T12:00:00.000Z', actor: 'unit-tester', action: 'user.add', user_id: user.id, details: expect.any(String) },
    ]);
    const details = audit[0]!.details as string;
    expect(details).not.toContain(row.password_hash as string);
    expect(details).not.toContain('correct horse');
    const changes = (JSON.parse(details) as { changes: { field: string; before: unknown; after: unknown; secret?: boolean }[] }).changes;
    expect(changes).toEqual(
      expect.arrayContaining([
        { field: 'username', before: null, after: 'ada' },
        { field: 'roles', before: null, after: ['teacher', 'admin'] },
        { field: 'extra.cohort', before: null, after: '2026' },
        { field: 'password', before: null, after: null, secret: true },
      ]),
    );
    expect(changes.map((c) => c.field)).not.toContain('username_key');
  });

  it('keeps the optional details, normalised', async () => {
    const picture = path.join(ctx.dir, 'grace.png');
    fs.writeFileSync(picture, 'png');
    const { user } = await addUser(
      ctx,
      base({
        username: 'Grace',
        email: 'grace@example.org',
        language: 'french',
        officialCode: ' G-1 ',
        phone: '+33 1 23',
        picture: path.relative(process.cwd(), picture),
        expires: '2026-12-31',
        inactive: true,
        roles: ['student'],
      }),
    );
    expect(user).toMatchObject({
      username: 'Grace',
      language: 'fr',
      officialCode: 'G-1',
      phone: '+33 1 23',
      picture,
      expiresAt: '2026-12-31T23:59:59.999Z',
      active: false,
    });
    const { user: url } = await addUser(
      ctx,
      base({ username: 'hopper', email: 'hopper@example.org', picture: 'https://example.org/h.png', officialCode: '  ' }),
    );
    expect(url).toMatchObject({ picture: 'https://example.org/h.png', officialCode: null });
  });

  it('warns about a weak password but creates the user', async () => {
    const { warnings } = await addUser(ctx, base({ username: 'weak', email: 'weak@example.org', password: 'short' }));
    expect(warnings).toEqual(['the password is weak (fewer than 8 characters)']);
  });

  it('refuses a username or email held by another user in another case, naming that user', async () => {
    const before = await count('user');
    expect(await caught(addUser(ctx, base({ username: 'ADA', email: 'other@example.org' })))).toMatchObject({
      name: 'ConflictError',
      exitCode: 4,
      message: expect.stringMatching(/^username "ada" is taken by user ada \(id:\d+\)$/),
    });
    expect(await caught(addUser(ctx, base({ username: 'other', email: 'Ada@Example.ORG' })))).toMatchObject({
      exitCode: 4,
      message: expect.stringMatching(/^email "ada@example.org" is taken by user ada \(id:\d+\)$/),
    });
    expect((await caught(addUser(ctx, base({ username: 'grace', email: 'ADA@example.org' })))).message).toMatch(
      /^username "Grace" is taken by user Grace \(id:\d+\); email "ada@example.org" is taken by user ada/,
    );
    expect(await count('user')).toBe(before);
  });

  it('counts a deleted account as taken, and says it is deleted', async () => {
    const { user } = await addUser(ctx, base({ username: 'gone', email: 'gone@example.org' }));
    await ctx.execute('UPDATE "user" SET deleted_at = ? WHERE id = ?', '2026-02-01T00:00:00.000Z', user.id);
    expect((await caught(addUser(ctx, base({ username: 'Gone', email: 'new@example.org' })))).message).toBe(
      `username "gone" is taken by user gone (id:${user.id}, deleted)`,
    );
  });

  it('reports every invalid value at once, writes nothing, exit 5', async () => {
    const [users, roles, audits] = [await count('user'), await count('user_role'), await count('audit_log')];
    const error = await caught(
      addUser(
        ctx,
        base({
          username: 'bad name',
          email: 'not-an-email',
          firstname: ' ',
          roles: ['wizard'],
          expires: '2026-02-31',
          language: 'klingon',
          fields: [{ name: 'cohort', value: 'soon' }],
        }),
      ),
    );
    expect(error).toMatchObject({ name: 'ValidationError', exitCode: 5 });
    for (const part of [
      'firstname: is required',
      'email: "not-an-email" is not a valid email address',
      'username: "bad name" may contain only',
      'role: unknown role "wizard"',
      'language: "klingon" is not a language',
      'expires: "2026-02-31" is not a date',
      'cohort: "soon" is not a number',
    ]) {
      expect(error.message).toContain(part);
    }
    expect([await count('user'), await count('user_role'), await count('audit_log')]).toEqual([users, roles, audits]);
  });

  it('needs a role, a password, a defined field and an existing picture', async () => {
    expect((await caught(addUser(ctx, base({ username: 'r', email: 'r@example.org', roles: [] })))).message).toBe('role: at least one role is required');
    expect((await caught(addUser(ctx, base({ username: 'p', email: 'p@example.org', password: undefined })))).message).toBe('password: is required');
    expect(await caught(addUser(ctx, base({ username: 'f', email: 'f@example.org', fields: [{ name: 'shoe', value: '42' }] })))).toMatchObject({
      exitCode: 3,
      message: 'no extra field "shoe"',
    });
    expect(await caught(addUser(ctx, base({ username: 'i', email: 'i@example.org', picture: '/nonexistent/face.png' })))).toMatchObject({
      exitCode: 3,
      message: 'picture: no file /nonexistent/face.png',
    });
    expect(await ctx.row(`SELECT count(*) AS n FROM "user" WHERE username IN ('r', 'p', 'f', 'i')`)).toEqual({ n: 0 });
  });

  it('accepts an existing bcrypt hash instead of a password (imports)', async () => {
    const hash = '$2y$04$abcdefghijklmnopqrstuu5ZNrVsz4aQ5wnhZ8y7pOI1n4B4oZJ6a';
    const { user } = await addUser(ctx, base({ username: 'imported', email: 'imported@example.org', password: undefined, passwordHash: hash }));
    expect(await ctx.row('SELECT password_hash FROM "user" WHERE id = ?', user.id)).toEqual({ password_hash: hash });
  });
});

describe('editUser', () => {
  let ctx: TestContext;
  let id: number;
  const audits = () => ctx.rows<{ details: string }>("SELECT details FROM audit_log WHERE action = 'user.edit' ORDER BY id");
  beforeAll(async () => {
    ctx = await tempContext();
    await addField(ctx, { name: 'cohort', type: 'number' });
    await addField(ctx, { name: 'campus', type: 'choice', choices: ['north', 'south'] });
    ({ id } = (await addUser(ctx, base({ officialCode: 'A1', fields: [{ name: 'cohort', value: '2025' }] }))).user);
    // An active admin besides ada, so that ada may lose the admin role.
    await addUser(ctx, base({ username: 'grace', email: 'grace@example.org', roles: ['admin'] }));
  });
  afterAll(() => ctx.cleanup());

  it('returns each changed field as before → after and writes one audit row', async () => {
    ctx.setNow('2026-03-02T09:00:00.000Z');
    const result = await editUser(ctx, 'ADA', {
      firstname: 'Augusta Ada',
      email: 'ada.lovelace@example.org',
      officialCode: '',
      expires: '2027-01-01',
      language: 'de',
      phone: '123',
    });
    expect(result.changes).toEqual([
      { field: 'firstname', before: 'Ada', after: 'Augusta Ada' },
      { field: 'email', before: 'ada@example.org', after: 'ada.lovelace@example.org' },
      { field: 'language', before: 'en', after: 'de' },
      { field: 'official_code', before: 'A1', after: null },
      { field: 'phone', before: null, after: '123' },
      { field: 'expires_at', before: null, after: '2027-01-01T23:59:59.999Z' },
    ]);
    expect(result.user).toMatchObject({ id, firstname: 'Augusta Ada', email: 'ada.lovelace@example.org', officialCode: null, language: 'de' });
    expect(await ctx.row('SELECT email_key FROM "user" WHERE id = ?', id)).toEqual({ email_key: 'ada.lovelace@example.org' });
    const rows = await audits();
    expect(rows).toHaveLength(1);
    expect(JSON.parse(rows[0]!.details)).toEqual({ changes: result.changes });
    expect(await getUser(ctx, 'ada.lovelace@example.org')).toMatchObject({ id });
  });

  it('changes nothing and writes no audit row when the values are the same', async () => {
    const result = await editUser(ctx, `id:${id}`, {
      firstname: 'Augusta Ada',
      language: 'DE',
      addRoles: ['teacher'],
      setFields: [{ name: 'cohort', value: '2025.0' }],
    });
    expect(result.changes).toEqual([]);
    expect(await audits()).toHaveLength(1);
  });

  it('accepts a change of case in its own username and email', async () => {
    const result = await editUser(ctx, 'ada', { username: 'Ada', email: 'Ada.Lovelace@example.org' });
    expect(result.changes.map((c) => c.field)).toEqual(['email', 'username']);
    expect(result.user.username).toBe('Ada');
  });

  it("refuses another user's username or email in any case, writing nothing", async () => {
    expect(await caught(editUser(ctx, 'ada', { username: 'GRACE', firstname: 'X' }))).toMatchObject({
      exitCode: 4,
      message: expect.stringContaining('username "grace" is taken by user grace'),
    });
    expect(await caught(editUser(ctx, 'ada', { email: 'Grace@Example.org' }))).toMatchObject({
      exitCode: 4,
      message: expect.stringContaining('email "grace@example.org" is taken by user grace'),
    });
    expect((await getUser(ctx, 'ada')).firstname).toBe('Augusta Ada');
  });

  it('adds, removes and replaces roles, in the canonical order', async () => {
    expect((await editUser(ctx, 'ada', { addRoles: ['admin', 'student'] })).changes).toEqual([
      { field: 'roles', before: ['teacher'], after: ['student', 'teacher', 'admin'] },
    ]);
    expect((await editUser(ctx, 'ada', { removeRoles: ['student'], addRoles: ['invitee'] })).changes).toEqual([
      { field: 'roles', before: ['student', 'teacher', 'admin'], after: ['teacher', 'invitee', 'admin'] },
    ]);
    expect((await editUser(ctx, 'ada', { roles: ['hr_manager', 'teacher'] })).changes).toEqual([
      { field: 'roles', before: ['teacher', 'invitee', 'admin'], after: ['teacher', 'hr_manager'] },
    ]);
    expect((await editUser(ctx, 'ada', { removeRoles: ['admin'] })).changes).toEqual([]);
  });

  it('never leaves a user without a role, and writes nothing of that edit', async () => {
    const error = await caught(editUser(ctx, 'ada', { firstname: 'Changed', removeRoles: ['teacher', 'hr_manager'] }));
    expect(error).toMatchObject({
      exitCode: 5,
      message: 'roles: a user must keep at least one role',
      suggestion: 'add another role in the same command, e.g. --add-role student',
    });
    expect((await caught(editUser(ctx, 'ada', { roles: [] }))).message).toBe('roles: a user must keep at least one role');
    const user = await getUser(ctx, 'ada');
    expect(user).toMatchObject({ firstname: 'Augusta Ada', roles: ['teacher', 'hr_manager'] });
  });

  it('refuses unknown roles and bad values with exit 5', async () => {
    expect(await caught(editUser(ctx, 'ada', { addRoles: ['wizard'] }))).toMatchObject({ exitCode: 5, message: 'add-role: unknown role "wizard"' });
    expect((await caught(editUser(ctx, 'ada', { email: 'nope', expires: '2026-02-30' }))).message).toBe(
      'email: "nope" is not a valid email address; expires: "2026-02-30" is not a date; use YYYY-MM-DD, an ISO 8601 date-time, +90d (that long from now) or never',
    );
    expect((await caught(editUser(ctx, 'ada', { firstname: '' }))).message).toBe('firstname: is required');
  });

  it('sets and unsets extra fields, and `never` removes the expiration', async () => {
    const result = await editUser(ctx, 'ada', {
      setFields: [
        { name: 'campus', value: 'NORTH' },
        { name: 'cohort', value: '2026' },
      ],
      expires: 'never',
    });
    expect(result.changes).toEqual([
      { field: 'expires_at', before: '2027-01-01T23:59:59.999Z', after: null },
      { field: 'extra.campus', before: null, after: 'north' },
      { field: 'extra.cohort', before: '2025', after: '2026' },
    ]);
    expect(result.user.extra).toEqual({ campus: 'north', cohort: 2026 });
    expect((await editUser(ctx, 'ada', { unsetFields: ['campus', 'cohort'] })).changes).toEqual([
      { field: 'extra.campus', before: 'north', after: null },
      { field: 'extra.cohort', before: '2026', after: null },
    ]);
    expect((await editUser(ctx, 'ada', { unsetFields: ['campus'] })).changes).toEqual([]);
    expect(await caught(editUser(ctx, 'ada', { setFields: [{ name: 'campus', value: 'east' }] }))).toMatchObject({
      exitCode: 5,
      message: 'campus: "east" is not one of: north, south',
    });
    expect((await caught(editUser(ctx, 'ada', { unsetFields: ['shoe'] }))).exitCode).toBe(3);
  });

  it('resets a password: recorded as changed, never its value or hash', async () => {
    const before = (await ctx.row<{ password_hash: string }>('SELECT password_hash FROM "user" WHERE id = ?', id))!.password_hash;
    const result = await editUser(ctx, 'ada', { password: 'new secret value' });
    expect(result.changes).toEqual([{ field: 'password', before: null, after: null, secret: true }]);
    const after = (await ctx.row<{ password_hash: string }>('SELECT password_hash FROM "user" WHERE id = ?', id))!.password_hash;
    expect(after).not.toBe(before);
    expect(await verifyPassword('new secret value', after)).toBe(true);
    const all = await ctx.rows<{ details: string | null }>('SELECT details FROM audit_log');
    for (const { details } of all) {
      expect(details ?? '').not.toContain('new secret value');
      expect(details ?? '').not.toContain(after);
      expect(details ?? '').not.toContain(before);
      expect(details ?? '').not.toMatch(/\$2[aby]\$/);
    }
  });

  it('finds nobody for an unknown reference (exit 3)', async () => {
    expect(await caught(editUser(ctx, 'nobody', { firstname: 'X' }))).toMatchObject({
      exitCode: 3,
      message: 'no user "nobody"',
      suggestion: 'a user is a username, an email address or id:<number>',
    });
    expect((await caught(editUser(ctx, 'id:99999', { firstname: 'X' }))).exitCode).toBe(3);
  });

  it('refuses to edit the system fallback account or a deleted one (exit 4)', async () => {
    expect(await caught(editUser(ctx, 'fallback', { firstname: 'X' }))).toMatchObject({
      exitCode: 4,
      message: expect.stringContaining('is the system fallback account and cannot be edited'),
    });
    const { user } = await addUser(ctx, base({ username: 'gone', email: 'gone@example.org' }));
    await ctx.execute(`UPDATE "user" SET deleted_at = '2026-03-01T00:00:00Z' WHERE id = ?`, user.id);
    expect(await caught(editUser(ctx, 'gone', { firstname: 'X' }))).toMatchObject({
      exitCode: 4,
      suggestion: `restore it first: roster restore id:${user.id}`,
    });
  });
});
