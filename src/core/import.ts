import path from 'node:path';
import type { ControlledTransaction, Transaction } from 'kysely';
import { enlargeCacheForImport } from '../db/bulk-insert';
import { slices } from '../db/chunks';
import { isForeignKeyViolation, isUniqueViolation, writeImportChunk } from '../db/import-repository';
import type { Database } from '../db/schema';
import { checkEncodingName, fileSource, spooledSource } from '../formats/decode';
import type { CredentialLine, CredentialsFile, RejectReport } from '../formats/import-files';
import { scanUserFile, type FileFormat, type ReadOptions, type UserFile, type UserRecord } from '../formats/user-file';
import { nowIso, type ServiceContext } from './context';
import { loginBlocker } from './user-model';
import type { ColumnLayout } from './import-columns';
import { decideChunk, lookUpChunk, type ChunkDecision, type DecideOptions } from './import-chunk';
import { settleCredentials } from './import-credentials';
import { RowFailure, RowPlanner, type OnExisting, type PlannedRow } from './import-plan';
import { PasswordPool } from './password-pool';
import type { MailRecipient } from './notify';

export { ON_EXISTING, parseActive, parseRoleColumns, type OnExisting } from './import-plan';

export interface ImportRequest {
  file: UserFile;
  layout: ColumnLayout;
  /** What to do with a row naming a user that exists (by username, then email). */
  onExisting: OnExisting;
  /** With update: the file's passwords replace the stored ones (else users keep their own). */
  updatePasswords?: boolean;
  /** With update: the file's roles replace the stored ones (else they are added). */
  replaceRoles?: boolean;
  /** Nothing is written unless every row is valid. */
  atomic?: boolean;
  /** Check and count everything, write nothing. */
  dryRun?: boolean;
  /** Receives username;password for every generated password, before the users are committed. */
  credentials?: CredentialsFile;
  /**
   * Receives the new accounts that can log in (active, not deleted), with
   * the password roster generated for them, once their chunk is committed:
   * for the welcome mails of --notify.
   */
  onCommitted?: (accounts: MailRecipient[]) => void;
  /** Receives the rejected rows as CSV with a reason column. */
  report?: RejectReport;
  /** Stops the import at the next row; what was committed stays. */
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
  /** Rows per transaction (default 2,000). */
  chunkRows?: number;
  pool?: { size?: number; cost?: number };
}

export interface RowMessage {
  row: number;
  field: string;
  message: string;
}

export interface ImportSummary {
  file: string;
  format: FileFormat;
  created: number;
  updated: number;
  skipped: number;
  failed: number;
  errors: RowMessage[];
  warnings: RowMessage[];
  /** The rows skipped because their user exists (--on-existing skip), or needs no change (update). */
  skippedRows: { row: number; username: string }[];
  weakPasswords: number;
  /** Passwords generated for users that were committed (a dry run: that would be). */
  generatedPasswords: number;
  /** Passwords an interrupted earlier run staged for users it never committed: dropped. */
  staleCredentials: number;
  /** Passwords an interrupted earlier run staged for users it did commit: appended to the credentials file now. */
  recoveredCredentials: number;
  dryRun: boolean;
  atomic: boolean;
  /** Stopped by a signal: the rows before were committed in whole chunks. */
  interrupted: boolean;
  /** Every failure is a clash with an existing user (exit 4 under --atomic). */
  conflictsOnly: boolean;
}

const CHUNK_ROWS = 2000;
/** Rows of the file looked up in the database together (one statement per key column). */
const LOOKUP_ROWS = 2000;
/** Password hashes per chunk and worker: a chunk of slow rows commits every second or so. */
const HASHES_PER_WORKER = 8;
const MAX_WARNINGS = 100;

interface Chunk {
  rows: PlannedRow[];
  hashing: Promise<void>;
}

