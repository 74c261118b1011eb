import { findLoginToken, insertLoginToken, recordLogin } from '../db/login-repository';
import { createHash, randomBytes } from 'node:crypto';
import type { Transaction } from 'kysely';
import type { Database, UserRow } from '../db/schema';
import { findUserByRef, rolesOf } from '../db/user-repository';
import { audit } from './audit';
import { nowIso, type ServiceContext } from './context';
import { ConflictError, UsageError, ValidationError } from '../shared/errors';
import { bcryptCost, hashPassword, isLegacyHash, verifyPassword } from './passwords';
import { LIMITS, passwordProblem, textProblem } from './validation';
import { getSetting } from './settings';
import { loginBlocker } from './user-model';
import { requireUser, type Deliver } from './users';

export const DEFAULT_TOKEN_TTL_MS = 15 * 60_000;
const MIN_TOKEN_TTL_MS = 60_000;
const MAX_TOKEN_TTL_MS = 24 * 3_600_000;

/** Only this digest is stored: a copy of the database grants no login. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Why the account may not log in now (deleted, inactive, expired…), or undefined. */
export function accountBlocker(row: UserRow, now: Date): string | undefined {
  return loginBlocker(
    { active: row.active === 1, deletedAt: row.deleted_at, anonymizedAt: row.anonymized_at, system: row.is_system === 1, expiresAt: row.expires_at },
    now,
  );
}

export interface LoginAsOptions {
  reason: string;
  ttlMs?: number;
  /** Check that the account may be impersonated; issue nothing. */
  dryRun?: boolean;
}

export interface IssuedToken {
  user: { id: number; username: string };
  /** Null in a dry run. Printed once, never stored. */
  token: string | null;
  url: string | null;
  expiresAt: string;
  reason: string;
  dryRun: boolean;
}

/**
 * Impersonation: a random one-time token (256 bits) for a live, active,
 * unexpired, non-admin account, valid ttl (15 minutes by default). Only its
 * SHA-256 is stored. The audit log records who asked, for whom and why.
 */
export async function issueLoginToken(ctx: ServiceContext, ref: string, options: LoginAsOptions, deliver?: Deliver<IssuedToken>): Promise<IssuedToken> {
  const reason = options.reason.trim();
  if (!reason) throw new UsageError('--reason is required: say why you log in as this user (it is audited)');
  const problem = textProblem(reason, LIMITS.reason);
  if (problem) throw new ValidationError([{ field: 'reason', message: problem }]);
  const ttl = options.ttlMs ?? DEFAULT_TOKEN_TTL_MS;
  if (ttl < MIN_TOKEN_TTL_MS || ttl > MAX_TOKEN_TTL_MS)
    throw new ValidationError([{ field: 'ttl', message: 'must be from 1 minute to 24 hours (e.g. 15m, 2h)' }]);
  const now = ctx.now();
  const expiresAt = new Date(now.getTime() + ttl).toISOString();
  const baseUrl = await getSetting(ctx, 'base-url');
  return ctx.db.kysely.transaction().execute(async (trx) => {
    const row = await requireUser(trx, ref);
    const blocker =
      accountBlocker(row, now) ?? ((await rolesOf(trx, row.id)).includes('admin') ? 'is an admin, and one admin may not become another' : undefined);
    if (blocker) throw new ConflictError(`cannot log in as ${row.username}: the account ${blocker}`);
    const user = { id: row.id, username: row.username };
    if (options.dryRun) return { user, token: null, url: null, expiresAt, reason, dryRun: true };
    const token = randomBytes(32).toString('base64url');
    const tokenId = await insertLoginToken(trx, {
      user_id: row.id,
      token_hash: hashToken(token),
      created_at: nowIso(ctx),
      expires_at: expiresAt,
      created_by: ctx.actor,
      reason,
    });
    await audit(trx, ctx, 'user.login-as', row.id, { reason, tokenId, expiresAt });
    const issued = { user, token, url: baseUrl ? loginUrl(baseUrl, row.username, token) : null, expiresAt, reason, dryRun: false };
    // Shown before the commit: a token that cannot be shown is not issued (nor audited).
    if (deliver) await deliver(issued);
    return issued;
  });
}

