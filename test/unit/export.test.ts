import { planExport, type ExportRequest } from '../../src/core/export';
import { escapeXml } from '../../src/formats/xml-writer';
import { addField } from '../../src/core/fields';
import { addUser, editUser } from '../../src/core/users';
import { tempContext, type TestContext } from './helpers';

// A cheap bcrypt for the accounts the tests create.
process.env.ROSTER_BCRYPT_COST = '4';

const NOW = new Date('2026-09-01T08:00:00.000Z');
let ctx: TestContext;

beforeAll(async () => {
  ctx = await tempContext(NOW.toISOString());
  await addField(ctx, { name: 'cohort', type: 'number' });
  const course = (await ctx.row<{ id: number }>(
    "INSERT INTO course (code, code_key, title, language, owner_id, created_at) VALUES ('C1', 'c1', 'One', 'en', NULL, ?) RETURNING id",
    NOW.toISOString(),
  ))!;
  const ada = await addUser(ctx, {
    firstname: 'Ada',
    lastname: 'Lovelace',
    email: 'ada@example.org',
    username: 'ada',
    roles: ['teacher', 'admin'],
    password: 'long secret',
    phone: '+44 20',
    officialCode: '=HYPERLINK("x")',
    fields: [{ name: 'cohort', value: '-3' }],
  });
  await ctx.execute("INSERT INTO course_user (course_id, user_id, role, enrolled_at) VALUES (?, ?, 'student', ?)", course.id, ada.user.id, NOW.toISOString());
  await addUser(ctx, {
    firstname: 'Alan',
    lastname: 'Turing <&>',
    email: 'alan@example.org',
    username: 'alan',
    roles: ['student'],
    password: 'long secret',
    expires: '2026-01-01',
  });
  await editUser(ctx, 'alan', { phone: '' });
});

afterAll(() => ctx.cleanup());

async function text(request: Partial<ExportRequest>): Promise<string> {
  const plan = await planExport(ctx, { filter: {}, format: 'csv', ...request });
  let out = '';
  for await (const chunk of plan.chunks()) out += chunk;
  return out;
}

describe('export', () => {
  it('writes Chamilo columns, roles, extra fields and enrolments; neutralises formulas; never a password', async () => {
    const csv = await text({});
    const [header, ...lines] = csv.trimEnd().split('\r\n');
    expect(header).toBe(
      'UserId;LastName;FirstName;Email;UserName;AuthSource;Status;Roles;OfficialCode;PhoneNumber;language;Active;ExpiryDate;RegistrationDate;LastLogin;Picture;DeletedAt;AnonymizedAt;cohort;Courses;Sessions',
    );
    expect(lines[0]).toBe(
      `2;Lovelace;Ada;ada@example.org;ada;platform;1;teacher|admin;"'=HYPERLINK(""x"")";'+44 20;en;1;;${NOW.toISOString()};;;;;-3;C1:student;`,
    );
    // An active account past its expiry date is -1, as Chamilo writes it.
    expect(lines[1]).toContain(';Turing <&>;Alan;alan@example.org;alan;platform;5;student;;;en;-1;2026-01-01T23:59:59.999Z;');
    expect(csv).not.toMatch(/\$2b\$|long secret/);
  });

  it('leaves cells alone with raw, picks columns in order, and adds hashes only when asked', async () => {
    expect(await text({ raw: true, columns: ['username', 'OfficialCode', 'COHORT'] })).toBe(
      'UserName;OfficialCode;cohort\r\nada;"=HYPERLINK(""x"")";-3\r\nalan;;\r\n',
    );
    const withHashes = await text({ includePasswordHashes: true, columns: ['UserName'], delimiter: ',' });
    expect(withHashes).toMatch(/^UserName,PasswordHash\r\nada,\$2b\$04\$/);
    await expect(text({ columns: ['Password'] })).rejects.toThrow('passwords are never exported');
    await expect(text({ columns: ['PasswordHash'] })).rejects.toThrow('--include-password-hashes');
    await expect(text({ columns: ['shoe'] })).rejects.toThrow('unknown field "shoe"');
    await expect(text({ format: 'json', columns: ['UserName'] })).rejects.toThrow('--fields applies to CSV and XML');
  });

  it('writes Chamilo XML, escaped, with empty elements self-closed', async () => {
    const xml = await text({ format: 'xml', columns: ['LastName', 'Phone'] });
    expect(xml).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n<Contacts>\n' +
        '    <Contact>\n        <LastName>Lovelace</LastName>\n        <PhoneNumber>+44 20</PhoneNumber>\n    </Contact>\n' +
        '    <Contact>\n        <LastName>Turing &lt;&amp;&gt;</LastName>\n        <PhoneNumber />\n    </Contact>\n</Contacts>\n',
    );
    expect(escapeXml('a\u0001b')).toBe('a\ufffdb');
  });

  it('writes JSON users with courses and sessions, filtered like list', async () => {
    const users = JSON.parse(await text({ format: 'json', filter: { roles: ['teacher'] } })) as Record<string, unknown>[];
    expect(users).toHaveLength(1);
    expect(users[0]).toMatchObject({
      username: 'ada',
      roles: ['teacher', 'admin'],
      extra: { cohort: -3 },
      courses: [{ code: 'C1', role: 'student' }],
      sessions: [],
    });
    expect(users[0]).not.toHaveProperty('passwordHash');
    expect(JSON.parse(await text({ format: 'json', filter: { course: 'c1' } }))).toHaveLength(1);
    expect(JSON.parse(await text({ format: 'json', filter: { roles: ['invitee'] } }))).toEqual([]);
    await expect(text({ filter: { course: 'nope' } })).rejects.toThrow('no course "nope"');
  });
});