/** A chunk's fast, set-based write failed in the database (a duplicate, a removed course): it is written again, row by row. */
function isRedoable(error: unknown): boolean {
  return isUniqueViolation(error) || isForeignKeyViolation(error);
}

/**
 * Imports the users of a file that scanUserFile() found well-formed. Rows
 * are checked as `add` checks them; valid ones are written in transactions
 * of a few thousand rows (a killed import leaves whole chunks only and can
 * be run again), invalid ones are reported and skipped. Passwords are
 * hashed on every core while the database is written.
 */
export async function importUsers(ctx: ServiceContext, request: ImportRequest): Promise<ImportSummary> {
  return new ImportRun(ctx, request).run();
}

/**
 * One import: read → plan (RowPlanner, against the database state of each
 * group of rows) → hash (workers) → decide and write each chunk in its
 * transaction (decideChunk, writeImportChunk).
 */
class ImportRun {
  private readonly summary: ImportSummary;
  private readonly dryRun: boolean;
  private readonly atomic: boolean;
  private readonly planner: RowPlanner;
  private readonly pool: PasswordPool | undefined;
  private readonly credentials: CredentialsFile | undefined;
  /** The new accounts of the open transaction, for onCommitted once it commits. */
  private uncommitted: MailRecipient[] = [];
  private readonly chunkRows: number;
  private readonly hashesPerChunk: number;
  private readonly aborted: Promise<void>;
  private readonly pending: Chunk[] = [];
  /** --atomic: every row is planned before anything is hashed or written. */
  private readonly heldRows: PlannedRow[] = [];
  /** Rows planned, not yet handed to hashing and writing. */
  private current: PlannedRow[] = [];
  private currentHashes = 0;
  private read = 0;
  private lastProgress = 0;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly request: ImportRequest,
  ) {
    this.dryRun = Boolean(request.dryRun);
    this.atomic = Boolean(request.atomic);
    this.summary = {
      file: request.file.name,
      format: request.file.format,
      created: 0,
      updated: 0,
      skipped: 0,
      failed: 0,
      errors: [],
      warnings: [],
      skippedRows: [],
      weakPasswords: 0,
      generatedPasswords: 0,
      staleCredentials: 0,
      recoveredCredentials: 0,
      dryRun: this.dryRun,
      atomic: this.atomic,
      interrupted: false,
      conflictsOnly: true,
    };
    const options = {
      onExisting: request.onExisting,
      updatePasswords: Boolean(request.updatePasswords),
      replaceRoles: Boolean(request.replaceRoles),
      dryRun: this.dryRun,
    };
    this.planner = new RowPlanner(request.layout, options, (row, field, message) => this.warn(row, field, message));
    this.credentials = this.dryRun ? undefined : request.credentials;
    this.pool = this.dryRun ? undefined : new PasswordPool(request.pool);
    this.chunkRows = request.chunkRows ?? CHUNK_ROWS;
    this.hashesPerChunk = HASHES_PER_WORKER * (this.pool?.size ?? 1);
    this.aborted = new Promise<void>((resolve) => {
      if (request.signal?.aborted) resolve();
      request.signal?.addEventListener('abort', () => resolve(), { once: true });
    });
  }

  private get stopped(): boolean {
    return Boolean(this.request.signal?.aborted);
  }

  /** Writing stops at the first failure under --atomic: the transaction will be rolled back. */
  private get writing(): boolean {
    return !this.dryRun && !(this.atomic && this.summary.failed > 0);
  }

  async run(): Promise<ImportSummary> {
    const restoreCache = enlargeCacheForImport(this.ctx.db);
    try {
      if (this.credentials) {
        const settled = await settleCredentials(this.ctx.db.kysely, this.credentials);
        this.summary.staleCredentials = settled.dropped;
        this.summary.recoveredCredentials = settled.recovered;
      }
      await this.readFile();
      if (!this.stopped) {
        await this.dispatch();
        while (this.pending.length && !this.stopped) await this.writeOldest();
      }
      if (this.atomic && !this.dryRun && !this.stopped && this.summary.failed === 0) await this.writeAtomically();
      if (this.stopped) {
        this.summary.interrupted = true;
        if (this.atomic) this.summary.created = this.summary.updated = 0;
      }
      if (this.summary.failed === 0) this.summary.conflictsOnly = false;
      this.progress(true);
      this.request.report?.finish();
      return this.summary;
    } catch (error) {
      this.request.report?.abandon();
      throw error;
    } finally {
      this.pending.length = 0;
      await this.pool?.destroy();
      restoreCache();
      this.credentials?.close();
    }
  }

  // ---- Reading and planning ----

  private async readFile(): Promise<void> {
    let group: UserRecord[] = [];
    for await (const record of this.request.file.records()) {
      if (this.stopped) return;
      group.push(record);
      if (group.length >= LOOKUP_ROWS) {
        await this.planGroup(group);
        group = [];
      }
    }
    await this.planGroup(group);
  }

  /** Plans a group of rows against the database state of their keys, read at once. */
  private async planGroup(records: readonly UserRecord[]): Promise<void> {
    if (!records.length) return;
    const state = await lookUpChunk(this.ctx.db.kysely, this.planner.keysOf(records));
    for (const record of records) {
      if (this.stopped) return;
      this.read++;
      const plan = this.planner.plan(record, state);
      if (plan.outcome === 'failed') this.fail(record.row, record.values, plan.failure);
      else if (plan.outcome === 'skipped') this.skip(record.row, plan.username);
      else await this.add(plan.planned);
      this.progress();
    }
  }

  private async add(planned: PlannedRow): Promise<void> {
    if (planned.weak) this.summary.weakPasswords++;
    if (this.dryRun && planned.generated) this.summary.generatedPasswords++;
    this.current.push(planned);
    if (planned.plaintext !== undefined) this.currentHashes++;
    if (this.current.length >= this.chunkRows || this.currentHashes >= this.hashesPerChunk) await this.dispatch();
  }

  // ---- Hashing and writing ----

  private async dispatch(): Promise<void> {
    const rows = this.current;
    this.current = [];
    this.currentHashes = 0;
    if (!rows.length) return;
    if (!this.writing) {
      // Dry run, or an atomic import already doomed: count what would happen.
      if (this.dryRun) await this.countDry(rows);
      return;
    }
    if (this.atomic) {
      // Hashed and written once the whole file is known to be valid (writeAtomically).
      this.heldRows.push(...rows);
      return;
    }
    const toHash = rows.filter((r) => r.plaintext !== undefined);
    const hashing = toHash.length
      ? this.pool!.hash(toHash.map((r) => r.plaintext!)).then((hashes) => {
          toHash.forEach((r, i) => (r.passwordHash = hashes[i]));
        })
      : Promise.resolve();
    hashing.catch(() => undefined);
    this.pending.push({ rows, hashing });
    // Two chunks hash while the oldest is written; a chunk with nothing to hash is written at once.
    while (this.pending.length > (toHash.length ? 2 : 0)) await this.writeOldest();
  }

  private async writeOldest(): Promise<void> {
    const chunk = this.pending.shift();
    if (!chunk) return;
    await Promise.race([chunk.hashing, this.aborted]);
    if (this.stopped || !this.writing) return;
    const trx = await this.ctx.db.kysely.startTransaction().execute();
    try {
      const credentials = await this.writeChunk(trx, chunk.rows);
      // The passwords reach the disk before the users exist: no account without its password.
      this.credentials?.stage(credentials);
      await trx.commit().execute();
      this.summary.generatedPasswords += credentials.length;
    } catch (error) {
      this.credentials?.discard();
      this.uncommitted = [];
      await trx.rollback().execute();
      throw error;
    }
    this.credentials?.publish();
    this.announceCommitted();
    this.progress(true);
  }

  /**
   * --atomic, once every row is known to be valid: the passwords are hashed
   * first, without the write lock (a cron job is not kept waiting for
   * minutes), then everything is written in one transaction.
   */
  private async writeAtomically(): Promise<void> {
    const toHash = this.heldRows.filter((r) => r.plaintext !== undefined);
    if (toHash.length) {
      const hashing = this.pool!.hash(toHash.map((r) => r.plaintext!));
      hashing.catch(() => undefined);
      const hashes = await Promise.race([hashing, this.aborted.then(() => undefined)]);
      if (!hashes) return;
      toHash.forEach((r, i) => (r.passwordHash = hashes[i]));
    }
    const generated: CredentialLine[] = [];
    const trx = await this.ctx.db.kysely.startTransaction().execute();
    try {
      for (const rows of slices(this.heldRows, this.chunkRows)) {
        generated.push(...(await this.writeChunk(trx, rows)));
        this.progress(true);
      }
      if (this.summary.failed > 0) {
        this.uncommitted = [];
        await trx.rollback().execute();
        this.summary.created = this.summary.updated = 0;
        return;
      }
      this.credentials?.stage(generated);
      await trx.commit().execute();
      this.summary.generatedPasswords = generated.length;
    } catch (error) {
      this.credentials?.discard();
      this.uncommitted = [];
      await trx.rollback().execute();
      throw error;
    }
    this.credentials?.publish();
    this.announceCommitted();
  }

  private announceCommitted(): void {
    const accounts = this.uncommitted;
    this.uncommitted = [];
    if (accounts.length) this.request.onCommitted?.(accounts);
  }

  /**
   * Writes a chunk in the open transaction: decided and written at once;
   * if the database refuses the set (a username another process took
   * meanwhile), the chunk is rolled back to its savepoint and written again
   * one row at a time, each under its own savepoint, so that only the
   * refused rows fail. Returns the generated passwords of the new users.
   */
  private async writeChunk(trx: ControlledTransaction<Database>, rows: readonly PlannedRow[]): Promise<CredentialLine[]> {
    const together = await this.writeUnderSavepoint(trx, 'chunk', rows);
    if (together.written) return together.credentials;
    const credentials: CredentialLine[] = [];
    for (const planned of rows) credentials.push(...(await this.writeRowAlone(trx, planned)));
    return credentials;
  }

  private async writeRowAlone(trx: ControlledTransaction<Database>, planned: PlannedRow): Promise<CredentialLine[]> {
    const alone = await this.writeUnderSavepoint(trx, 'row', [planned]);
    if (alone.written) return alone.credentials;
    const unique = isUniqueViolation(alone.refusal);
    const message = unique
      ? 'the username or email was taken by another account while the file was imported; run the import again'
      : 'a course or session was removed while the file was imported; run the import again';
    this.fail(planned.row, planned.values, new RowFailure([{ field: this.planner.label(unique ? 'username' : 'courses'), message }], unique));
    return [];
  }

  /**
   * Writes rows under a savepoint. A refusal the rows can be written again
   * after (a unique or foreign-key violation) rolls back to the savepoint and
   * is returned; any other error is thrown.
   */
  private async writeUnderSavepoint(
    trx: ControlledTransaction<Database>,
    name: 'chunk' | 'row',
    rows: readonly PlannedRow[],
  ): Promise<{ written: true; credentials: CredentialLine[] } | { written: false; refusal: unknown }> {
    const point = await trx.savepoint(name).execute();
    try {
      const credentials = await this.writeRows(point, rows);
      await point.releaseSavepoint(name).execute();
      return { written: true, credentials };
    } catch (error) {
      if (!isRedoable(error)) throw error;
      await point.rollbackToSavepoint(name).execute();
      await point.releaseSavepoint(name).execute();
      return { written: false, refusal: error };
    }
  }

  /** Decides and writes rows; counts what happened once the writes are done. */
  private async writeRows(trx: Transaction<Database>, rows: readonly PlannedRow[]): Promise<CredentialLine[]> {
    const decision = await decideChunk(trx, rows, this.decideOptions());
    const ids = await writeImportChunk(this.ctx.db, trx, decision.writes, { at: nowIso(this.ctx), actor: this.ctx.actor });
    if (this.request.onCommitted) this.uncommitted.push(...accountsThatCanLogIn(decision.created, ids, this.ctx.now()));
    this.count(decision);
    for (const planned of rows) planned.plaintext = undefined;
    return decision.credentials;
  }

  /** A dry run: decided against the database as it is, nothing written. */
  private async countDry(rows: readonly PlannedRow[]): Promise<void> {
    this.count(await decideChunk(this.ctx.db.kysely, rows, this.decideOptions()));
  }

  private decideOptions(): DecideOptions {
    return {
      replaceRoles: Boolean(this.request.replaceRoles),
      now: nowIso(this.ctx),
      actor: this.ctx.actor,
      source: path.basename(this.request.file.name),
      label: (key) => this.planner.label(key),
    };
  }

  private count(decision: ChunkDecision): void {
    this.summary.created += decision.created.length;
    this.summary.updated += decision.updated;
    for (const skipped of decision.skippedRows) this.skip(skipped.row, skipped.username);
    for (const { planned, failure } of decision.failures) this.fail(planned.row, planned.values, failure);
    for (const r of decision.renamed) {
      // Found by its email, the account takes the file's username: say so, it surprises.
      this.warn(r.planned.row, this.planner.label('username'), `user ${r.from} (found by its email ${r.email}) gets the username ${r.to} of the file`);
    }
  }

  // ---- The summary ----

  private fail(row: number, values: string[], failure: RowFailure): void {
    if (!failure.conflict) this.summary.conflictsOnly = false;
    this.summary.failed++;
    for (const p of failure.problems) this.summary.errors.push({ row, field: p.field, message: p.message });
    this.request.report?.add(values, failure.problems.map((p) => (p.field ? `${p.field}: ${p.message}` : p.message)).join('; '));
  }

  private skip(row: number, username: string): void {
    this.summary.skipped++;
    this.summary.skippedRows.push({ row, username });
  }

  private warn(row: number, field: string, message: string): void {
    if (this.summary.warnings.length < MAX_WARNINGS) this.summary.warnings.push({ row, field, message });
  }

  private progress(force = false): void {
    if (!this.request.onProgress) return;
    if (force || this.read - this.lastProgress >= 500) {
      this.lastProgress = this.read;
      this.request.onProgress(this.read, this.request.file.rows);
    }
  }
}

