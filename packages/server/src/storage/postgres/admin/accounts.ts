import type pg from "pg";
import type { Account, AccountWithSecret, Role } from "../../types.js";
import { all, get, projectPk, run, type Sql, transaction } from "../db.js";

interface AccountRow {
  pk: number;
  username: string;
  role: Role;
  password_hash: string;
}

const toAccount = (row: AccountRow): Account => ({
  id: String(row.pk),
  username: row.username,
  role: row.role,
});

/** Account ids are the public string form of the key; anything else matches no account. */
const accountPk = (id: string): number => (/^\d{1,15}$/.test(id) ? Number(id) : -1);

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

export async function setAccountPassword(db: Sql, accountId: string, passwordHash: string): Promise<void> {
  await run(db, "UPDATE accounts SET password_hash = $1 WHERE pk = $2", [passwordHash, accountPk(accountId)]);
}

export async function addMembership(db: Sql, accountId: string, projectId: string): Promise<void> {
  const project = await projectPk(db, projectId);
  if (project === undefined) throw new Error(`unknown project ${projectId}`);
  await run(db, "INSERT INTO memberships VALUES ($1, $2) ON CONFLICT DO NOTHING", [
    accountPk(accountId),
    project,
  ]);
}

export async function listMemberships(db: Sql, accountId: string): Promise<string[]> {
  const rows = await all<{ id: string }>(
    db,
    "SELECT p.id FROM memberships m JOIN projects p ON p.pk = m.project_pk WHERE m.account_pk = $1",
    [accountPk(accountId)],
  );
  return rows.map((row) => row.id);
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
