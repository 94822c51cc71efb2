import type pg from "pg";
import { killPoint } from "../../shared/kill-point.js";
import type { FirstStartSetup, Project } from "../../types.js";
import { run, transaction } from "../db.js";
import { createAccount, getAccountByUsername, insertApiToken, replacePassword } from "./accounts.js";
import { createProject, getSetting, listProjects } from "./projects.js";

/**
 * Storage.completeFirstStart: one transaction. A second collector's insert of the marker waits on
 * the first one's uncommitted row, then finds it (null) or, if the first was killed, proceeds.
 */
export function completeFirstStart(pool: pg.Pool, setup: FirstStartSetup): Promise<Project | null> {
  return transaction(pool, async (db) => {
    const { key, value } = setup.marker;
    if (
      (await run(db, "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING", [
        key,
        value,
      ])) === 0
    )
      return null;
    killPoint("first-start");
    const leftBehind =
      (await getSetting(db, setup.legacyClaim)) !== null ? (await listProjects(db))[0] : undefined;
    await run(db, "DELETE FROM settings WHERE key = $1", [setup.legacyClaim]);
    const project = leftBehind ?? (await createProject(db, setup.project));
    const { username, passwordHash, tokenHash, tokenName } = setup.admin;
    const existing = await getAccountByUsername(db, username);
    if (existing) await replacePassword(db, existing.id, passwordHash);
    const account = existing ?? (await createAccount(db, { username, passwordHash, role: "admin" }));
    await insertApiToken(db, { accountId: account.id, tokenHash, name: tokenName, replace: true });
    return project;
  });
}
