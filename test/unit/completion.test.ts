import { buildProgram } from '../../src/cli/program';
import { defineAll } from '../../src/cli/registry';
import { completeWords, type NameSource } from '../../src/cli/completion';
import { renderCompletion, wordsFromShell } from '../../src/cli/completion-shells';
import { addCourse } from '../../src/core/courses';
import { addSession } from '../../src/core/sessions';
import { addField } from '../../src/core/fields';
import { recordNamesStartingWith } from '../../src/core/record-names';
import { ROLES } from '../../src/core/roles';
import { tempContext, type TestContext } from './helpers';

/** The names a fake database holds, and what was asked of it. */
function fakeNames(held: Record<string, string[]>) {
  const asked: { kind: string; prefix: string; database: string | undefined }[] = [];
  const names: NameSource = async (kind, prefix, database) => {
    asked.push({ kind, prefix, database });
    return (held[kind] ?? []).filter((name) => name.toLowerCase().startsWith(prefix.toLowerCase()));
  };
  return { names, asked };
}

const program = defineAll(buildProgram());

async function values(words: string[], held: Record<string, string[]> = {}) {
  const completion = await completeWords(program, words, fakeNames(held).names);
  return { values: completion.candidates.map((c) => c.value), directive: completion.directive };
}

describe('completion of the words typed so far', () => {
  it('offers the commands, then the subcommands of a group, with their descriptions', async () => {
    expect((await values(['cou'])).values).toEqual(['course']);
    expect(await values([''])).toMatchObject({ values: expect.arrayContaining(['list', 'course', 'session', 'import', 'completion', 'help']) });
    expect((await values(['course', ''])).values).toEqual(['add', 'list', 'show', 'edit', 'delete']);
    expect((await values(['--db', 'x.db', 'session', 'add-'])).values).toEqual(['add-course']);
    const described = await completeWords(program, ['lis'], fakeNames({}).names);
    expect(described.candidates).toEqual([{ value: 'list', description: expect.stringMatching(/\w/) }]);
  });

  it("offers a command's options and the global ones, never the hidden copies", async () => {
    const list = (await values(['list', '--'])).values;
    expect(list).toEqual(expect.arrayContaining(['--role', '--format', '--sort', '--db', '--json', '--yes', '--actor', '--help']));
    expect(list.filter((v) => v === '--db')).toHaveLength(1);
    expect((await values(['import', 'staff.csv', '--on'])).values).toEqual(['--on-existing']);
    expect((await values(['--'])).values).toEqual(expect.arrayContaining(['--db', '--version', '--help']));
  });

  it('offers the fixed values of an option, in either spelling', async () => {
    expect((await values(['import', '--on-existing', ''])).values).toEqual(['skip', 'update', 'fail']);
    expect((await values(['export', '--format', 'x'])).values).toEqual(['xml']);
    expect((await values(['export', '--format=j'])).values).toEqual(['--format=json']);
    expect((await values(['list', '--role', ''])).values).toEqual([...ROLES]);
    expect((await values(['edit', 'ada', '--add-role', 'te'])).values).toEqual(['teacher']);
    expect((await values(['edit', 'ada', '--roles', 'student,'])).values).toEqual(ROLES.filter((r) => r !== 'student').map((r) => `student,${r}`));
    expect((await values(['audit', '--action', 'user.de'])).values).toEqual(['user.deactivate', 'user.delete']);
    expect((await values(['config', 'get', ''])).values).toEqual(['base-url', 'mail.command', 'mail.from']);
    expect((await values(['config', 'set', 'mail.'])).values).toEqual(['mail.command', 'mail.from']);
    expect((await values(['completion', ''])).values).toEqual(['bash', 'zsh', 'fish']);
  });

  it('reads course codes, session names and extra fields from the database the command line names', async () => {
    const held = { course: ['C101', 'C102', 'M201'], session: ['Spring 2027'], field: ['dept', 'badge'] };
    const { names, asked } = fakeNames(held);
    const offered = async (words: string[]) => (await completeWords(program, words, names)).candidates.map((c) => c.value);
    expect(await offered(['course', 'show', 'c1'])).toEqual(['C101', 'C102']);
    expect(await offered(['--db', '/srv/r.db', 'enroll', 'ada', '--course', 'M'])).toEqual(['M201']);
    expect(asked.at(-1)).toEqual({ kind: 'course', prefix: 'M', database: '/srv/r.db' });
    expect(await offered(['list', '--db=/other.db', '--session', 'spr'])).toEqual(['Spring 2027']);
    expect(asked.at(-1)?.database).toBe('/other.db');
    expect(await offered(['session', 'add-course', 'Spring 2027', 'C101', 'C'])).toEqual(['C101', 'C102']);
    expect(await offered(['edit', 'ada', '--unset-field', ''])).toEqual(['dept', 'badge']);
    const field = await completeWords(program, ['list', '--field', 'd'], names);
    expect(field).toEqual({ candidates: [{ value: 'dept=' }], directive: 'nospace' });
    expect(await offered(['list', '--field', 'dept=x'])).toEqual([]);
  });

  it('asks nothing of the database for a record still to be created, nor for users', async () => {
    const { names, asked } = fakeNames({ course: ['C101'], session: ['S'] });
    for (const words of [
      ['course', 'add', 'C'],
      ['session', 'add', ''],
      ['field', 'add', ''],
      ['show', ''],
      ['list', '--title', ''],
    ]) {
      expect((await completeWords(program, words, names)).candidates).toEqual([]);
    }
    expect(asked).toEqual([]);
  });

  it('leaves files to the shell where a file is expected', async () => {
    for (const words of [
      ['import', 'st'],
      ['export', '--report', ''],
      ['--db', ''],
      ['db', 'copy', '--to', ''],
      ['import', 'a.csv', '--credentials', ''],
    ]) {
      expect(await values(words)).toEqual({ values: [], directive: 'files' });
    }
  });

  it('reads the words after -- as arguments, and help as the names of commands', async () => {
    expect((await values(['course', 'show', '--', '--f'], { course: ['--f'] })).values).toEqual(['--f']);
    expect((await values(['help', 'se'])).values).toEqual(['search', 'session']);
    expect((await values(['help', 'course', 'e'])).values).toEqual(['edit']);
    expect((await values(['help', 'nope', ''])).values).toEqual([]);
  });
});

