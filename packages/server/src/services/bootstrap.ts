import type { Project, Storage } from "../storage/index.js";
import { createAccount } from "./auth.js";
import { hashPassword, hashSecret } from "./passwords.js";
import { createProject } from "./projects.js";

export const ADMIN_USERNAME = "admin";

export interface BootstrapResult {
  firstStart: boolean;
  project: Project | null;
  /** Generated secrets, present only on first start (never stored in clear). */
  password: string | null;
  token: string | null;
}

/**
 * On first start: creates the default project and the admin account (password and token from
 * the environment, or generated). Later starts only apply a password/token set in the
 * environment, which is how a lost admin password is reset.
 */
export async function bootstrap(
  storage: Storage,
  env: { adminPassword?: string | undefined; adminToken?: string | undefined },
): Promise<BootstrapResult> {
  if ((await storage.getSetting("initialized")) === null) {
    const project = await createProject(storage, "Default project");
    const created = await createAccount(storage, {
      username: ADMIN_USERNAME,
      role: "admin",
      ...(env.adminPassword ? { password: env.adminPassword } : {}),
      ...(env.adminToken ? { token: env.adminToken } : {}),
    });
    await storage.setSetting("initialized", new Date().toISOString());
    return {
      firstStart: true,
      project,
      password: env.adminPassword ? null : created.password,
      token: env.adminToken ? null : created.token,
    };
  }
  const admin = await storage.getAccountByUsername(ADMIN_USERNAME);
  if (admin && env.adminPassword)
    await storage.setAccountPassword(admin.id, await hashPassword(env.adminPassword));
  if (admin && env.adminToken)
    await storage.createApiToken({
      accountId: admin.id,
      tokenHash: hashSecret(env.adminToken),
      name: "default",
      replace: true,
    });
  return { firstStart: false, project: null, password: null, token: null };
}
