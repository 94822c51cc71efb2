import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../src/server.js";
import { BACKENDS, type TestDatabase } from "./backends.js";
import { ADMIN_TOKEN, api, makeEvent, postBatch, removeDir, startCollector, tempDir } from "./helpers.js";

describe.each(BACKENDS)("ingest: what is acknowledged is stored ($name)", (backend) => {
  let database: TestDatabase;
  const dir = tempDir();
  let server: RunningServer & { projectId: string };
  let url: string;
  let projectId: string;
  const timeline = (sessionId: string) =>
    api<{ events: { id: string }[] }>(url, `/api/v1/projects/${projectId}/sessions/${sessionId}`, {
      token: ADMIN_TOKEN,
    });

  beforeAll(async () => {
    database = await backend.create();
    server = await startCollector(dir, database.url);
    url = server.url;
    projectId = server.projectId;
  });
  afterAll(async () => {
    await server.close();
    await database.drop();
    removeDir(dir);
  });

  it("rejects impossible offsets per event and stores the rest (existing and new sessions)", async () => {
    expect((await postBatch(url, [makeEvent(projectId, { sessionId: "offsets" })])).status).toBe(200);
    const outcomes: unknown[] = [];
    for (const offset of ["+99:99", "+2400", "+00:60"])
      for (const sessionId of ["offsets", `new${offset}`]) {
        const good = makeEvent(projectId, { sessionId: "offsets" });
        const bad = { ...makeEvent(projectId, { sessionId }), timestamp: `2026-11-27T10:00:00${offset}` };
        const { status, body } = await postBatch(url, [good, bad]);
        outcomes.push({ offset, sessionId, status, body });
      }
    for (const outcome of outcomes)
      expect(outcome).toMatchObject({
        status: 200,
        body: {
          accepted: 1,
          duplicates: 0,
          rejected: [{ index: 1, code: "invalid_event", field: "timestamp", reason: expect.any(String) }],
        },
      });
    // Every good event is stored, none of the bad ones.
    expect((await timeline("offsets")).body.events).toHaveLength(7);
    expect((await timeline("new+2400")).status).toBe(404);
  });
});
