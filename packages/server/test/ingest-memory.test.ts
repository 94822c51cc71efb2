import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { BACKENDS, type TestDatabase } from "./backends.js";
import { type CollectorProcess, startProcess, stopProcess } from "./collector-process.js";
import { ADMIN_TOKEN, api, makeEvent, postBatch, removeDir, tempDir } from "./helpers.js";

/**
 * The collector's resident memory stays under this with the default ingest budget (256 MiB) under
 * the flood below; README's collector table states it.
 */
const RSS_CEILING_MB = 640;
const CONCURRENT = 64;

/** Kilobytes of resident memory, now or at the process's peak, read from /proc. */
function memoryKb(pid: number, field: "VmRSS" | "VmHWM"): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1]);
}

/**
 * A gzip batch of about 80 KiB that decompresses to about 15 MiB: a thousand valid events, each
 * with 15,000 repeated characters and a little random text (so it does not compress to nothing).
 */
function floodBatch(projectId: string): Buffer {
  const events = Array.from({ length: 1000 }, (_, i) =>
    makeEvent(projectId, {
      id: `flood_${i}`,
      sessionId: `flood_${i % 10}`,
      parameters: { nonce: randomBytes(42).toString("hex"), text: "x".repeat(15_000) },
    }),
  );
  return gzipSync(JSON.stringify({ events }));
}

describe.each(BACKENDS)("ingest memory under a flood of highly compressed batches ($name)", (backend) => {
  let database: TestDatabase;
  const dir = tempDir();
  let collector: CollectorProcess;
  afterAll(async () => {
    await stopProcess(collector);
    await database.drop();
    removeDir(dir);
  });

  it(`keeps the collector under ${RSS_CEILING_MB} MB, unknown project or known`, {
    timeout: 180_000,
  }, async () => {
    database = await backend.create();
    collector = await startProcess(dir, database.url);
    const pid = collector.child.pid as number;
    const projects = await api<{ items: { id: string }[] }>(collector.url, "/api/v1/projects", {
      token: ADMIN_TOKEN,
    });
    const known = projects.body.items[0]?.id as string;
    const baselineMb = memoryKb(pid, "VmRSS") / 1024;

    const flood = async (body: Buffer, project?: string) => {
      const headers: Record<string, string> = {
        "content-type": "application/json",
        "content-encoding": "gzip",
      };
      if (project) headers["x-mcpsight-project"] = project;
      const answers = await Promise.all(
        Array.from({ length: CONCURRENT }, () =>
          fetch(`${collector.url}/v1/batch`, { method: "POST", headers, body }).then(async (res) => ({
            status: res.status,
            retryAfter: res.headers.get("retry-after"),
            body: await res.text(),
          })),
        ),
      );
      const statuses = new Map<number, number>();
      for (const answer of answers) statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
      for (const answer of answers.filter((a) => a.status === 503)) expect(answer.retryAfter).toBe("2");
      return Object.fromEntries(statuses);
    };

    const unknownBody = floodBatch("proj_unknown");
    const knownBody = floodBatch(known);
    expect(unknownBody.length).toBeGreaterThan(60_000);
    expect(unknownBody.length).toBeLessThan(110_000);
    // Unknown project named in the header: refused before the body is read.
    expect(await flood(unknownBody, "proj_unknown")).toEqual({ 404: CONCURRENT });
    // Unknown project, no header: refused from the text, before parsing; beyond the budget, 503.
    const unknown = await flood(unknownBody);
    expect(Object.keys(unknown).sort()).toEqual(
      Object.keys(unknown).filter((s) => s === "404" || s === "503"),
    );
    expect(unknown[404]).toBeGreaterThan(0);
    // A known project: stored (then duplicates) as the budget allows; the rest 503 with Retry-After.
    const stored = await flood(knownBody, known);
    expect(Object.keys(stored).filter((s) => s !== "200" && s !== "503")).toEqual([]);
    expect(stored[200]).toBeGreaterThan(0);

    const peakMb = memoryKb(pid, "VmHWM") / 1024;
    process.stderr.write(
      `ingest memory, ${backend.name}: baseline ${baselineMb.toFixed(0)} MB, peak ${peakMb.toFixed(0)} MB, gzip ${unknownBody.length} B; unknown ${JSON.stringify(unknown)}, known ${JSON.stringify(stored)}\n`,
    );
    expect(peakMb).toBeLessThan(RSS_CEILING_MB);
    // Still serving, and nothing of the known batches was lost or stored twice.
    expect((await api(collector.url, "/healthz")).status).toBe(200);
    const small = [makeEvent(known, { id: "flood_0", sessionId: "flood_0" })];
    expect((await postBatch(collector.url, small)).body).toEqual({
      accepted: 0,
      duplicates: 1,
      rejected: [],
    });
  });
});
