import { eventSchema } from "@mcpsight/protocol";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { removeDir, tempDir } from "../../../test/helpers.js";
import { storageSuite } from "../../../test/storage.suite.js";
import { expectUpgraded, oldDatabaseSql } from "../../../test/upgrade-fixture.js";
import { openDatabase } from "./db.js";
import { openSqliteStorage } from "./index.js";
import { BEFORE_PASS, migrate } from "./schema.js";

storageSuite("sqlite", async () => openSqliteStorage({ dataDir: "", path: ":memory:" }));

describe("sqlite erasure", () => {
  const dir = tempDir();
  afterAll(() => removeDir(dir));

  it("leaves no row mentioning the user in any table", async () => {
    const storage = openSqliteStorage({ dataDir: dir });
    await storage.createProject({ id: "p", name: "p" });
    const base = { projectId: "p", eventType: "mcp:tools/call", timestamp: new Date().toISOString() };
    await storage.ingestEvents(
      [
        { ...base, id: "1", sessionId: "s", resourceName: "t", userIntent: "secret-intent" },
        {
          ...base,
          id: "2",
          sessionId: "s",
          identifyActorGivenId: "alice",
          identifyActorName: "Alice Secret",
        },
        { ...base, id: "3", sessionId: "s", isError: true, error: { message: "oops" } },
        { ...base, id: "4", sessionId: "other", identifyActorGivenId: "bob" },
      ].map((e) => eventSchema.parse(e)),
    );
    await storage.deleteUser("p", "alice");
    await storage.close();
    const db = new Database(`${dir}/mcpsight.db`, { readonly: true });
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as {
      name: string;
    }[];
    for (const { name } of tables) {
      const dump = JSON.stringify(db.prepare(`SELECT * FROM ${name}`).all());
      expect(dump, name).not.toMatch(/alice|Alice Secret|secret-intent|oops/);
    }
    const users = db.prepare("SELECT user_id FROM users").all();
    expect(users).toEqual([{ user_id: "bob" }]);
    const counts = db
      .prepare("SELECT (SELECT count(*) FROM error_group_users) AS u, (SELECT count(*) FROM user_tools) AS t")
      .get();
    expect(counts).toEqual({ u: 0, t: 1 }); // bob's only
    db.close();
  });
});

describe("sqlite upgrade", () => {
  it("rebuilds users, sessions and rollups of a database written before the derivation pass", async () => {
    const dir = tempDir();
    try {
      const db = openDatabase(`${dir}/mcpsight.db`);
      migrate(db, BEFORE_PASS);
      db.exec(oldDatabaseSql("sqlite"));
      db.close();
      const storage = openSqliteStorage({ dataDir: dir });
      try {
        await expectUpgraded(storage);
      } finally {
        await storage.close();
      }
    } finally {
      removeDir(dir);
    }
  });
});
