import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Sink } from "../../test/helpers/sink.js";

// These run the SDK in a real child process: only a separate process can show that delivery's
// timers and listeners do not keep the host alive, and that nothing is written to stdout.
const childScript = fileURLToPath(new URL("../../test/helpers/delivery-child.ts", import.meta.url));

interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function runChild(env: Record<string, string>): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--conditions=@mcpsight/source", "--import", "tsx", childScript], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    // A hang guard, not a performance assertion: a child that never exits fails with its output.
    const guard = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`child did not exit on its own\nstderr:\n${stderr}`));
    }, 25_000);
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      clearTimeout(guard);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

let sink: Sink;

beforeEach(async () => {
  sink = await new Sink().start();
});

afterEach(async () => {
  await sink.stop();
});

describe("process lifetime", () => {
  it("exits on its own after enqueueing, delivering the queue on beforeExit", async () => {
    const result = await runChild({ SINK_URL: sink.url, EVENT_COUNT: "25" });
    expect(result).toMatchObject({ code: 0, signal: null, stdout: "" });
    expect(sink.events).toHaveLength(25);
    // beforeExit is registered once: a single batch, no repeated flushes.
    expect(sink.attempts).toHaveLength(1);
  });

  it("exits on its own when the collector is down, without waiting out the backoff", async () => {
    const url = sink.url;
    await sink.stop();
    const result = await runChild({ SINK_URL: url, EVENT_COUNT: "25" });
    expect(result).toMatchObject({ code: 0, signal: null, stdout: "" });
    expect(result.stderr).toMatch(/could not deliver 25 events/);
    await sink.start();
  });

  it("exits on its own when the collector answers 500", async () => {
    sink.respondWith((_request, response) => {
      response.writeHead(500).end();
      return true;
    });
    const result = await runChild({ SINK_URL: sink.url, EVENT_COUNT: "25" });
    expect(result).toMatchObject({ code: 0, signal: null, stdout: "" });
    // It tried; a retry whose random delay (under a second) ends before the process does may
    // fire too, so the count is not fixed: the backoff does not keep the process alive.
    expect(sink.attempts.length).toBeGreaterThanOrEqual(1);
  });
});
