import { AppError, projectNotFound } from "../errors.js";
import type { Account, Storage } from "../storage/index.js";
import { hashPassword, hashSecret, randomSecret, verifyPassword } from "./passwords.js";

export const SESSION_TTL_MS = 30 * 24 * 3_600_000;

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
  if (!account || !ok) throw new AppError("unauthorized", "Wrong username or password.");
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

/** The account behind a login cookie or a bearer token, or null. */
export async function authenticate(
  storage: Storage,
  credentials: { sessionId?: string | undefined; bearer?: string | undefined },
): Promise<Account | null> {
  if (credentials.bearer) return storage.getAccountByTokenHash(hashSecret(credentials.bearer));
  if (credentials.sessionId)
    return storage.getAccountByAuthSession(hashSecret(credentials.sessionId), Date.now());
  return null;
}

export function requireAccount(account: Account | null): Account {
  if (!account) throw unauthorized();
  return account;
}

/** Ensures the account may read the project; others' projects look like missing ones. */
export async function assertCanRead(
  storage: Storage,
  account: Account | null,
  projectId: string,
): Promise<void> {
  const caller = requireAccount(account);
  const exists = await storage.getProject(projectId);
  if (!exists) throw projectNotFound(projectId);
  if (caller.role === "admin") return;
  const memberships = await storage.listMemberships(caller.id);
  if (!memberships.includes(projectId)) throw projectNotFound(projectId);
}

/** Ids of the projects an account may read (undefined = all). */
export async function readableProjects(storage: Storage, account: Account): Promise<string[] | undefined> {
  return account.role === "admin" ? undefined : storage.listMemberships(account.id);
}

/** Creates an account with a fresh API token; returns the secrets to show once. */
export async function createAccount(
  storage: Storage,
  input: {
    username: string;
    password?: string;
    token?: string;
    role: "admin" | "member";
    projects?: string[];
  },
): Promise<{ account: Account; password: string; token: string }> {
  const password = input.password ?? randomSecret("", 12);
  const token = input.token ?? randomSecret("msk_");
  const account = await storage.createAccount({
    username: input.username,
    passwordHash: await hashPassword(password),
    role: input.role,
  });
  await storage.createApiToken({ accountId: account.id, tokenHash: hashSecret(token), name: "default" });
  for (const projectId of input.projects ?? []) await storage.addMembership(account.id, projectId);
  return { account, password, token };
}
