import type { Migration } from 'kysely';
import * as users from './0001_users';
import * as courses from './0002_courses';
import * as lifecycle from './0003_lifecycle';
import * as listOrder from './0004_list_order';
import * as secureErase from './0005_secure_erase';
import * as foldedSearch from './0006_folded_search';
import * as lookAlikeKeys from './0007_look_alike_keys';
import * as foldedIdentitySearch from './0008_folded_identity_search';
import * as postgresSearch from './0009_postgres_search';
import * as postgresLookAlikeIndex from './0010_postgres_look_alike_index';
import * as mailNotice from './0011_mail_notice';

/**
 * Every migration, by name, in order. Listed statically (not read from the
 * directory) so that the bundled CLI carries them and needs no file scan.
 */
export const migrations: Record<string, Migration> = {
  '0001_users': users,
  '0002_courses': courses,
  '0003_lifecycle': lifecycle,
  '0004_list_order': listOrder,
  '0005_secure_erase': secureErase,
  '0006_folded_search': foldedSearch,
  '0007_look_alike_keys': lookAlikeKeys,
  '0008_folded_identity_search': foldedIdentitySearch,
  '0009_postgres_search': postgresSearch,
  '0010_postgres_look_alike_index': postgresLookAlikeIndex,
  '0011_mail_notice': mailNotice,
};
