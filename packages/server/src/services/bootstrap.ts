import type { Project, Storage } from "../storage/index.js";
import { createAccount, setAccountToken, setPassword } from "./auth.js";
import { verifyPassword } from "./passwords.js";
import { createProject } from "./projects.js";

export const ADMIN_USERNAME = "admin";

/** Set once the default project and admin exist. */
const INITIALIZED = "initialized";
/** Claimed by the one process that performs the first start. */
const FIRST_START = "first_start_claimed";

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
  /** How long a collector that lost the first-start claim waits for the winner (default 60 s). */
  waitMs?: number | undefined;
}

/**
 * On first start: creates the default project and the admin account (password and token from
 * the environment, or generated). Several collectors may start together on one empty database:
 * exactly one claims the first start (an atomic insert-if-absent) and creates them; the others
 * wait until it has, then continue as a later start. Later starts only apply a password/token
 * set in the environment, which is how a lost admin password is reset: a password that differs
 * from the stored one replaces it and ends every login of the admin (the same password on every
 * start changes nothing).
 */
export async function bootstrap(storage: Storage, env: BootstrapOptions): Promise<BootstrapResult> {
  if ((await storage.getSetting(INITIALIZED)) === null) {
    if (await storage.claimSetting(FIRST_START, new Date().toISOString())) return firstStart(storage, env);
    await waitForFirstStart(storage, env.waitMs ?? 60_000);
  }
  const admin = await storage.getAccountByUsername(ADMIN_USERNAME);
  const password = env.adminPassword || null;
  const passwordReset =
    admin !== null && password !== null && !(await verifyPassword(password, admin.passwordHash));
  if (admin && password && passwordReset) await setPassword(storage, admin.id, password);
  if (admin && env.adminToken) await setAccountToken(storage, admin.id, env.adminToken);
  return { firstStart: false, project: null, password: null, token: null, passwordReset };
}

async function firstStart(storage: Storage, env: BootstrapOptions): Promise<BootstrapResult> {
  const project = await createProject(storage, "Default project");
  const created = await createAccount(storage, {
    username: ADMIN_USERNAME,
    role: "admin",
    password: env.adminPassword || undefined,
  });
  const token = await setAccountToken(storage, created.account.id, env.adminToken || undefined);
  await storage.setSetting(INITIALIZED, new Date().toISOString());
  return {
    firstStart: true,
    project,
    password: env.adminPassword ? null : created.password,
    token: env.adminToken ? null : token,
    passwordReset: false,
  };
}

/** Another collector claimed the first start: wait until it has created the project and admin. */
async function waitForFirstStart(storage: Storage, waitMs: number): Promise<void> {
  const deadline = Date.now() + waitMs;
  while ((await storage.getSetting(INITIALIZED)) === null) {
    if (Date.now() >= deadline) {
      const claimed = await storage.getSetting(FIRST_START);
      throw new Error(
        `another collector began first-start setup at ${claimed} and has not finished it. ` +
          `If no other collector is starting, it stopped part-way: delete the "${FIRST_START}" row ` +
          "from the settings table (and any half-created admin account) and start again.",
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
