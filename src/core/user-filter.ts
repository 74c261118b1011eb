import type { Role } from './roles';

/**
 * The selection filters shared by list, search, export and every batch
 * command. All set filters combine with AND.
 */
export interface UserFilter {
  roles?: Role[];
  active?: boolean;
  registeredSince?: string;
  registeredBefore?: string;
  lastLoginBefore?: string;
  neverLoggedIn?: boolean;
  /** Last login (or registration, for accounts never used) before this instant. */
  dormantSince?: string;
  expiresBefore?: string;
  /** Expiration date passed at this instant. */
  expiredAt?: string;
  language?: string;
  fields?: { name: string; value: string }[];
  course?: string;
  session?: string;
  noCourse?: boolean;
  /** The "Deleted users" view instead of the live accounts. */
  deleted?: boolean;
  deletedBefore?: string;
  /** Include system accounts (the fallback user). */
  system?: boolean;
  keyword?: string;
  firstname?: string;
  lastname?: string;
  username?: string;
  email?: string;
  officialCode?: string;
  ids?: number[];
}

export const SORT_KEYS = ['lastname', 'firstname', 'username', 'email', 'registered', 'last-login', 'id'] as const;
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
    if (key === 'system' || value === undefined) return false;
    // `active: false` selects the inactive accounts; other flags are off when false.
    if (value === false) return key === 'active';
    return !Array.isArray(value) || value.length > 0;
  });
}
