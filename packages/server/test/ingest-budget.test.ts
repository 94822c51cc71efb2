import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startServer } from "../src/server.js";
import { makeEvent, postBatch, removeDir, tempDir } from "./helpers.js";

/** A batch of one event whose parameters make its JSON about `bytes` long. */
const sized = (projectId: string, bytes: number) => [
  makeEvent(projectId, { parameters: { pad: "p".repeat(bytes) } }),
];

describe("the ingest memory budget", () => {
  const dir = tempDir();
  let server: RunningServer;
  let projectId: string;

  beforeAll(async () => {
    server = await startServer({
      port: 0,
      host: "127.0.0.1",
      dataDir: dir,
      retentionDays: 90,
      dashboardDir: null,
      logLevel: "silent",
      ingestMemoryMb: 1,
    });
    projectId = (await server.storage.listProjects())[0]?.id as string;
  });
  afterAll(async () => {
    await server.close();
    removeDir(dir);
  });

  it("refuses a body that needs more than the whole budget with 413", async () => {
    const res = await postBatch(server.url, sized(projectId, 200_000));
    expect(res).toMatchObject({ status: 413, body: { error: { code: "payload_too_large" } } });
    expect((res.body as { error: { message: string } }).error.message).toContain("--ingest-memory-mb");
  });

  it("gives back the share of requests that end early: aborted uploads, refusals", async () => {
    const { port } = new URL(server.url);
    // Uploads that announce 100 kB, send a little and hang up, each holding 100 kB while it lasts.
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        const socket = connect(Number(port), "127.0.0.1");
        await new Promise((resolve) => socket.once("connect", resolve));
        socket.write(
          `POST /v1/batch HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"events":[`,
        );
        await new Promise((resolve) => setTimeout(resolve, 20));
        socket.destroy();
      }),
    );
    // Refused ones: a bad body, an unknown project.
    expect((await postBatch(server.url, sized("proj_nope", 10))).status).toBe(404);
    // A batch that needs nearly the whole budget is taken once all of that was given back.
    const big = sized(projectId, 70_000);
    let status = 0;
    for (let attempt = 0; attempt < 100 && status !== 200; attempt++) {
      status = (await postBatch(server.url, big)).status;
      if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(status).toBe(200);
  });
});
