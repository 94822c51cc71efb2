import { execFile } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { eventSchema } from "@mcpsight/protocol";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import type { Storage } from "../src/storage/index.js";
import { copySqliteToPostgres } from "../src/storage/postgres/copy-from-sqlite.js";
import { parsePostgresUrl } from "../src/storage/postgres/db.js";
import { openPostgresStorage } from "../src/storage/postgres/index.js";
import { openSqliteStorage } from "../src/storage/sqlite/index.js";
import { freshPostgresSchema, TEST_DATABASE_URL, type TestDatabase } from "./backends.js";
import { removeDir, tempDir } from "./helpers.js";
import { oddEvents } from "./odd-events.js";

const CLI = fileURLToPath(new URL("../src/cli.ts", import.meta.url));
const cli = (args: string[]) =>
  promisify(execFile)(process.execPath, [
    "--conditions",
    "@mcpsight/source",
    "--import",
    "tsx",
    CLI,
    ...args,
  ]);

const T0 = Date.parse("2026-11-20T10:00:00.000Z");
const RANGE = { from: T0 - 86_400_000, to: T0 + 86_400_000 };
const PAGE = { limit: 100, cursor: null };

/** What the query API would show, read through the Storage interface. */
async function readAll(storage: Storage) {
  const sessions = await storage.listSessions("p1", {
    ...PAGE,
    range: RANGE,
    userId: null,
    client: null,
    tool: null,
    hasError: null,
    stateless: null,
    anonymous: null,
  });
  return {
    projects: await storage.listProjects(),
    overview: await storage.getOverview("p1", RANGE, "hour"),
    users: await storage.listUsers("p1", { ...PAGE, range: RANGE, search: null, sort: "lastSeen" }),
    profile: await storage.getUserProfile("p1", "u1", RANGE),
    sessions,
    timelines: await Promise.all(
      sessions.items.map((s) => storage.getSessionTimeline("p1", s.sessionId, PAGE)),
    ),
    tools: await storage.listToolStats("p1", RANGE, "hour"),
    clients: await storage.listClientStats("p1", RANGE),
    errors: await storage.listErrorGroups("p1", RANGE, PAGE),
    intents: await storage.listIntents("p1", { ...PAGE, range: RANGE, type: "all" }),
    token: await storage.getAccountByTokenHash("hash"),
    members: await storage.listProjectMembers("p1"),
    projectToken: await storage.getProjectTokenByHash("project-hash"),
  };
}

const run = TEST_DATABASE_URL ? describe : describe.skip;

