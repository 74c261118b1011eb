/**
 * The columns of user files: Chamilo's names (import and export), roster's
 * own names (list --format csv, JSON keys), and the aliases people write.
 * Names are compared ignoring case, spaces, `_`, `-` and `.`.
 */
export const STANDARD_COLUMNS = [
  'id',
  'lastname',
  'firstname',
  'email',
  'username',
  'password',
  'passwordHash',
  'authSource',
  'officialCode',
  'language',
  'phone',
  'status',
  'roles',
  'active',
  'expires',
  'registeredAt',
  'lastLoginAt',
  'picture',
  'courses',
  'sessions',
  'deletedAt',
  'anonymizedAt',
] as const;
export type StandardColumn = (typeof STANDARD_COLUMNS)[number];

/** The name written in exports: Chamilo's where it has one. */
export const CHAMILO_NAMES: Record<StandardColumn, string> = {
  id: 'UserId',
  lastname: 'LastName',
  firstname: 'FirstName',
  email: 'Email',
  username: 'UserName',
  password: 'Password',
  passwordHash: 'PasswordHash',
  authSource: 'AuthSource',
  officialCode: 'OfficialCode',
  language: 'language',
  phone: 'PhoneNumber',
  status: 'Status',
  roles: 'Roles',
  active: 'Active',
  expires: 'ExpiryDate',
  registeredAt: 'RegistrationDate',
  lastLoginAt: 'LastLogin',
  picture: 'Picture',
  courses: 'Courses',
  sessions: 'Sessions',
  deletedAt: 'DeletedAt',
  anonymizedAt: 'AnonymizedAt',
};

const ALIASES: Record<StandardColumn, string[]> = {
  id: ['userid', 'id', 'userId'],
  lastname: ['lastname', 'surname', 'familyname'],
  firstname: ['firstname', 'givenname'],
  email: ['email', 'mail', 'emailaddress'],
  username: ['username', 'login', 'loginname'],
  password: ['password', 'plainpassword'],
  passwordHash: ['passwordhash', 'hash'],
  authSource: ['authsource', 'auth'],
  officialCode: ['officialcode'],
  language: ['language', 'lang', 'locale'],
  phone: ['phonenumber', 'phone', 'telephone'],
  status: ['status'],
  roles: ['roles', 'role'],
  active: ['active', 'enabled'],
  expires: ['expirydate', 'expirationdate', 'expiresat', 'expires', 'expiry'],
  registeredAt: ['registrationdate', 'registeredat', 'registered', 'createdat'],
  lastLoginAt: ['lastlogin', 'lastloginat'],
  picture: ['picture', 'pictureuri', 'photo'],
  courses: ['courses', 'course'],
  sessions: ['sessions', 'session'],
  deletedAt: ['deletedat', 'deletiondate'],
  anonymizedAt: ['anonymizedat', 'anonymizationdate'],
};

/**
 * Columns that roster's own files carry and that import reads past:
 * ids are not kept across databases, Chamilo's classes do not exist here,
 * and ImportError is the reason column of --report files.
 */
const IGNORED = ['system', 'classid', 'importerror', 'extra'];

export function normaliseColumnName(name: string): string {
  return name
    .trim()
    .toLowerCase()
    .replace(/[\s_\-.]+/g, '');
}

const BY_ALIAS = new Map<string, StandardColumn>();
for (const key of STANDARD_COLUMNS) for (const alias of ALIASES[key]) BY_ALIAS.set(normaliseColumnName(alias), key);

export function standardColumn(name: string): StandardColumn | undefined {
  return BY_ALIAS.get(normaliseColumnName(name));
}

export function isIgnoredColumn(name: string): boolean {
  return IGNORED.includes(normaliseColumnName(name));
}

/** The column that carries the reason in --report files. */
export const REPORT_REASON_COLUMN = 'ImportError';
