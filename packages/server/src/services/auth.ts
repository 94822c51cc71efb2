import { AppError, WrongPasswordError } from "../errors.js";
import type { Account, ProjectToken, Role, Storage } from "../storage/index.js";
import { hashPassword, hashSecret, randomSecret, verifyPassword } from "./passwords.js";

export const SESSION_TTL_MS = 30 * 24 * 3_600_000;
/** New passwords (set through the API or the CLI) are at least this long. */
export const MIN_PASSWORD_LENGTH = 8;

/**
 * Who is calling: an account (by login cookie — `session` is that login's id hash — or by the
 * account's own bearer token), or a project's read token, which reads that one project only.
 */
export type Principal =
  | { kind: "account"; account: Account; session: string | null }
  | { kind: "token"; token: ProjectToken };

const unauthorized = () =>
  new AppError("unauthorized", "Sign in first: log in, or send Authorization: Bearer <token>.");

/** Checks a username and password and opens a login session; returns its secret id. */
export async function login(
  storage: Storage,
  username: string,
  password: string,
): Promise<{ account: Account; sessionId: string }> {
  const account = await storage.getAccountByUsername(username);
  // Verify against a dummy hash for unknown users so timing does not reveal which names exist.
  const ok = await verifyPassword(password, account?.passwordHash ?? DUMMY_HASH);
  if (!account || !ok) throw new WrongPasswordError("unauthorized", "Wrong username or password.");
  const sessionId = randomSecret("", 32);
  await storage.createAuthSession({
    idHash: hashSecret(sessionId),
    accountId: account.id,
    expiresAt: Date.now() + SESSION_TTL_MS,
  });
  return { account: { id: account.id, username: account.username, role: account.role }, sessionId };
}

const DUMMY_HASH = await hashPassword(randomSecret());

export async function logout(storage: Storage, sessionId: string | undefined): Promise<void> {
  if (sessionId) await storage.deleteAuthSession(hashSecret(sessionId));
}

/** The caller behind a bearer token (a project's, then an account's) or a login cookie, or null. */
export async function authenticate(
  storage: Storage,
  credentials: { sessionId?: string | undefined; bearer?: string | undefined },
): Promise<Principal | null> {
  if (credentials.bearer) {
    const hash = hashSecret(credentials.bearer);
    const token = await storage.getProjectTokenByHash(hash);
    if (token) return { kind: "token", token };
    const account = await storage.getAccountByTokenHash(hash);
    return account ? { kind: "account", account, session: null } : null;
  }
  if (credentials.sessionId) {
    const session = hashSecret(credentials.sessionId);
    const account = await storage.getAccountByAuthSession(session, Date.now());
    return account ? { kind: "account", account, session } : null;
  }
  return null;
}

export function requirePrincipal(principal: Principal | null): Principal {
  if (!principal) throw unauthorized();
  return principal;
}

/** The signed-in account; a project token is refused (it reads, and acts for no one). */
export function requireAccount(principal: Principal | null): Extract<Principal, { kind: "account" }> {
  const caller = requirePrincipal(principal);
  if (caller.kind !== "account")
    throw new AppError("forbidden", "A project token can only read its project; sign in as an account.");
  return caller;
}

/** Rejects a new password that is too short, naming the field. */
export function checkNewPassword(password: string, field = "newPassword"): void {
  if ([...password].length < MIN_PASSWORD_LENGTH)
    throw new AppError(
      "invalid_body",
      `The new password must have at least ${MIN_PASSWORD_LENGTH} characters.`,
      [{ field, reason: `must have at least ${MIN_PASSWORD_LENGTH} characters` }],
    );
}

/**
 * Sets an account's password and ends its login sessions except `keepSession` (the caller's own,
 * when it changes its password from the dashboard).
 */
export async function setPassword(
  storage: Storage,
  accountId: string,
  password: string,
  keepSession: string | null = null,
): Promise<void> {
  await storage.setAccountPassword(accountId, await hashPassword(password), keepSession);
}

/**
 * A signed-in account changes its own password: the current one must be right. Every other
 * login of the account ends; this one stays. API tokens are not affected.
 */
export async function changePassword(
  storage: Storage,
  caller: Extract<Principal, { kind: "account" }>,
  currentPassword: string,
  newPassword: string,
): Promise<void> {
  checkNewPassword(newPassword);
  const stored = await storage.getAccountByUsername(caller.account.username);
  if (!stored || !(await verifyPassword(currentPassword, stored.passwordHash)))
    throw new WrongPasswordError("invalid_body", "The current password is wrong.", [
      { field: "currentPassword", reason: "is wrong" },
    ]);
  await setPassword(storage, stored.id, newPassword, caller.session);
}

/** Creates an account with a password (generated unless given); returns the password to show once. */
export async function createAccount(
  storage: Storage,
  input: { username: string; password?: string | undefined; role: Role },
): Promise<{ account: Account; password: string }> {
  const password = input.password ?? randomSecret("", 12);
  const account = await storage.createAccount({
    username: input.username,
    passwordHash: await hashPassword(password),
    role: input.role,
  });
  return { account, password };
}

/** Gives an account the API token `token` (generated unless given), replacing its previous one. */
export async function setAccountToken(storage: Storage, accountId: string, token?: string): Promise<string> {
  const secret = token ?? randomSecret("msk_");
  await storage.createApiToken({ accountId, tokenHash: hashSecret(secret), name: "default", replace: true });
  return secret;
}