run("mcpsight migrate --from sqlite://… --to postgres://…", () => {
  const dir = tempDir();
  let database: TestDatabase;
  afterAll(async () => {
    await database?.drop();
    removeDir(dir);
  });

  it("prints its usage", async () => {
    const { stdout } = await cli(["migrate", "--help"]);
    expect(stdout).toMatch(/Usage: mcpsight migrate --from sqlite:/);
  });

  it("copies every table; the copy answers every query as the original, and keeps ingesting", async () => {
    const sqlite = openSqliteStorage({ dataDir: dir });
    await sqlite.createProject({ id: "p1", name: "One" });
    const account = await sqlite.createAccount({ username: "admin", passwordHash: "x", role: "admin" });
    await sqlite.createApiToken({ accountId: account.id, tokenHash: "hash", name: "default" });
    const viewer = await sqlite.createAccount({ username: "vic", passwordHash: "y", role: "member" });
    await sqlite.setMembership(viewer.id, "p1", "admin");
    await sqlite.createProjectToken({
      id: "tok_1",
      projectId: "p1",
      tokenHash: "project-hash",
      name: "grafana",
      createdBy: viewer.id,
    });
    const base = { projectId: "p1", eventType: "mcp:tools/call", resourceName: "search", clientName: "cli" };
    const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();
    await sqlite.ingestEvents(
      [
        {
          ...base,
          id: "1",
          sessionId: "s1",
          timestamp: at(0),
          duration: 12,
          traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
          spanId: "00f067aa0ba902b7",
        },
        {
          ...base,
          id: "2",
          sessionId: "s1",
          timestamp: at(1),
          identifyActorGivenId: "u1",
          identifyActorName: "Ann",
        },
        { ...base, id: "3", sessionId: "s1", timestamp: at(2), isError: true, error: { message: "bad" } },
        {
          ...base,
          id: "4",
          timestamp: at(3),
          stateless: true,
          identifyActorGivenId: "u1",
          userIntent: "find",
        },
        { ...base, id: "5", timestamp: at(4), stateless: true, correlationId: "c", duration: 300 },
      ].map((e) => eventSchema.parse(e)),
    );
    await sqlite.waitForDerivation();
    const before = await readAll(sqlite);
    expect(before.members).toEqual([{ username: "vic", role: "admin", accountRole: "member" }]);
    expect(before.projectToken).toMatchObject({ id: "tok_1", createdBy: "vic" });
    expect(before.timelines.flatMap((t) => t?.events ?? []).find((e) => e.id === "1")?.traceId).toBe(
      "4bf92f3577b34da6a3ce929d0e0e4736",
    );
    await sqlite.close();

    database = await freshPostgresSchema();
    const { stdout } = await cli([
      "migrate",
      "--from",
      `sqlite://${join(dir, "mcpsight.db")}`,
      "--to",
      database.url as string,
    ]);
    expect(stdout).toMatch(/events\s+5 \/ 5/);
    expect(stdout).toMatch(/Done in .*5 events, 1 users, 3 sessions/);
    // The copy is analysed: the planner knows the tables' sizes (never analysed: -1).
    const { connectionString, schema } = parsePostgresUrl(database.url as string);
    const client = new pg.Client({ connectionString });
    await client.connect();
    try {
      const { rows } = await client.query<{ relname: string; reltuples: number }>(
        `SELECT c.relname, c.reltuples FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = $1 AND c.relname IN ('events', 'sessions', 'users') ORDER BY c.relname`,
        [schema],
      );
      expect(rows).toEqual([
        { relname: "events", reltuples: 5 },
        { relname: "sessions", reltuples: 3 },
        { relname: "users", reltuples: 1 },
      ]);
    } finally {
      await client.end();
    }

    const postgres = await openPostgresStorage({ url: database.url as string });
    try {
      expect(await readAll(postgres)).toEqual(before);
      // A new token's key continues after the copied ones.
      const next = { projectId: "p1", tokenHash: "next", name: "next", createdBy: null };
      expect(await postgres.createProjectToken({ id: "tok_2", ...next })).toMatchObject({ id: "tok_2" });
      // Keys continue after the copied rows; a stateless event joins the user's copied session.
      await postgres.ingestEvents([
        eventSchema.parse({
          ...base,
          id: "6",
          timestamp: at(5),
          stateless: true,
          identifyActorGivenId: "u1",
        }),
      ]);
      await postgres.waitForDerivation();
      const user = await postgres.getUserProfile("p1", "u1", RANGE);
      expect(user?.user).toMatchObject({ sessions: 2, events: 5 });
      // A second migrate into the same database is refused.
      await expect(
        cli(["migrate", "--from", join(dir, "mcpsight.db"), "--to", database.url as string]),
      ).rejects.toThrow(/already holds mcpsight data/);
    } finally {
      await postgres.close();
    }
  });

  it("copies events with odd text in every field", async () => {
    const oddDir = tempDir();
    const target = await freshPostgresSchema();
    try {
      const sqlite = openSqliteStorage({ dataDir: oddDir });
      await sqlite.createProject({ id: "p1", name: "One" });
      const events = oddEvents("p1", 60).map((e) => eventSchema.parse(e));
      expect(await sqlite.ingestEvents(events)).toEqual({ accepted: 60, duplicates: 0 });
      await sqlite.close();
      const counts = await copySqliteToPostgres({
        sqlitePath: join(oddDir, "mcpsight.db"),
        postgresUrl: target.url as string,
      });
      expect(counts.events).toBe(60);
      const postgres = await openPostgresStorage({ url: target.url as string });
      try {
        // What SQLite had not derived when it closed, PostgreSQL's pass derives.
        await postgres.waitForDerivation();
        // The copy is found by the ids it was sent with, as after PostgreSQL's own ingest.
        const day = { from: Date.now() - 2 * 86_400_000, to: Date.now() + 86_400_000 };
        const missing: string[] = [];
        for (const event of events.slice(0, 12)) {
          const userId = event.identifyActorGivenId as string;
          if (!(await postgres.getUserProfile("p1", userId, day)))
            missing.push(JSON.stringify(userId).slice(0, 60));
        }
        expect(missing).toEqual([]);
      } finally {
        await postgres.close();
      }
    } finally {
      await target.drop();
      removeDir(oddDir);
    }
  });
});
