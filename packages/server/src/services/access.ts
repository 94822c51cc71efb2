import { AppError, projectNotFound } from "../errors.js";
import type { Project, ProjectMember, ProjectRole, ProjectToken, Storage } from "../storage/index.js";
import { createAccount, type Principal, requirePrincipal } from "./auth.js";
import { hashSecret, randomId, randomSecret } from "./passwords.js";

export const PROJECT_ROLES: readonly ProjectRole[] = ["viewer", "admin"];

/** Usernames: 1–64 letters, digits and `. _ @ + -` (an e-mail address fits). */
const USERNAME = /^[\p{L}\p{N}._@+-]{1,64}$/u;

/**
 * The caller's role in a project, or null when it may not read it: a global admin is an admin
 * of every project, a member has its membership's role, a project token is a viewer of its own.
 */
async function roleIn(storage: Storage, caller: Principal, projectId: string): Promise<ProjectRole | null> {
  if (caller.kind === "token") return caller.token.projectId === projectId ? "viewer" : null;
  if (caller.account.role === "admin") return "admin";
  const memberships = await storage.listMemberships(caller.account.id);
  return memberships.find((m) => m.projectId === projectId)?.role ?? null;
}

/** Ensures the caller may read the project; others' projects look like missing ones. Returns its role. */
export async function assertCanRead(
  storage: Storage,
  principal: Principal | null,
  projectId: string,
): Promise<ProjectRole> {
  const caller = requirePrincipal(principal);
  if (!(await storage.getProject(projectId))) throw projectNotFound(projectId);
  const role = await roleIn(storage, caller, projectId);
  if (!role) throw projectNotFound(projectId);
  return role;
}

/** Ensures the caller is an admin of the project (or a global admin): manages members, tokens, erasure. */
export async function assertCanManage(
  storage: Storage,
  principal: Principal | null,
  projectId: string,
): Promise<void> {
  if ((await assertCanRead(storage, principal, projectId)) !== "admin")
    throw new AppError(
      "forbidden",
      `Only an admin of project "${projectId}" may do this; ask one of its admins (or a global admin) to make you one.`,
    );
}

/** The projects the caller may read, oldest first, each with the caller's role there. */
export async function readableProjects(
  storage: Storage,
  principal: Principal,
): Promise<(Project & { access: ProjectRole })[]> {
  if (principal.kind === "token") {
    const project = await storage.getProject(principal.token.projectId);
    return project ? [{ ...project, access: "viewer" }] : [];
  }
  if (principal.account.role === "admin")
    return (await storage.listProjects()).map((project) => ({ ...project, access: "admin" }));
  const memberships = await storage.listMemberships(principal.account.id);
  const roles = new Map(memberships.map((m) => [m.projectId, m.role]));
  const projects = await storage.listProjects([...roles.keys()]);
  return projects.map((project) => ({ ...project, access: roles.get(project.id) ?? "viewer" }));
}

export function checkUsername(username: string, field = "username"): void {
  if (!USERNAME.test(username))
    throw new AppError(
      "invalid_body",
      `"${username.slice(0, 80)}" is not a valid username: use 1–64 letters, digits and . _ @ + -.`,
      [{ field, reason: "must be 1–64 letters, digits and . _ @ + -" }],
    );
}

/**
 * Adds an account to a project with `role`, or changes its role there. An account that does not
 * exist yet is created (role `member`) with a generated password, returned once to hand over.
 */
export async function putMember(
  storage: Storage,
  projectId: string,
  username: string,
  role: ProjectRole,
): Promise<{ member: ProjectMember; password: string | null }> {
  checkUsername(username);
  let account = await storage.getAccountByUsername(username);
  let password: string | null = null;
  if (!account) {
    try {
      const created = await createAccount(storage, { username, role: "member" });
      account = { ...created.account, passwordHash: "" };
      password = created.password;
    } catch (error) {
      // Created by a concurrent request in between: add that account instead.
      account = await storage.getAccountByUsername(username);
      if (!account) throw error;
    }
  }
  await storage.setMembership(account.id, projectId, role);
  return { member: { username, role, accountRole: account.role }, password };
}

export async function removeMember(storage: Storage, projectId: string, username: string): Promise<void> {
  const account = await storage.getAccountByUsername(username);
  if (!account || !(await storage.removeMembership(account.id, projectId)))
    throw new AppError("member_not_found", `"${username}" is not a member of project "${projectId}".`);
}

/** Creates a read token for one project; returns its secret, shown only this once. */
export async function createProjectToken(
  storage: Storage,
  projectId: string,
  name: string,
  createdBy: string | null,
): Promise<{ token: ProjectToken; secret: string }> {
  const secret = randomSecret("mpt_", 32);
  const token = await storage.createProjectToken({
    id: randomId("tok_"),
    projectId,
    tokenHash: hashSecret(secret),
    name,
    createdBy,
  });
  return { token, secret };
}

export async function revokeProjectToken(
  storage: Storage,
  projectId: string,
  tokenId: string,
): Promise<void> {
  if (!(await storage.deleteProjectToken(projectId, tokenId)))
    throw new AppError("token_not_found", `No token "${tokenId}" in project "${projectId}".`);
}
