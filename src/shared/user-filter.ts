/**
 * The selection filters shared by list, search, export and every batch
 * command. All set filters combine with AND.
 */
export interface UserFilter {
  roles?: readonly string[];
  /** Holding none of these roles. */
  excludeRoles?: readonly string[];
  active?: boolean;
  registeredSince?: string;
  registeredBefore?: string;
  lastLoginBefore?: string;
  neverLoggedIn?: boolean;
  /** Last login (or registration, for accounts never used) before this instant. */
  dormantSince?: string;
  expiresBefore?: string;
  /** Expiration date set and after this instant (with expiresBefore: "expires in the next N days"). */
  expiresAfter?: string;
  /** Expiration date passed at this instant. */
  expiredAt?: string;
  language?: string;
  /** How the accounts authenticate: platform, ldap, cas, hr… (as stored). */
  authSource?: string;
  fields?: { name: string; value: string }[];
  course?: string;
  /** Accounts whose password is still an md5 or sha1 digest of an old Chamilo (upgraded at their next login). */
  legacyHash?: boolean;
  /** With course: their role in that course (not their platform role). */
  courseRole?: 'teacher' | 'student';
  session?: string;
  noCourse?: boolean;
  /** The "Deleted users" view instead of the live accounts. */
  deleted?: boolean;
  deletedBefore?: string;
  /** Include system accounts (the fallback user). */
  system?: boolean;
  /**
   * Anonymized accounts are left out of the live view (list, search, the batches: an erased account
   * is nobody's to act on, and what list selects a batch must accept): 'only' selects them alone,
   * 'include' keeps them (export, for a lossless copy). The deleted view always includes them.
   */
  anonymized?: 'only' | 'include';
  keyword?: string;
  firstname?: string;
  lastname?: string;
  username?: string;
  email?: string;
  officialCode?: string;
  ids?: number[];
  /** Live, deleted and system accounts alike (to show the users a batch changed). */
  anyState?: boolean;
  /** At least one of these filters holds (their state criteria are ignored: the outer filter's apply). */
  anyOf?: UserFilter[];
}

export const SORT_KEYS = ['lastname', 'firstname', 'username', 'email', 'registered', 'last-login', 'expires', 'id'] as const;
export type SortKey = (typeof SORT_KEYS)[number];

export interface UserOrder {
  sort?: SortKey;
  desc?: boolean;
  limit?: number;
  offset?: number;
}

/** True when the filter narrows the selection (so a batch never means "everybody" by accident). */
export function hasSelectiveFilter(filter: UserFilter): boolean {
  return Object.entries(filter).some(([key, value]) => {
    if (key === 'system' || key === 'anyState' || value === undefined) return false;
    // `active: false` selects the inactive accounts; other flags are off when false.
    if (value === false) return key === 'active';
    return !Array.isArray(value) || value.length > 0;
  });
}
