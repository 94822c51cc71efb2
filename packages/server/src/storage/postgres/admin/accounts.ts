import type pg from "pg";
import type { Account, AccountWithSecret, Role } from "../../types.js";
import { all, get, run, type Sql, transaction } from "../db.js";

interface AccountRow {
  pk: number;
  username: string;
  role: Role;
  password_hash: string;
}

const toAccount = (row: Pick<AccountRow, "pk" | "username" | "role">): Account => ({
  id: String(row.pk),
  username: row.username,
  role: row.role,
});

/** Account ids are the public string form of the key; anything else matches no account. */
export const accountPk = (id: string): number => (/^\d{1,15}$/.test(id) ? Number(id) : -1);

export async function createAccount(
  db: Sql,
  input: { username: string; passwordHash: string; role: Role },
): Promise<Account> {
  const row = await get<{ pk: number }>(
    db,
    "INSERT INTO accounts (username, password_hash, role, created_at) VALUES ($1, $2, $3, $4) RETURNING pk",
    [input.username, input.passwordHash, input.role, Date.now()],
  );
  return { id: String(row?.pk), username: input.username, role: input.role };
}

export async function getAccountByUsername(db: Sql, username: string): Promise<AccountWithSecret | null> {
  const row = await get<AccountRow>(db, "SELECT * FROM accounts WHERE username = $1", [username]);
  return row ? { ...toAccount(row), passwordHash: row.password_hash } : null;
}

export async function listAccounts(db: Sql): Promise<Account[]> {
  const rows = await all<AccountRow>(
    db,
    'SELECT pk, username, role FROM accounts ORDER BY username COLLATE "C"',
  );
  return rows.map(toAccount);
}

export function setAccountPassword(
  pool: pg.Pool,
  accountId: string,
  passwordHash: string,
  keepSession: string | null = null,
): Promise<void> {
  return transaction(pool, (db) => replacePassword(db, accountId, passwordHash, keepSession));
}

/** Sets a password inside the caller's transaction; every login but `keepSession` ends. */
export async function replacePassword(
  db: Sql,
  accountId: string,
  passwordHash: string,
  keepSession: string | null = null,
): Promise<void> {
  await run(db, "UPDATE accounts SET password_hash = $1 WHERE pk = $2", [passwordHash, accountPk(accountId)]);
  await run(db, "DELETE FROM auth_sessions WHERE account_pk = $1 AND id_hash IS DISTINCT FROM $2", [
    accountPk(accountId),
    keepSession,
  ]);
}

type TokenInput = { accountId: string; tokenHash: string; name: string; replace?: boolean };

/** Stores a token inside the caller's transaction (`replace`: the account's others of that name go). */
export async function insertApiToken(db: Sql, input: TokenInput): Promise<void> {
  if (input.replace)
    await run(db, "DELETE FROM api_tokens WHERE account_pk = $1 AND name = $2", [
      accountPk(input.accountId),
      input.name,
    ]);
  await run(
    db,
    `INSERT INTO api_tokens (token_hash, account_pk, name, created_at) VALUES ($1, $2, $3, $4)
     ON CONFLICT (token_hash) DO UPDATE SET account_pk = excluded.account_pk, name = excluded.name,
       created_at = excluded.created_at`,
    [input.tokenHash, accountPk(input.accountId), input.name, Date.now()],
  );
}

export async function createApiToken(pool: pg.Pool, input: TokenInput): Promise<void> {
  await transaction(pool, (db) => insertApiToken(db, input));
}

export async function getAccountByTokenHash(db: Sql, tokenHash: string): Promise<Account | null> {
  const row = await get<AccountRow>(
    db,
    "SELECT a.* FROM api_tokens t JOIN accounts a ON a.pk = t.account_pk WHERE t.token_hash = $1",
    [tokenHash],
  );
  return row ? toAccount(row) : null;
}

export async function createAuthSession(
  db: Sql,
  input: { idHash: string; accountId: string; expiresAt: number },
): Promise<void> {
  await run(db, "DELETE FROM auth_sessions WHERE expires_at < $1", [Date.now()]);
  await run(db, "INSERT INTO auth_sessions VALUES ($1, $2, $3)", [
    input.idHash,
    accountPk(input.accountId),
    input.expiresAt,
  ]);
}

export async function getAccountByAuthSession(db: Sql, idHash: string, now: number): Promise<Account | null> {
  const row = await get<AccountRow>(
    db,
    `SELECT a.* FROM auth_sessions s JOIN accounts a ON a.pk = s.account_pk
     WHERE s.id_hash = $1 AND s.expires_at > $2`,
    [idHash, now],
  );
  return row ? toAccount(row) : null;
}

export async function deleteAuthSession(db: Sql, idHash: string): Promise<void> {
  await run(db, "DELETE FROM auth_sessions WHERE id_hash = $1", [idHash]);
}
