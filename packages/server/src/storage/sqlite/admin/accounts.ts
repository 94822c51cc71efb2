import type { Account, AccountWithSecret, Role } from "../../types.js";
import { all, type Db, get, run } from "../db.js";

interface AccountRow {
  pk: number;
  username: string;
  role: Role;
  password_hash: string;
}

export const toAccount = (row: Pick<AccountRow, "pk" | "username" | "role">): Account => ({
  id: String(row.pk),
  username: row.username,
  role: row.role,
});

export function createAccount(
  db: Db,
  input: { username: string; passwordHash: string; role: Role },
): Account {
  const result = run(
    db,
    "INSERT INTO accounts (username, password_hash, role, created_at) VALUES (?, ?, ?, ?)",
    input.username,
    input.passwordHash,
    input.role,
    Date.now(),
  );
  return { id: String(result.lastInsertRowid), username: input.username, role: input.role };
}

export function getAccountByUsername(db: Db, username: string): AccountWithSecret | null {
  const row = get<AccountRow>(db, "SELECT * FROM accounts WHERE username = ?", username);
  return row ? { ...toAccount(row), passwordHash: row.password_hash } : null;
}

export function listAccounts(db: Db): Account[] {
  return all<AccountRow>(db, "SELECT pk, username, role FROM accounts ORDER BY username").map(toAccount);
}

export function setAccountPassword(
  db: Db,
  accountId: string,
  passwordHash: string,
  keepSession: string | null = null,
): void {
  db.transaction(() => {
    run(db, "UPDATE accounts SET password_hash = ? WHERE pk = ?", passwordHash, Number(accountId));
    run(
      db,
      "DELETE FROM auth_sessions WHERE account_pk = ? AND id_hash IS NOT ?",
      Number(accountId),
      keepSession,
    );
  })();
}

export function createApiToken(
  db: Db,
  input: { accountId: string; tokenHash: string; name: string; replace?: boolean },
): void {
  db.transaction(() => {
    if (input.replace)
      run(
        db,
        "DELETE FROM api_tokens WHERE account_pk = ? AND name = ?",
        Number(input.accountId),
        input.name,
      );
    run(
      db,
      "INSERT OR REPLACE INTO api_tokens (token_hash, account_pk, name, created_at) VALUES (?, ?, ?, ?)",
      input.tokenHash,
      Number(input.accountId),
      input.name,
      Date.now(),
    );
  })();
}

export function getAccountByTokenHash(db: Db, tokenHash: string): Account | null {
  const row = get<AccountRow>(
    db,
    "SELECT a.* FROM api_tokens t JOIN accounts a ON a.pk = t.account_pk WHERE t.token_hash = ?",
    tokenHash,
  );
  return row ? toAccount(row) : null;
}

export function createAuthSession(
  db: Db,
  input: { idHash: string; accountId: string; expiresAt: number },
): void {
  run(db, "DELETE FROM auth_sessions WHERE expires_at < ?", Date.now());
  run(
    db,
    "INSERT INTO auth_sessions VALUES (?, ?, ?)",
    input.idHash,
    Number(input.accountId),
    input.expiresAt,
  );
}

export function getAccountByAuthSession(db: Db, idHash: string, now: number): Account | null {
  const row = get<AccountRow>(
    db,
    "SELECT a.* FROM auth_sessions s JOIN accounts a ON a.pk = s.account_pk WHERE s.id_hash = ? AND s.expires_at > ?",
    idHash,
    now,
  );
  return row ? toAccount(row) : null;
}

export function deleteAuthSession(db: Db, idHash: string): void {
  run(db, "DELETE FROM auth_sessions WHERE id_hash = ?", idHash);
}
