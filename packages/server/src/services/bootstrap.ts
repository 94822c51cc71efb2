import type { Project, Storage } from "../storage/index.js";
import { hashPassword, hashSecret, randomSecret } from "./passwords.js";
import { newProjectId } from "./projects.js";

export const ADMIN_USERNAME = "admin";

/** Set, in the same transaction, when the default project and admin are created. */
const INITIALIZED = "initialized";
/** What earlier versions stored when they began a first start; a crash left it behind. */
const LEGACY_FIRST_START_CLAIM = "first_start_claimed";

export interface BootstrapResult {
  firstStart: boolean;
  project: Project | null;
  /** Generated secrets, present only on first start (never stored in clear). */
  password: string | null;
  token: string | null;
}

export interface BootstrapOptions {
  adminPassword?: string | undefined;
  adminToken?: string | undefined;
}

/**
 * On first start: creates the default project and the admin account (password and token from
 * the environment, or generated) in one transaction, so a collector killed part-way leaves nothing
 * half done and the next start simply does it again. Collectors starting together on one empty
 * database wait for each other: exactly one does the first start. Later starts only apply a
 * password/token set in the environment, which is how a lost admin password is reset.
 */
export async function bootstrap(storage: Storage, env: BootstrapOptions): Promise<BootstrapResult> {
  if ((await storage.getSetting(INITIALIZED)) === null) {
    const password = env.adminPassword ?? randomSecret("", 12);
    const token = env.adminToken ?? randomSecret("msk_");
    const project = await storage.completeFirstStart({
      marker: { key: INITIALIZED, value: new Date().toISOString() },
      legacyClaim: LEGACY_FIRST_START_CLAIM,
      project: { id: newProjectId(), name: "Default project" },
      admin: {
        username: ADMIN_USERNAME,
        passwordHash: await hashPassword(password),
        tokenHash: hashSecret(token),
        tokenName: "default",
      },
    });
    if (project)
      return {
        firstStart: true,
        project,
        password: env.adminPassword ? null : password,
        token: env.adminToken ? null : token,
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
