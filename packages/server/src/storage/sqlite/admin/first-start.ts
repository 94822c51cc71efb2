import { killPoint } from "../../shared/kill-point.js";
import type { FirstStartSetup, Project } from "../../types.js";
import { type Db, run } from "../db.js";
import { createAccount, createApiToken, getAccountByUsername, setAccountPassword } from "./accounts.js";
import { createProject, getSetting, listProjects } from "./projects.js";

/** Storage.completeFirstStart: one IMMEDIATE transaction, so a second process waits for the first. */
export function completeFirstStart(db: Db, setup: FirstStartSetup): Project | null {
  return db
    .transaction((): Project | null => {
      const { key, value } = setup.marker;
      if (
        run(db, "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT DO NOTHING", key, value)
          .changes === 0
      )
        return null;
      killPoint("first-start");
      const leftBehind = getSetting(db, setup.legacyClaim) !== null ? listProjects(db)[0] : undefined;
      run(db, "DELETE FROM settings WHERE key = ?", setup.legacyClaim);
      const project = leftBehind ?? createProject(db, setup.project);
      const { username, passwordHash, tokenHash, tokenName } = setup.admin;
      const existing = getAccountByUsername(db, username);
      if (existing) setAccountPassword(db, existing.id, passwordHash);
      const account = existing ?? createAccount(db, { username, passwordHash, role: "admin" });
      createApiToken(db, { accountId: account.id, tokenHash, name: tokenName, replace: true });
      return project;
    })
    .immediate();
}