describe('what each shell hands over and reads back', () => {
  it("joins bash's --option = value and removes its quoting", () => {
    expect(wordsFromShell('bash', ['export', '--format', '=', 'cs'])).toEqual({ words: ['export', '--format=cs'], kept: '--format=' });
    expect(wordsFromShell('bash', ['export', '--format', '='])).toEqual({ words: ['export', '--format='], kept: '--format=' });
    expect(wordsFromShell('bash', ['session', 'show', 'Spring\\ 2'])).toEqual({ words: ['session', 'show', 'Spring 2'], kept: '' });
    expect(wordsFromShell('bash', ['--db', "'my dir'/r.db", '"a\\"b"'])).toEqual({ words: ['--db', 'my dir/r.db', 'a"b'], kept: '' });
    expect(wordsFromShell('zsh', ['--format=cs'])).toEqual({ words: ['--format=cs'], kept: '' });
    expect(wordsFromShell('fish', ['session', "'Spr"])).toEqual({ words: ['session', 'Spr'], kept: '' });
  });

  it('writes one candidate a line, quoted for the shell, and the directive last', () => {
    const completion = { candidates: [{ value: 'Spring 2027' }, { value: 'a:b', description: 'the a:b' }], directive: 'plain' as const };
    expect(renderCompletion('bash', completion)).toBe('Spring\\ 2027\na:b\n:plain\n');
    expect(renderCompletion('zsh', completion)).toBe('Spring 2027\na\\:b:the a:b\n:plain\n');
    expect(renderCompletion('fish', completion)).toBe('Spring 2027\na:b\tthe a:b\n:plain\n');
    expect(renderCompletion('bash', { candidates: [{ value: '--format=csv' }], directive: 'plain' }, '--format=')).toBe('csv\n:plain\n');
    expect(renderCompletion('bash', { candidates: [], directive: 'files' })).toBe(':files\n');
  });

  it('never hands a terminal control character or a line break from the database to the shell', () => {
    const hostile = { candidates: [{ value: 'C1\u001b]0;owned\u0007\nrm -rf' }], directive: 'plain' as const };
    for (const shell of ['bash', 'zsh', 'fish'] as const) {
      const lines = renderCompletion(shell, hostile).split('\n');
      expect(lines).toHaveLength(3);
      expect(lines.join('')).not.toMatch(/[\u0000-\u001f]/);
    }
  });
});

describe('names of records by their beginning', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await tempContext();
    for (const code of ['C101', 'c102', 'M201', '50_off', '50X']) await addCourse(ctx, { code, title: code });
    for (const name of ['Spring 2027', 'Spring 2028', 'Été 2027']) await addSession(ctx, { name, start: '2027-01-01', end: '2027-06-01' });
    for (const name of ['dept', 'badge_no', 'badgeno']) await addField(ctx, { name, type: 'text' });
  });
  afterAll(() => ctx.cleanup());

  it('matches codes and names whatever their case, in order, and the wildcards of LIKE as themselves', async () => {
    expect(await recordNamesStartingWith(ctx.db, 'course', 'c1')).toEqual(['C101', 'c102']);
    expect(await recordNamesStartingWith(ctx.db, 'course', '50_')).toEqual(['50_off']);
    expect(await recordNamesStartingWith(ctx.db, 'course', '%')).toEqual([]);
    expect(await recordNamesStartingWith(ctx.db, 'course', '')).toHaveLength(5);
    expect(await recordNamesStartingWith(ctx.db, 'session', 'spring ')).toEqual(['Spring 2027', 'Spring 2028']);
    expect(await recordNamesStartingWith(ctx.db, 'session', 'ÉTÉ')).toEqual(['Été 2027']);
    expect(await recordNamesStartingWith(ctx.db, 'field', 'badge_')).toEqual(['badge_no']);
  });
});
