import { checkEmail, checkName, checkOptionalText, checkUsername, isWeakPassword, LIMITS, Problems } from '../../src/core/validation';
import { foldedKey, identityKey } from '../../src/shared/folding';

function problemsOf(check: (p: Problems) => void) {
  const problems = new Problems();
  check(problems);
  return problems.list;
}

describe('usernames', () => {
  it.each(['ada', 'Ada.Lovelace', 'a_b-c', 'ada@example.org', 'élodie', 'Zoë99', 'user.name-2_x', '李雷'])('accepts %p', (name) => {
    expect(problemsOf((p) => checkUsername(name, p))).toEqual([]);
  });

  it.each(['ada lovelace', 'ada!', 'a/b', 'semi;colon', "quote'", 'a+b'])('refuses %p, naming the field and the rule', (name) => {
    expect(problemsOf((p) => checkUsername(name, p))).toEqual([{ field: 'username', message: `"${name}" may contain only letters, digits and . _ - @` }]);
  });

  it('requires a value and limits the length', () => {
    expect(problemsOf((p) => checkUsername('', p))).toEqual([{ field: 'username', message: 'is required' }]);
    expect(problemsOf((p) => checkUsername('a'.repeat(LIMITS.username), p))).toEqual([]);
    expect(problemsOf((p) => checkUsername('a'.repeat(LIMITS.username + 1), p))).toEqual([{ field: 'username', message: 'is longer than 100 characters' }]);
  });

  it('reports under the field name it is given (import columns)', () => {
    expect(problemsOf((p) => checkUsername('bad name', p, 'UserName'))[0]?.field).toBe('UserName');
  });
});

describe('email addresses', () => {
  it.each(['ada@example.org', 'a.b+tag@sub.example.co.uk', 'élodie@exemple.fr', 'x@y.io'])('accepts %p', (email) => {
    expect(problemsOf((p) => checkEmail(email, p))).toEqual([]);
  });

  it.each([
    'ada',
    'ada@',
    '@example.org',
    'ada@example',
    'ada@@example.org',
    'a da@example.org',
    'ada@example.o',
    'ada@exa mple.org',
    'ada@example.org.',
    '<ada@example.org>',
    'ada@example,org',
    // Brackets and backslashes: an address literal, or text a mail program reads otherwise.
    'x@[evil.org]',
    'a@b.c]',
    'evil@x.org\\',
    'a\\b@example.org',
    'ada@exa/mple.org',
  ])('refuses %p', (email) => {
    expect(problemsOf((p) => checkEmail(email, p))).toEqual([{ field: 'email', message: `"${email}" is not a valid email address` }]);
  });

  it('requires a value and limits the length (one problem, not two)', () => {
    expect(problemsOf((p) => checkEmail('', p))).toEqual([{ field: 'email', message: 'is required' }]);
    const long = `${'a'.repeat(LIMITS.email)}@example.org`;
    expect(problemsOf((p) => checkEmail(long, p))).toEqual([{ field: 'email', message: 'is longer than 100 characters' }]);
  });
});

describe('names and optional text', () => {
  it('requires a name that is not blank', () => {
    expect(problemsOf((p) => checkName('   ', p, 'firstname'))).toEqual([{ field: 'firstname', message: 'is required' }]);
    expect(problemsOf((p) => checkName('Ada', p, 'firstname'))).toEqual([]);
    expect(problemsOf((p) => checkName("Jean-Luc O'Neil", p, 'lastname'))).toEqual([]);
  });

  it('refuses control characters and over-long values', () => {
    expect(problemsOf((p) => checkName('Ada\u0000', p, 'firstname'))).toEqual([
      { field: 'firstname', message: 'contains U+0000 (NUL), a control character; remove it' },
    ]);
    expect(problemsOf((p) => checkName('x'.repeat(101), p, 'lastname'))).toEqual([{ field: 'lastname', message: 'is longer than 100 characters' }]);
    expect(problemsOf((p) => checkOptionalText('line\nbreak', 50, p, 'phone'))).toEqual([
      { field: 'phone', message: 'contains U+000A (LF), a control character; remove it' },
    ]);
    expect(problemsOf((p) => checkName('Ada\u202Eecalevol', p, 'lastname'))).toEqual([
      { field: 'lastname', message: 'contains U+202E, a text-direction character; remove it' },
    ]);
    expect(problemsOf((p) => checkOptionalText('\u2067X1\u2069', 50, p, 'official_code'))).toEqual([
      { field: 'official_code', message: 'contains U+2067, a text-direction character; remove it' },
    ]);
    expect(problemsOf((p) => checkName('Zero\u200Bwidth', p, 'firstname'))).toEqual([
      { field: 'firstname', message: 'contains U+200B, an invisible character; remove it' },
    ]);
    expect(problemsOf((p) => checkName('C1\u009B31m', p, 'firstname'))).toEqual([
      { field: 'firstname', message: 'contains U+009B (CSI), a control character; remove it' },
    ]);
    expect(problemsOf((p) => checkOptionalText('a\tb', 50, p, 'note', { allowTab: true }))).toEqual([]);
    // Joiners that scripts need stay allowed.
    expect(problemsOf((p) => checkName('\u0915\u094D\u200D\u0937', p, 'firstname'))).toEqual([]);
    expect(problemsOf((p) => checkOptionalText('9'.repeat(51), 50, p, 'phone'))).toEqual([{ field: 'phone', message: 'is longer than 50 characters' }]);
  });

  it('lets optional text be absent', () => {
    expect(problemsOf((p) => checkOptionalText(null, 50, p, 'phone'))).toEqual([]);
    expect(problemsOf((p) => checkOptionalText(undefined, 50, p, 'phone'))).toEqual([]);
  });

  it('collects every problem instead of stopping at the first', () => {
    const problems = new Problems();
    checkUsername('bad name', problems);
    checkEmail('nope', problems);
    checkName('', problems, 'firstname');
    expect(problems.empty).toBe(false);
    expect(problems.list.map((p) => p.field)).toEqual(['username', 'email', 'firstname']);
  });
});

describe('identity keys', () => {
  it('compare usernames and emails ignoring case, Unicode included', () => {
    expect(identityKey('Ada@Example.ORG')).toBe('ada@example.org');
    expect(identityKey('ÉLODIE')).toBe('élodie');
    // The same word typed decomposed (macOS) or composed gives the same key.
    expect(identityKey('E\u0301lodie')).toBe(identityKey('Élodie'));
  });
});

describe('weak passwords', () => {
  it('are those under 8 characters', () => {
    expect(isWeakPassword('1234567')).toBe(true);
    expect(isWeakPassword('12345678')).toBe(false);
  });
});

describe('foldedKey: one folding for search, order and the index (issue 10)', () => {
  it.each([
    ['Guðmundsdóttir', 'gudmundsdottir'],
    ['Đorđević', 'dordevic'],
    ['Yılmaz', 'yilmaz'],
    ['Straße', 'strasse'],
    ['Æsir', 'aesir'],
    ['Œuvre', 'oeuvre'],
    ['Ødegård', 'odegard'],
    ['Łukasz', 'lukasz'],
    ['Þór', 'thor'],
    ["O'Brien", 'obrien'],
    ['O’Brien', 'obrien'],
    ['Smith–Jones', 'smith-jones'],
    ['de Vries', 'de vries'],
    ['Ångström', 'angstrom'],
  ])('%p folds to %p', (name, key) => {
    expect(foldedKey(name)).toBe(key);
  });
});
