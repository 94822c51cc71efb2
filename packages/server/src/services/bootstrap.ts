import type { Project, Storage } from "../storage/index.js";
import { setAccountToken, setPassword } from "./auth.js";
import { hashPassword, hashSecret, randomSecret, verifyPassword } from "./passwords.js";
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
  /** MCPSIGHT_ADMIN_PASSWORD differed from the stored password: it was reset and every login ended. */
  passwordReset: boolean;
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
 * password/token set in the environment, which is how a lost admin password is reset: a password
 * that differs from the stored one replaces it and ends every login of the admin (the same
 * password on every start changes nothing).
 */
export async function bootstrap(storage: Storage, env: BootstrapOptions): Promise<BootstrapResult> {
  if ((await storage.getSetting(INITIALIZED)) === null) {
    const password = env.adminPassword || randomSecret("", 12);
    const token = env.adminToken || randomSecret("msk_");
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
        passwordReset: false,
      };
  }
  const admin = await storage.getAccountByUsername(ADMIN_USERNAME);
  const password = env.adminPassword || null;
  const passwordReset =
    admin !== null && password !== null && !(await verifyPassword(password, admin.passwordHash));
  if (admin && password && passwordReset) await setPassword(storage, admin.id, password);
  if (admin && env.adminToken) await setAccountToken(storage, admin.id, env.adminToken);
  return { firstStart: false, project: null, password: null, token: null, passwordReset };
}
