/**
 * End to end: a real collector on a temp dir, real MCP client/server pairs sending through the
 * `mcpsight` SDK, and the built dashboard driven in Debian's Chromium.
 */

import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ARTIFACTS, launchBrowser, screenshot, watchErrors } from "./support/browser";
import { api, createProject, derived, type RunningCollector, startCollector } from "./support/collector";
import { ODD, oddBatch } from "./support/odd-data";
import {
  ADA,
  BOB,
  ERROR_MESSAGE,
  INTENT_SEARCH,
  MISSING_TOOL_CONTEXT,
  openLiveSession,
  sendTraffic,
  XSS_NAME,
  XSS_SCRIPT,
} from "./support/traffic";

interface Project {
  id: string;
  name: string;
}
interface SessionRow {
  sessionId: string;
  userId: string | null;
  toolCalls: number;
  errors: number;
  stateless: boolean;
}

let collector: RunningCollector;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let pageErrors: string[];
let projectId: string;

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

const hash = (path: string) => `${collector.url}/#${path}`;
const xssRan = () => page.evaluate(() => (window as unknown as { __xss?: unknown }).__xss);

describe("dashboard in Chromium against a real collector", () => {
  beforeAll(async () => {
    collector = await startCollector();
    const projects = await api<{ items: Project[] }>(collector, "/projects");
    projectId = projects.items[0]?.id ?? "";
    expect(projectId).not.toBe("");
    createProject(collector, "Second project");
    await sendTraffic(projectId, collector.url);
    await derived(collector);
    await waitFor("all sessions to be stored", async () => {
      const s = await api<{ items: SessionRow[] }>(collector, `/projects/${projectId}/sessions?limit=50`);
      const users = new Set(s.items.map((x) => x.userId));
      return [ADA.userId, BOB.userId, "u_xss", null].every((u) => users.has(u)) ? s : undefined;
    });
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    page = await context.newPage();
    pageErrors = await watchErrors(page);
  });

  afterAll(async () => {
    await browser?.close();
    await collector?.stop();
  });

  it("refuses a wrong password and signs in with the right one", async () => {
    const response = await page.goto(`${collector.url}/`);
    // Served under the collector's CSP; the pages below must all work within it.
    expect(response?.headers()["content-security-policy"]).toContain("script-src 'self'");
    await page.getByLabel("Password").fill("not-the-password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => page.getByRole("alert").textContent()).toContain("Wrong username or password");
    await screenshot(page, "01-login-refused");

    await page.getByLabel("Password").fill(collector.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Overview" }).waitFor();
    expect(page.url()).toContain(`/p/${projectId}/overview`);
  });

  it("shows totals, charts and top lists on the overview", async () => {
    await page.getByText("Active users").waitFor();
    await page.locator(".u-wrap canvas").first().waitFor();
    const cards = await page.locator(".cards").textContent();
    expect(cards).toMatch(/Tool calls/);
    await expect.poll(() => page.locator("main").textContent()).toContain("search");
    await screenshot(page, "02-overview");

    // The time range is a link away and kept in the URL when moving between pages.
    await page.getByRole("link", { name: "7d" }).click();
    await expect.poll(() => page.url()).toContain("range=7d");
    await page.getByText("Last 7 days").waitFor();
    await page.getByRole("link", { name: "Tools", exact: true }).click();
    await expect.poll(() => page.url()).toMatch(/\/tools\?range=7d/);
    await page.getByRole("button", { name: "Custom" }).click();
    await page.getByLabel("From").waitFor();
    await page.getByRole("button", { name: "Apply" }).click();
    await expect.poll(() => page.url()).toContain("range=custom");
  });

  it("lists identified users with their names, and script in a name is plain text", async () => {
    await page.goto(hash(`/p/${projectId}/users`));
    await page.getByRole("link", { name: "Ada Lovelace" }).waitFor();
    await page.getByRole("link", { name: "Bob Stateless" }).waitFor();
    await page.getByRole("link", { name: XSS_NAME, exact: true }).waitFor();
    expect(await page.locator("img[src='x']").count()).toBe(0);
    expect(await xssRan()).toBeUndefined();
    expect(await page.getByText(/anonymous sessions? in this range/).textContent()).toMatch(/^1 anonymous/);
    // The Clients column lists the clients each user was seen with, newest first.
    const ada = page.locator("tbody tr", { has: page.getByRole("link", { name: "Ada Lovelace" }) });
    const adaClients = await ada.locator("td").last().textContent();
    expect(adaClients).toContain("cursor 1.7.2");
    expect(adaClients).toContain("claude-ai 0.1.0");
    await screenshot(page, "03-users");

    // Sorting is server-side and lives in the URL.
    await page.getByRole("link", { name: "Tool calls" }).click();
    await expect.poll(() => page.url()).toContain("sort=toolCalls");
    await expect
      .poll(() => page.locator("tbody tr").first().locator("td").first().textContent())
      .toBe("Ada Lovelace");

    await page.getByRole("searchbox").fill("bob");
    await expect.poll(() => page.locator("tbody tr").count()).toBe(1);
    await expect.poll(() => page.url()).toContain("search=bob");
  });

  it("shows a user's profile with identity, data and sessions", async () => {
    await page.goto(hash(`/p/${projectId}/users/${ADA.userId}`));
    await page.getByRole("heading", { name: "Ada Lovelace" }).waitFor();
    const identity = await page.locator("dl.kv").textContent();
    expect(identity).toContain("plan");
    expect(identity).toContain("pro");
    expect(identity).toContain("analytics");
    const sessions = page.locator("section", { has: page.getByRole("heading", { name: "Sessions" }) });
    await expect.poll(() => sessions.locator("tbody tr").count()).toBe(2);
    expect(await sessions.textContent()).toContain("cursor");
    await screenshot(page, "04-user-profile");

    // A recent error links to the replay of the session it happened in.
    const errors = page.locator("section", { has: page.getByRole("heading", { name: "Recent errors" }) });
    await errors.getByRole("link", { name: "replay session" }).first().click();
    await expect.poll(() => page.url()).toMatch(/\/sessions\/[^/?]+/);
    await page.getByText(ERROR_MESSAGE).first().waitFor();

    await page.goto(hash(`/p/${projectId}/users/u_xss`));
    await page.getByRole("heading", { name: XSS_NAME }).waitFor();
    expect(await page.locator("dl.kv").textContent()).toContain(XSS_SCRIPT);
    expect(await xssRan()).toBeUndefined();
    await screenshot(page, "05-user-profile-xss");
  });

  it("replays a session in order, with intents, errors and the identify marker", async () => {
    const s = await api<{ items: SessionRow[] }>(
      collector,
      `/projects/${projectId}/sessions?userId=${ADA.userId}`,
    );
    const withError = s.items.find((x) => x.errors > 0);
    expect(withError).toBeDefined();
    await page.goto(hash(`/p/${projectId}/sessions/${encodeURIComponent(withError?.sessionId ?? "")}`));
    await page.locator(".timeline").waitFor();
    const types = await page
      .locator(".tl-item")
      .evaluateAll((els) => els.map((e) => e.getAttribute("data-event-type")));
    const calls = types.filter((t) => t === "mcp:tools/call");
    expect(calls.length).toBeGreaterThanOrEqual(3);
    expect(types.indexOf("mcp:tools/list")).toBeLessThan(types.indexOf("mcp:tools/call"));
    const offsets = await page.locator(".tl-offset").allInnerTexts();
    const seconds = offsets.map((o) =>
      Number(
        o
          .replace(/[^\d.:]/g, "")
          .split(":")
          .pop(),
      ),
    );
    expect([...seconds].sort((a, b) => a - b)).toEqual(seconds);

    const text = (await page.locator(".timeline").textContent()) ?? "";
    expect(text).toContain(INTENT_SEARCH);
    expect(text.indexOf("search")).toBeLessThan(text.indexOf("checkout"));
    expect(text).toContain(ERROR_MESSAGE);
    expect(text).toMatch(/User became known: Ada Lovelace/);
    expect(await page.locator(".tl-item.error").count()).toBeGreaterThanOrEqual(1);

    // Arguments and result open as pretty JSON.
    await page.locator(".tl-item", { hasText: INTENT_SEARCH }).locator(".tl-head").click();
    await page.getByText('"running shoes"').waitFor();
    await screenshot(page, "06-session-replay");
  });

  it("shows arguments with script as plain text in the replay", async () => {
    const s = await api<{ items: SessionRow[] }>(collector, `/projects/${projectId}/sessions?userId=u_xss`);
    await page.goto(hash(`/p/${projectId}/sessions/${encodeURIComponent(s.items[0]?.sessionId ?? "")}`));
    await page.getByRole("button", { name: "Expand all" }).click();
    await page.getByText(JSON.stringify(XSS_SCRIPT)).first().waitFor();
    expect(await page.locator(".timeline").textContent()).toContain(XSS_NAME);
    expect(await page.locator(".timeline script, .timeline img").count()).toBe(0);
    expect(await xssRan()).toBeUndefined();
    await screenshot(page, "07-session-replay-xss");
  });

  it("shows per-tool counts and links to sessions and errors", async () => {
    await page.goto(hash(`/p/${projectId}/tools`));
    const row = page.locator("tbody tr", { has: page.getByText("search", { exact: true }) });
    await row.waitFor();
    const cells = await row.locator("td").allInnerTexts();
    // search: Ada 2 + Mallory 1 + anonymous 1 + Bob 2 = 6 calls; 3 identified users.
    expect(cells[1]).toBe("6");
    expect(cells[2]).toBe("3");
    const checkout = page.locator("tbody tr", { has: page.getByText("checkout", { exact: true }) });
    expect(await checkout.locator("td").nth(3).textContent()).toBe("100%");
    await screenshot(page, "08-tools");
    await checkout.getByRole("link", { name: "errors" }).click();
    await page.getByText(ERROR_MESSAGE).first().waitFor();
    // Filtered by the server (tool=checkout): every group shown is checkout's.
    expect(page.url()).toContain("tool=checkout");
    const tools = await page.locator(".tl-tool").allTextContents();
    expect(tools.length).toBeGreaterThan(0);
    expect(new Set(tools)).toEqual(new Set(["checkout"]));
    await screenshot(page, "09-errors");
  });

  it("filters sessions, including stateless and anonymous ones", async () => {
    await page.goto(hash(`/p/${projectId}/sessions?stateless=true`));
    await expect.poll(() => page.locator("tbody tr").count()).toBe(1);
    expect(await page.locator("tbody").textContent()).toContain(BOB.userName);
    await page.goto(hash(`/p/${projectId}/sessions?anonymous=true`));
    await expect.poll(() => page.locator("tbody").textContent()).toContain("anonymous");
    await page.goto(hash(`/p/${projectId}/sessions`));
    await expect.poll(() => page.locator("tbody tr").count()).toBe(5);
    await screenshot(page, "10-sessions");
  });

  it("shows clients and intents, including missing-tool reports", async () => {
    await page.goto(hash(`/p/${projectId}/clients`));
    await page.getByRole("link", { name: "claude-code" }).waitFor();
    await screenshot(page, "11-clients");
    await page.goto(hash(`/p/${projectId}/intents`));
    await page.getByText(INTENT_SEARCH).waitFor();
    await page.getByText(MISSING_TOOL_CONTEXT).waitFor();
    expect(await xssRan()).toBeUndefined();
    await screenshot(page, "12-intents");
  });

  it("refreshes a replay live, keeping open rows and their DOM", async () => {
    const sessionsOfAda = () =>
      api<{ items: SessionRow[] }>(collector, `/projects/${projectId}/sessions?userId=${ADA.userId}`);
    const before = new Set((await sessionsOfAda()).items.map((x) => x.sessionId));
    const live = await openLiveSession(projectId, collector.url);
    try {
      await live.call("first live query");
      const session = await waitFor("the live session", async () =>
        (await sessionsOfAda()).items.find((x) => !before.has(x.sessionId)),
      );
      await page.goto(hash(`/p/${projectId}/sessions/${encodeURIComponent(session.sessionId)}`));
      const first = page.locator(".tl-item", { hasText: "first live query" });
      await first.locator(".tl-head").click();
      await page.getByText('"first live query"').waitFor();
      await first.evaluate((el) => {
        (el as HTMLElement & { __marker?: number }).__marker = 1;
      });
      await live.call("second live query");
      await page.locator(".tl-item", { hasText: "second live query" }).waitFor({ timeout: 15_000 });
      expect(await first.evaluate((el) => (el as HTMLElement & { __marker?: number }).__marker)).toBe(1);
      expect(await first.locator(".tl-head").getAttribute("aria-expanded")).toBe("true");
    } finally {
      await live.close();
    }
  });

  it("switches projects, and a fresh project teaches how to send events", async () => {
    const projects = await api<{ items: Project[] }>(collector, "/projects");
    const second = projects.items.find((p) => p.name === "Second project");
    expect(second).toBeDefined();
    await page.goto(hash(`/p/${projectId}/users`));
    await page.getByLabel("Project").selectOption(second?.id ?? "");
    // The switcher stays on the same page, in the other project.
    await page.getByText(/No identified users in this range/).waitFor();
    expect(page.url()).toContain(`/p/${second?.id}/users`);
    expect(await page.getByRole("link", { name: "Ada Lovelace" }).count()).toBe(0);
    await page.getByRole("link", { name: "Overview" }).click();
    await page.getByRole("heading", { name: /No events yet/ }).waitFor();
    // One labelled block per SDK: its install commands and its code, for this project and collector.
    const block = (label: string) => page.getByRole("region", { name: label, exact: true });
    const expected = {
      TypeScript: {
        install: "npm install /path/to/mcpsight/packages/sdk",
        code: [`import { track } from "mcpsight";`, `track(server, "${second?.id}"`],
      },
      Python: {
        install: "pip install /path/to/mcpsight/sdks/python",
        code: ["import mcpsight", `mcpsight.track(server, "${second?.id}", options)`],
      },
      Go: {
        install:
          "go mod edit -replace github.com/mcpsight/mcpsight/sdks/go=/path/to/mcpsight/sdks/go\ngo mod tidy",
        code: [
          `import "github.com/mcpsight/mcpsight/sdks/go/officialsdk"`,
          `officialsdk.Track(server, "${second?.id}", options)`,
        ],
      },
    };
    for (const [label, { install, code }] of Object.entries(expected)) {
      await block(label).getByRole("heading", { name: label }).waitFor();
      expect(await block(label).locator("pre.install").textContent()).toBe(install);
      const text = (await block(label).locator("pre.code").textContent()) ?? "";
      for (const line of code) expect(text, label).toContain(line);
      expect(text, label).toContain(collector.url);
    }
    expect(await page.locator(".snippet", { hasText: "identify:" }).count()).toBe(1);
    await screenshot(page, "13-fresh-project");
  });

  it("shows odd data on every page without an error or a page wider than the window", async () => {
    createProject(collector, "Odd data");
    const projects = await api<{ items: Project[] }>(collector, "/projects");
    const odd = projects.items.find((p) => p.name === "Odd data")?.id as string;
    const sent = await fetch(`${collector.url}/v1/batch`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(oddBatch(odd)),
    });
    expect(sent.status).toBe(200);
    await derived(collector);
    // The dashboard reads the project list when it loads: load it again to see the new project.
    await page.goto(hash(`/p/${odd}/overview`));
    await page.reload();
    /** How far the page is wider than the window (a screenshot shows where, when it is). */
    const overflow = async (name: string) => {
      const px = await page.evaluate(
        () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
      );
      if (px > 0)
        await page.screenshot({ path: join(ARTIFACTS, `odd-data-overflow-${name}.png`) }).catch(() => {});
      return px;
    };
    for (const width of [1280, 420]) {
      await page.setViewportSize({ width, height: 860 });
      // Each page, once it shows the odd data.
      const pages: [string, string][] = [
        ["overview", ODD.tool],
        ["users", ODD.userName],
        ["sessions", "odd-session-2"],
        ["tools", ODD.tool],
        ["clients", ODD.client],
        ["errors", "Failure:"],
        ["intents", "Intent "],
      ];
      for (const [path, shows] of pages) {
        await page.goto(hash(`/p/${odd}/${path}`));
        await expect.poll(() => page.locator("main").textContent(), { message: path }).toContain(shows);
        expect(await overflow(`${path}-${width}`), `${path} at ${width} px`).toBeLessThanOrEqual(0);
      }
      // A user and a session with ids hundreds of characters long open from their lists.
      await page.goto(hash(`/p/${odd}/users`));
      await page.getByRole("link", { name: ODD.userName }).click();
      await page.getByText(ODD.userId).first().waitFor();
      expect(await overflow(`profile-${width}`), `profile at ${width} px`).toBeLessThanOrEqual(0);
      await page.goto(hash(`/p/${odd}/sessions/${encodeURIComponent(ODD.sessionId)}`));
      await page.getByText(ODD.tool).first().waitFor();
      expect(await overflow(`replay-${width}`), `replay at ${width} px`).toBeLessThanOrEqual(0);
      await screenshot(page, `16-odd-data-${width}`);
    }
    await page.setViewportSize({ width: 1280, height: 860 });
    expect(pageErrors).toEqual([]);
  });

  it("reads well in dark mode and on a narrow window", async () => {
    await page.emulateMedia({ colorScheme: "dark" });
    await page.goto(hash(`/p/${projectId}/overview`));
    await page.locator(".u-wrap canvas").first().waitFor();
    await screenshot(page, "14-overview-dark");
    await page.setViewportSize({ width: 420, height: 900 });
    await page.goto(hash(`/p/${projectId}/users`));
    await page.getByRole("link", { name: "Ada Lovelace" }).waitFor();
    await screenshot(page, "15-users-narrow-dark");
    await page.emulateMedia({ colorScheme: "light" });
    await page.setViewportSize({ width: 1280, height: 860 });
  });

  it("is keyboard navigable", async () => {
    await page.goto(hash(`/p/${projectId}/overview`));
    await page.reload();
    await page.getByRole("heading", { name: "Overview" }).waitFor();
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Skip to content");
    await page.keyboard.press("Enter");
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("main");
    // Tab order then reaches the links on the page; Enter on a focused link navigates.
    await page.getByRole("link", { name: "Users", exact: true }).focus();
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "Users" }).waitFor();
  });

  it("logs out", async () => {
    await page.getByRole("button", { name: "Log out" }).click();
    await page.getByRole("button", { name: "Sign in" }).waitFor();
    const me = await page.evaluate(async () => (await fetch("api/v1/auth/me")).status);
    expect(me).toBe(401);
    expect(pageErrors).toEqual([]);
  });
});
