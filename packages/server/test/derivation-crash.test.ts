import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { parsePostgresUrl } from "../src/storage/postgres/db.js";
import { openPostgresStorage } from "../src/storage/postgres/index.js";
import { openSqliteStorage } from "../src/storage/sqlite/index.js";
import { BACKENDS } from "./backends.js";
import { withPks } from "./derivation/convert.js";
import { dbProjection, type Query } from "./derivation/db-projection.js";
import { referenceProjection } from "./derivation/reference.js";
import { random, scenario } from "./derivation/scenario.js";
import { removeDir, tempDir } from "./helpers.js";

const CHILD = fileURLToPath(new URL("./fixtures/derive-child.ts", import.meta.url));
const root = tempDir();
afterAll(() => removeDir(root));

/** Starts the child that stores and derives a scenario; resolves once it has begun storing. */
async function startChild(config: { dataDir?: string; url?: string; seed: number; sessions: number }) {
  const child: ChildProcess = spawn(
    process.execPath,
    ["--conditions", "@mcpsight/source", "--import", "tsx", CHILD, JSON.stringify(config)],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  child.stderr?.on("data", (chunk) => {
    output += chunk;
  });
  const exited = once(child, "exit");
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on("data", (chunk) => {
      output += chunk;
      if (output.includes("storing")) resolve();
    });
    child.once("exit", (code) => reject(new Error(`the child exited (${code}):\n${output}`)));
  });
  return { child, exited, output: () => output };
}

interface Reader {
  query: Query;
  dialect: "sqlite" | "postgres";
  close(): Promise<void>;
}

/** A connection of the test's own that reads the database the children write. */
async function openReader(url: string | undefined, dataDir: string): Promise<Reader> {
  if (url) {
    const { connectionString, schema } = parsePostgresUrl(url);
    const client = new pg.Client({ connectionString, options: `-c search_path=${schema}` });
    await client.connect();
    return {
      query: async (sql) => (await client.query(sql)).rows,
      dialect: "postgres",
      close: () => client.end(),
    };
  }
  const file = new Database(join(dataDir, "mcpsight.db"), { readonly: true });
  return {
    query: async (sql) => file.prepare(sql).all() as Record<string, unknown>[],
    dialect: "sqlite",
    close: async () => {
      file.close();
    },
  };
}

/** The pass's progress as the database holds it: events derived and events pending. */
async function progress(query: Query, dialect: "sqlite" | "postgres") {
  const rows =
    dialect === "sqlite"
      ? await query(`SELECT (SELECT count(*) FROM events WHERE pk <= d.cursor) AS derived,
          (SELECT count(*) FROM events WHERE pk > d.cursor) AS pending FROM derivation d`)
      : await query(`SELECT (SELECT count(*) FROM events WHERE (txid, pk) <= (d.cursor_txid, d.cursor_pk)) AS derived,
          (SELECT count(*) FROM events WHERE (txid, pk) > (d.cursor_txid, d.cursor_pk)) AS pending FROM derivation d`);
  return { derived: Number(rows[0]?.derived), pending: Number(rows[0]?.pending) };
}

/**
 * Sessions of the scenario (~4.7 events each): enough that storing it outlasts the kills, so that
 * kills land while events are still arriving and the pass is still deriving them.
 */
const SESSIONS = 1500;

describe.each(BACKENDS)("a collector killed while it stores and derives ($name)", (backend) => {
  it("loses nothing and counts nothing twice: after restarts the derived tables equal the reference", {
    timeout: 180_000,
  }, async () => {
    const seed = 21;
    const database = await backend.create();
    const dataDir = mkdtempSync(join(root, "crash-"));
    const config = { seed, sessions: SESSIONS, dataDir, url: database.url };
    let reader: Reader | null = null;
    try {
      // Killed (SIGKILL: no shutdown, transactions cut short) at random moments, and started again.
      const rnd = random(seed);
      const kills: { derived: number; pending: number }[] = [];
      for (let round = 0; round < 4; round++) {
        const { child, exited } = await startChild(config);
        reader ??= await openReader(database.url, dataDir);
        // Once this run has stored something (however busy the machine), a random moment later.
        const start = await progress(reader.query, reader.dialect);
        for (let i = 0; i < 600; i++) {
          const now = await progress(reader.query, reader.dialect);
          if (now.derived + now.pending > start.derived + start.pending) break;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        await new Promise((resolve) => setTimeout(resolve, rnd() * 600));
        child.kill("SIGKILL");
        await exited;
        kills.push(await progress(reader.query, reader.dialect));
      }
      // Some kills came while the pass was part way: events derived, others still pending.
      expect(
        kills.some((k) => k.derived > 0 && k.pending > 0),
        JSON.stringify(kills),
      ).toBe(true);

      // Then a collector that is left alone finishes the work.
      const last = await startChild(config);
      const [code] = await last.exited;
      expect(code, last.output()).toBe(0);
      const storage = database.url
        ? await openPostgresStorage({ url: database.url, derive: false })
        : openSqliteStorage({ dataDir, derive: false });
      try {
        expect((await storage.getDerivationStatus()).pending).toBe(0);
      } finally {
        await storage.close();
      }
      const done = reader ?? (await openReader(database.url, dataDir));
      const derived = await dbProjection(done.query, done.dialect, "p1");
      expect(derived).toEqual(referenceProjection("p1", withPks(scenario(seed, SESSIONS))));
    } finally {
      await reader?.close();
      await database.drop();
    }
  });
});
