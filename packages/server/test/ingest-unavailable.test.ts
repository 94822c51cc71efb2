import { once } from "node:events";
import { createServer, Socket as NetSocket, type Server, type Socket } from "node:net";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { freshPostgresSchema, TEST_DATABASE_URL } from "./backends.js";
import { makeEvent, postBatch, removeDir, startCollector, tempDir } from "./helpers.js";

describe("ingest when the database cannot take writes", () => {
  it("answers 503 with Retry-After while SQLite is locked by another writer, and stores on retry", async () => {
    const dir = tempDir();
    const collector = await startCollector(dir);
    const other = new Database(join(dir, "mcpsight.db"));
    try {
      const events = [makeEvent(collector.projectId), makeEvent(collector.projectId)];
      // Another process holds the write lock longer than the collector waits for it (5 s).
      other.exec("BEGIN IMMEDIATE");
      const locked = await postBatch(collector.url, events);
      expect(locked).toMatchObject({ status: 503, body: { error: { code: "unavailable" } } });
      expect(locked.headers.get("retry-after")).toBe("5");
      other.exec("ROLLBACK");
      expect((await postBatch(collector.url, events)).body).toEqual({
        accepted: 2,
        duplicates: 0,
        rejected: [],
      });
    } finally {
      other.close();
      await collector.close();
      removeDir(dir);
    }
  });

  const run = TEST_DATABASE_URL ? it : it.skip;
  run(
    "answers 503 with Retry-After while PostgreSQL is unreachable, and stores once it is back",
    async () => {
      // The collector reaches PostgreSQL through a TCP proxy this test can cut.
      const target = new URL(TEST_DATABASE_URL as string);
      const sockets = new Set<Socket>();
      const listen = async (port: number): Promise<Server> => {
        const proxy = createServer((client) => {
          const upstream = new NetSocket();
          upstream.connect(Number(target.port || 5432), target.hostname);
          for (const socket of [client, upstream]) {
            sockets.add(socket);
            socket.on("close", () => sockets.delete(socket));
            socket.on("error", () => socket.destroy());
          }
          client.pipe(upstream).pipe(client);
        });
        proxy.listen(port, "127.0.0.1");
        await once(proxy, "listening");
        return proxy;
      };
      let proxy = await listen(0);
      const port = (proxy.address() as { port: number }).port;
      const database = await freshPostgresSchema();
      const viaProxy = new URL(database.url as string);
      viaProxy.host = `127.0.0.1:${port}`;
      const dir = tempDir();
      const collector = await startCollector(dir, viaProxy.toString());
      try {
        expect((await postBatch(collector.url, [makeEvent(collector.projectId)])).status).toBe(200);
        proxy.close();
        for (const socket of sockets) socket.destroy();
        const events = [makeEvent(collector.projectId), makeEvent(collector.projectId)];
        for (let attempt = 0; attempt < 2; attempt++) {
          // The first attempt meets the pool's dead connections, the second a refused connect.
          const down = await postBatch(collector.url, events);
          expect(down).toMatchObject({ status: 503, body: { error: { code: "unavailable" } } });
          expect(down.headers.get("retry-after")).toBe("5");
        }
        proxy = await listen(port);
        expect((await postBatch(collector.url, events)).body).toEqual({
          accepted: 2,
          duplicates: 0,
          rejected: [],
        });
      } finally {
        await collector.close();
        proxy.close();
        for (const socket of sockets) socket.destroy();
        await database.drop();
        removeDir(dir);
      }
    },
  );
});
