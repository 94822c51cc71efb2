import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ReplayEvent, SessionReplay } from "../src/api";
import { launchBrowser, screenshot, watchErrors } from "./support/browser";
import { api, type RunningCollector, startCollector } from "./support/collector";

/**
 * OpenTelemetry in, end to end, with senders nobody here wrote: the official Python `mcp` package
 * (2.x emits an MCP SERVER span per request on its own) serving over stdio, called by the same
 * package's client, both exporting with `opentelemetry-sdk` and the OTLP/HTTP protobuf exporter
 * from PyPI to the real collector. The calls then show through the query API and, with their trace
 * ids, in the dashboard's replay in Chromium.
 *
 * The packages are installed in a fresh virtualenv under the system temp dir (a minute or so);
 * MCPSIGHT_TEST_PYTHON_VENV points at an existing one to skip that.
 */
const run = promisify(execFile);
const FIXTURES = resolve(import.meta.dirname, "../../server/test/fixtures/otel-python");
const PACKAGES = [
  "mcp==2.3.0",
  "opentelemetry-sdk==1.45.2",
  "opentelemetry-exporter-otlp-proto-http==1.45.2",
];

async function pythonWithPackages(): Promise<{ python: string; cleanup: () => void }> {
  const given = process.env.MCPSIGHT_TEST_PYTHON_VENV;
  if (given) return { python: join(given, "bin", "python"), cleanup: () => {} };
  const dir = mkdtempSync(join(tmpdir(), "mcpsight-otel-python-"));
  const venv = join(dir, "venv");
  await run("python3", ["-m", "venv", venv]);
  await run(join(venv, "bin", "pip"), ["install", "--quiet", "--disable-pip-version-check", ...PACKAGES], {
    timeout: 540_000,
  });
  return {
    python: join(venv, "bin", "python"),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

type SessionRow = {
  sessionId: string;
  userId: string | null;
  stateless: boolean;
  toolCalls: number;
  errors: number;
};

describe("the Python mcp package's own spans, exported over OTLP to the collector", () => {
  let collector: RunningCollector;
  let projectId: string;
  let python: { python: string; cleanup: () => void };
  let browser: Browser | undefined;
  /** Trace id of each client step, printed by client.py. */
  let traces: Record<"add" | "divide" | "note", string>;
  let events: ReplayEvent[];
  let session: SessionRow;

  beforeAll(async () => {
    [collector, python] = await Promise.all([startCollector(), pythonWithPackages()]);
    const projects = await api<{ items: { id: string }[] }>(collector, "/projects");
    projectId = projects.items[0]?.id ?? "";
    expect(existsSync(python.python)).toBe(true);
    const { stdout } = await run(python.python, [join(FIXTURES, "client.py")], {
      timeout: 60_000,
      env: {
        ...process.env,
        OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
        OTEL_EXPORTER_OTLP_HEADERS: `x-mcpsight-project=${projectId}`,
      },
    });
    traces = JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}");
    session = await waitFor("the Python server's session", async () => {
      const s = await api<{ items: SessionRow[] }>(collector, `/projects/${projectId}/sessions?tool=add`);
      return s.items.find((x) => x.toolCalls === 2);
    });
    // The server exports its last spans as it exits: wait for all of them.
    events = await waitFor("every call of the session", async () => {
      const r = await api<SessionReplay>(
        collector,
        `/projects/${projectId}/sessions/${encodeURIComponent(session.sessionId)}`,
      );
      return r.events.length >= 5 ? r.events : undefined;
    });
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    await collector?.stop();
    python?.cleanup();
  });

  it("records the server's requests as one anonymous session, with errors", () => {
    // stdio has no MCP session id: the calls are grouped as an anonymous stateless session.
    expect(session).toMatchObject({ userId: null, stateless: true, toolCalls: 2, errors: 1 });
    expect(events.map((e) => [e.eventType, e.resourceName, e.isError])).toEqual([
      // The 2026-07-28 protocol the package speaks opens with server/discover, not initialize.
      ["mcp:server/discover", null, false],
      ["mcp:tools/list", null, false],
      ["mcp:tools/call", "add", false],
      ["mcp:tools/call", "divide", true],
      ["mcp:resources/read", null, false],
    ]);
    expect(events[3]?.error).toEqual({
      type: "tool_error",
      message: "The tool returned an error result (isError)",
      stack: null,
    });
    expect(events.every((e) => e.serverName === "py-notes" && e.sdkLanguage === "otlp")).toBe(true);
    // The client's spans (CLIENT kind) and its own steps were ignored, not stored.
    expect(events.some((e) => e.resourceName?.startsWith("agent step"))).toBe(false);
  });

  it("keeps the trace the client started, carried to the server in params._meta", () => {
    expect(events[2]?.traceId).toBe(traces.add);
    expect(events[3]?.traceId).toBe(traces.divide);
    expect(events[4]?.traceId).toBe(traces.note);
  });

  it("shows each call's trace id in the replay, as selectable text", async () => {
    browser = await launchBrowser();
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    const errors = await watchErrors(page);
    await page.goto(`${collector.url}/`);
    await page.getByLabel("Password").fill(collector.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Overview" }).waitFor();
    await page.goto(`${collector.url}/#/p/${projectId}/sessions/${encodeURIComponent(session.sessionId)}`);
    const add = page.locator('li[data-event-type="mcp:tools/call"]').first();
    await add.locator(".tl-trace").waitFor();
    expect(await add.locator(".tl-trace").textContent()).toContain(`trace ${traces.add}`);
    // Plain text outside the toggle, selected whole with one click for copying.
    const id = add.locator(".tl-trace .copyable").first();
    expect(await id.evaluate((el) => getComputedStyle(el).userSelect)).toBe("all");
    expect(await id.evaluate((el) => el.closest("button"))).toBeNull();
    await screenshot(page, "otel-python-replay");
    expect(errors).toEqual([]);
  });
});
