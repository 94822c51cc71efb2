// The dashboard says when its data is behind what the collector acknowledged. A real way to hold
// derivation back: on PostgreSQL the pass derives only events whose transactions have all ended
// (docs/POSTGRES.md), so a transaction a psql client leaves open keeps newer events pending.
import { type ChildProcessWithoutNullStreams, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, screenshot, watchErrors } from "./support/browser";
import { api, derived, type RunningCollector, startCollector } from "./support/collector";

const DATABASE_URL = process.env.MCPSIGHT_TEST_DATABASE_URL;

interface Health {
  derivation: { pending: number; lagMs: number };
}

/** A psql session that opens a transaction holding a transaction id, and keeps it open. */
async function openTransaction(url: string): Promise<ChildProcessWithoutNullStreams> {
  const psql = spawn("psql", [url, "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1"]);
  let output = "";
  psql.stdout.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  psql.stderr.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  psql.stdin.write("BEGIN;\nSELECT 'xid:' || pg_current_xact_id();\n");
  const deadline = Date.now() + 20_000;
  while (!/xid:\d+/.test(output)) {
    if (psql.exitCode !== null || Date.now() > deadline)
      throw new Error(`psql did not open a transaction: ${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return psql;
}

describe.skipIf(!DATABASE_URL)("the freshness notice, with derivation held back on PostgreSQL", () => {
  const schema = `t_fresh_${process.pid}_${randomBytes(4).toString("hex")}`;
  let collector: RunningCollector;
  let browser: Browser;
  let psql: ChildProcessWithoutNullStreams | undefined;

  beforeAll(async () => {
    const url = new URL(DATABASE_URL as string);
    url.searchParams.set("schema", schema);
    collector = await startCollector({ databaseUrl: url.toString() });
    browser = await launchBrowser();
  });

  afterAll(async () => {
    psql?.kill();
    await browser?.close();
    await collector?.stop();
    execFileSync(
      "psql",
      [DATABASE_URL as string, "-X", "-q", "-c", `DROP SCHEMA IF EXISTS ${schema} CASCADE`],
      { stdio: "pipe" },
    );
  });

  it("shows how many events are still being processed, and nothing once they are derived", async () => {
    const projects = await api<{ items: { id: string }[] }>(collector, "/projects");
    const projectId = projects.items[0]?.id as string;
    psql = await openTransaction(DATABASE_URL as string);

    const now = Date.now();
    const events = [0, 1, 2].map((i) => ({
      id: `evt_fresh_${i}`,
      projectId,
      sessionId: "ses_fresh",
      eventType: "mcp:tools/call",
      timestamp: new Date(now - 1000 + i).toISOString(),
      resourceName: "search",
    }));
    const response = await fetch(`${collector.url}/v1/batch`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-mcpsight-project": projectId },
      body: JSON.stringify({ events }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ accepted: 3, rejected: [] });

    // Acknowledged, stored, and held back by the open transaction until the notice's threshold.
    await expect
      .poll(
        async () => {
          const health = (await (await fetch(`${collector.url}/healthz`)).json()) as Health;
          return health.derivation.pending === 3 && health.derivation.lagMs > 5_000;
        },
        { timeout: 30_000, interval: 250 },
      )
      .toBe(true);

    const page = await (await browser.newContext()).newPage();
    const errors = await watchErrors(page);
    await page.goto(`${collector.url}/`);
    await page.getByLabel("Password").fill(collector.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Overview" }).waitFor();
    const notice = page.locator(".freshness[role=status]");
    await expect
      .poll(() => notice.textContent(), { timeout: 10_000 })
      .toMatch(/^Data as of \d\d:\d\d:\d\d: 3 events received since are still being processed\.$/);
    await screenshot(page, "freshness-behind");

    // The transaction ends; the pass derives the events and the notice goes away.
    psql.stdin.end("ROLLBACK;\n");
    await derived(collector);
    await page.reload();
    await page.getByRole("heading", { name: "Overview" }).waitFor();
    await expect.poll(() => page.getByText("Tool calls").count()).toBeGreaterThan(0);
    expect(await notice.count()).toBe(0);
    expect(errors).toEqual([]);
  });
});