/**
 * Opens a file (or standard input, held in memory) and reads it through
 * once: a malformed, truncated, binary or wrongly encoded file is refused
 * here, before anything is written.
 */
export async function openImportFile(input: string | NodeJS.ReadableStream, options: ReadOptions = {}): Promise<UserFile> {
  if (options.encoding) await checkEncodingName(options.encoding);
  const source = typeof input === 'string' ? fileSource(input) : await spooledSource(input);
  return scanUserFile(source, options);
}

/** The new accounts that can log in, with the password roster generated for each (decision.created and ids are in the same order). */
function accountsThatCanLogIn(created: readonly PlannedRow[], ids: readonly number[], now: Date): MailRecipient[] {
  return created.flatMap((planned, i) => {
    const row = planned.prepared.row;
    const state = { active: Boolean(row.active), deletedAt: planned.deleted ? 'deleted' : null, anonymizedAt: planned.anonymizedAt ?? null, system: false };
    if (loginBlocker({ ...state, expiresAt: row.expires_at ?? null }, now)) return [];
    const account: MailRecipient = {
      userId: ids[i]!,
      username: row.username,
      email: row.email,
      firstname: row.firstname,
      lastname: row.lastname,
      language: row.language,
      officialCode: row.official_code,
      password: planned.generated ? planned.plaintext : undefined,
    };
    return [account];
  });
}
