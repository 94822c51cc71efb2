import type { EventInput } from "@mcpsight/protocol";
import { describe, expect, it } from "vitest";
import { BACKENDS } from "./backends.js";
import {
  ADMIN_PASSWORD,
  ADMIN_TOKEN,
  api,
  derived,
  makeEvent,
  postBatch,
  removeDir,
  spawnCli,
  startCollector,
  tempDir,
} from "./helpers.js";

const EVENTS_PER_BATCH = 50;

/** `mcpsight start` as a child process on a free port; resolves with its URL and first project. */
async function startChild(dataDir: string, databaseUrl: string | undefined) {
  const run = spawnCli(
    ["start", "--port", "0", "--data-dir", dataDir, ...(databaseUrl ? ["--database-url", databaseUrl] : [])],
    { env: { MCPSIGHT_ADMIN_PASSWORD: ADMIN_PASSWORD, MCPSIGHT_ADMIN_TOKEN: ADMIN_TOKEN } },
  );
  const [, projectId] = await run.waitFor(/\((proj_\w+)\)/);
  const [, url] = await run.waitFor(/listening on (http:\/\/\S+)/);
  return { child: run.child, closed: run.closed, url: url as string, projectId: projectId as string };
}

describe.each(BACKENDS)("a collector killed mid-ingest ($name)", (backend) => {
  it("keeps every acknowledged batch, and a resend stores nothing twice", { timeout: 120_000 }, async () => {
    const dir = tempDir();
    const database = await backend.create();
    try {
      const { child, closed, url, projectId } = await startChild(dir, database.url);
      const batches: EventInput[][] = [];
      const acknowledged = new Set<number>();
      let killed = false;
      let inFlight = 0;
      let inFlightAtKill = 0;
      // Four senders post batches back to back; after 30 answers, the collector is killed at a
      // moment when other batches are on their way (mid-ingest).
      const sender = async () => {
        while (!killed) {
          const index = batches.length;
          const batch = Array.from({ length: EVENTS_PER_BATCH }, () =>
            makeEvent(projectId, { sessionId: `b${index}` }),
          );
          batches.push(batch);
          inFlight++;
          try {
            if ((await postBatch(url, batch)).status === 200) acknowledged.add(index);
          } catch {
            // Connection reset by the kill: not acknowledged.
          } finally {
            inFlight--;
          }
          if (acknowledged.size >= 30 && inFlight > 0 && !killed) {
            killed = true;
            inFlightAtKill = inFlight;
            child.kill("SIGKILL");
          }
        }
      };
      await Promise.all([sender(), sender(), sender(), sender()]);
      await closed;
      expect(acknowledged.size).toBeGreaterThanOrEqual(30);
      expect(inFlightAtKill).toBeGreaterThan(0);

      const server = await startCollector(dir, database.url);
      try {
        for (const [index, batch] of batches.entries()) {
          const { body } = await postBatch(server.url, batch);
          if (acknowledged.has(index))
            expect(body, `batch ${index}`).toEqual({ accepted: 0, duplicates: 50, rejected: [] });
          else {
            // All or nothing: a batch the collector never answered was stored whole or not at all.
            expect([0, 50], `batch ${index}`).toContain(body.accepted);
          }
        }
        await derived(server.url);
        for (const index of batches.keys()) {
          const timeline = await api<{ events: { id: string }[] }>(
            server.url,
            `/api/v1/projects/${projectId}/sessions/b${index}?limit=1000`,
            { token: ADMIN_TOKEN },
          );
          expect(new Set(timeline.body.events.map((e) => e.id)).size, `session b${index}`).toBe(
            EVENTS_PER_BATCH,
          );
          expect(timeline.body.events, `session b${index}`).toHaveLength(EVENTS_PER_BATCH);
        }
      } finally {
        await server.close();
      }
    } finally {
      await database.drop();
      removeDir(dir);
    }
  });
});