/** The base URL with {user} and {token} replaced, or with user= and token= appended to its query. */
export function loginUrl(baseUrl: string, username: string, token: string): string {
  const user = encodeURIComponent(username);
  if (/\{(user|token)\}/.test(baseUrl)) return baseUrl.replace(/\{user\}/g, user).replace(/\{token\}/g, token);
  return `${baseUrl}${baseUrl.includes('?') ? '&' : '?'}user=${user}&token=${token}`;
}

export type Secret = { kind: 'password'; password: string } | { kind: 'token'; token: string };

/** Wrong user and wrong secret get the same answer, so that a caller cannot probe usernames. */
function wrongSecret(secret: Secret): ValidationError {
  return new ValidationError(
    secret.kind === 'password'
      ? 'authentication failed: unknown user or wrong password'
      : 'authentication failed: unknown user, or a wrong, used or expired token',
  );
}

/**
 * A well-formed bcrypt hash that no password matches, at the configured
 * cost: checking against it costs what checking a real hash costs.
 */
function decoyHash(): string {
  return `$2b$${String(bcryptCost()).padStart(2, '0')}$abcdefghijklmnopqrstuuYDMfmKe6yX3VXz0YYuJkM9wZoYpGHey`;
}

/** The account a secret names, or undefined when the reference is unknown or ambiguous (one answer for all). */
async function findForSecret(db: Parameters<typeof findUserByRef>[0], ref: string): Promise<UserRow | undefined> {
  try {
    return await findUserByRef(db, ref);
  } catch (error) {
    if (error instanceof UsageError) return undefined;
    throw error;
  }
}

/**
 * Checks a password or a login-as token. The secret is checked first (exit
 * 5, one message for every failure); only then the account state (exit 4),
 * so that the state of an account is told only to who knows its secret. On
 * success the last login date is recorded and a token is consumed.
 */
export async function authenticate(ctx: ServiceContext, ref: string, secret: Secret): Promise<{ id: number; username: string; lastLoginAt: string }> {
  const now = ctx.now();
  let upgradedHash: { from: string; to: string } | undefined;
  if (secret.kind === 'password') {
    const row = await findForSecret(ctx.db.kysely, ref);
    // One bcrypt comparison whatever the case (unknown, ambiguous, no password, too long, wrong):
    // neither the answer nor its timing tells them apart.
    const usable = row?.password_hash && !passwordProblem(secret.password) ? row.password_hash : undefined;
    const legacy = usable !== undefined && isLegacyHash(usable);
    // A legacy digest is checked in microseconds: the decoy keeps the time of a bcrypt check.
    if (legacy) await verifyPassword(secret.password, decoyHash());
    const valid = await verifyPassword(secret.password, usable ?? decoyHash());
    if (!usable || !valid) throw wrongSecret(secret);
    // The first successful check replaces an md5/sha1 digest of an old Chamilo with bcrypt.
    if (legacy) upgradedHash = { from: usable, to: await hashPassword(secret.password) };
  }
  return ctx.db.kysely.transaction().execute(async (trx) => {
    const row = await findForSecret(trx, ref);
    if (!row) throw wrongSecret(secret);
    let tokenId: number | undefined;
    if (secret.kind === 'token') tokenId = await findUsableToken(trx, row.id, secret, nowIso(ctx));
    const blocker = accountBlocker(row, now);
    if (blocker) throw new ConflictError(`${row.username} may not log in: the account ${blocker}`);
    const at = nowIso(ctx);
    const upgrade = upgradedHash && row.password_hash === upgradedHash.from ? upgradedHash : undefined;
    await recordLogin(trx, row.id, at, { tokenId, passwordHash: upgrade?.to });
    if (upgrade) {
      await audit(trx, ctx, 'user.password-upgrade', row.id, {
        from: upgrade.from.split(':')[0],
        to: 'bcrypt',
        changes: [{ field: 'password', before: null, after: null, secret: true }],
      });
    }
    await audit(trx, ctx, 'user.login', row.id, tokenId === undefined ? { method: 'password' } : { method: 'login-as token', tokenId });
    return { id: row.id, username: row.username, lastLoginAt: at };
  });
}

async function findUsableToken(trx: Transaction<Database>, userId: number, secret: Secret & { kind: 'token' }, now: string): Promise<number> {
  const token = await findLoginToken(trx, hashToken(secret.token.trim()));
  if (!token || token.user_id !== userId || token.used_at !== null || token.expires_at <= now) throw wrongSecret(secret);
  return token.id;
}
