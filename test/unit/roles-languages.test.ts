import { parseLanguage } from '../../src/core/languages';
import { isRole, legacyStatusOf, parseRoles, roleFromLegacyStatus, ROLES } from '../../src/core/roles';
import { caught } from './helpers';

describe('roles', () => {
  it('are the six of the platform', () => {
    expect(ROLES).toEqual(['student', 'teacher', 'session_admin', 'hr_manager', 'invitee', 'admin']);
    expect(isRole('teacher')).toBe(true);
    expect(isRole('Teacher')).toBe(false);
  });

  it('are read whatever their case and spacing, without duplicates or blanks', () => {
    expect(parseRoles([' Teacher ', 'ADMIN', 'teacher', ''])).toEqual(['teacher', 'admin']);
    expect(parseRoles([])).toEqual([]);
  });

  it('refuses an unknown role with exit 5, naming the field and listing the known ones', async () => {
    const error = await caught(() => parseRoles(['student', 'wizard'], 'add-role'));
    expect(error).toEqual({
      name: 'ValidationError',
      exitCode: 5,
      message: 'add-role: unknown role "wizard"',
      suggestion: 'known roles: student, teacher, session_admin, hr_manager, invitee, admin',
    });
  });
});

describe("Chamilo's legacy Status", () => {
  it.each([
    ['1', 'teacher'],
    ['3', 'session_admin'],
    ['4', 'hr_manager'],
    ['5', 'student'],
    ['20', 'invitee'],
    ['', 'student'],
    ['  ', 'student'],
    ['user', 'student'],
    ['DRH', 'hr_manager'],
    ['invited', 'invitee'],
    ['Teacher', 'teacher'],
  ])('maps %p to %p', (status, role) => {
    expect(roleFromLegacyStatus(status)).toBe(role);
  });

  it.each(['2', '6', 'admin', 'platform_admin', 'x'])('has no role for %p (Chamilo refuses it too)', (status) => {
    expect(roleFromLegacyStatus(status)).toBeUndefined();
  });

  it('is written back from the main role', () => {
    expect(legacyStatusOf(['student'])).toBe('5');
    expect(legacyStatusOf(['student', 'teacher'])).toBe('1');
    expect(legacyStatusOf(['session_admin', 'hr_manager'])).toBe('3');
    expect(legacyStatusOf(['hr_manager'])).toBe('4');
    expect(legacyStatusOf(['invitee'])).toBe('20');
    expect(legacyStatusOf(['invitee', 'student'])).toBe('5');
    // Chamilo's platform admins are Status 1: exported as 5 they would come back as students.
    expect(legacyStatusOf(['admin'])).toBe('1');
    expect(legacyStatusOf(['admin', 'student'])).toBe('1');
  });
});

describe('languages', () => {
  it.each([
    ['en', 'en'],
    ['FR', 'fr'],
    ['pt-br', 'pt-BR'],
    ['pt_BR', 'pt-BR'],
    ['EN-gb', 'en-GB'],
    ['french', 'fr'],
    ['French', 'fr'],
    ['brazilian', 'pt-BR'],
    ['simpl_chinese', 'zh'],
    ['trad_chinese', 'zh-TW'],
    ['ast', 'ast'],
    [' es ', 'es'],
  ])('reads %p as %p', (input, code) => {
    expect(parseLanguage(input)).toBe(code);
  });

  it.each(['klingon', 'e', 'english!', 'zz-zzz', ''])('refuses %p, naming the field', async (input) => {
    const error = await caught(() => parseLanguage(input, '--language'));
    expect(error).toMatchObject({ name: 'ValidationError', exitCode: 5 });
    expect(error.message).toMatch(/^--language: ".*" is not a language; use an ISO 639-1 code/);
  });
});

describe('languages are checked against ISO 639-1 (issue 10)', () => {
  it.each(['qq', 'xx', 'xx-YY', 'fr-ZZ', 'en-QX', 'zz'])('refuses %p, which has the shape of a code but is none', (code) => {
    expect(() => parseLanguage(code)).toThrow(/is not a language/);
  });

  it.each([
    ['fr', 'fr'],
    ['pt_br', 'pt-BR'],
    ['zh-TW', 'zh-TW'],
    ['sr-XK', 'sr-XK'],
    ['french', 'fr'],
    ['brazilian', 'pt-BR'],
    ['asturian', 'ast'],
    ['ast', 'ast'],
  ])('accepts %p as %p', (input, code) => {
    expect(parseLanguage(input)).toBe(code);
  });
});
