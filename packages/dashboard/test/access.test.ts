/**
 * Access for a team, end to end: the built dashboard in Chromium against the real collector. An
 * admin adds a viewer and a read token on the Access page; the viewer reads but cannot manage,
 * and changes their password, which ends their other logins. Every page runs under the
 * collector's Content-Security-Policy without a violation.
 */

import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, screenshot, watchErrors } from "./support/browser";
import { api, createProject, type RunningCollector, startCollector } from "./support/collector";

let collector: RunningCollector;
let browser: Browser;
const contexts: BrowserContext[] = [];
const errors: string[][] = [];
let projectId: string;
let viewerPassword = "";
let tokenSecret = "";

/** A fresh browser context (its own cookies) with error and CSP watching. */
async function newPage(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  contexts.push(context);
  const page = await context.newPage();
  errors.push(await watchErrors(page));
  return page;
}

async function signIn(page: Page, username: string, password: string): Promise<void> {
  await page.goto(`${collector.url}/`);
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Overview" }).waitFor();
}

const hash = (path: string) => `${collector.url}/#${path}`;

/** Chromium logs a refused request as a console error: forget the one a test provoked on purpose. */
function forgetRefusal(seen: string[], status: number): void {
  const index = seen.findIndex((line) => line.includes(`status of ${status}`));
  expect(index, `a logged ${status}`).toBeGreaterThanOrEqual(0);
  seen.splice(index, 1);
}

describe("access for a team, in Chromium", () => {
  let admin: Page;

  beforeAll(async () => {
    collector = await startCollector();
    const projects = await api<{ items: { id: string }[] }>(collector, "/projects");
    projectId = projects.items[0]?.id ?? "";
    browser = await launchBrowser();
    admin = await newPage();
  });

  afterAll(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await collector?.stop();
  });

  it("reports a CSP violation when something breaks the policy (the watcher works)", async () => {
    const page = await newPage();
    const seen = errors.at(-1) as string[];
    await page.goto(`${collector.url}/`);
    await page.evaluate(() => {
      const style = document.createElement("style");
      style.textContent = "body { color: red }";
      document.head.append(style);
    });
    await expect.poll(() => seen.join("\n")).toMatch(/csp: style-src-elem blocked inline/);
    seen.length = 0;
  });

  it("lets an admin add a viewer, who gets a generated password", async () => {
    await signIn(admin, "admin", collector.password);
    await admin.getByRole("link", { name: "Access" }).click();
    await admin.getByRole("heading", { name: "Members" }).waitFor();
    await admin.getByLabel("Username").fill("vic");
    await admin.getByRole("button", { name: "Add member" }).click();
    const notice = admin.getByRole("status").filter({ hasText: "Created the account" });
    viewerPassword = (await notice.locator("code").textContent()) ?? "";
    expect(viewerPassword.length).toBeGreaterThanOrEqual(12);
    await admin.getByRole("cell", { name: "vic", exact: true }).waitFor();
    expect(await admin.getByLabel("Role of vic").inputValue()).toBe("viewer");
    await screenshot(admin, "access-01-members");
  });

  it("creates a read token that reads the project, and revokes it", async () => {
    await admin.getByLabel("Token name").fill("grafana");
    await admin.getByRole("button", { name: "Create token" }).click();
    tokenSecret = (await admin.locator("pre.secret").textContent()) ?? "";
    expect(tokenSecret).toMatch(/^mpt_/);
    const read = () =>
      fetch(`${collector.url}/api/v1/projects/${projectId}/overview`, {
        headers: { authorization: `Bearer ${tokenSecret}` },
      });
    expect((await read()).status).toBe(200);
    await admin.getByRole("cell", { name: "grafana", exact: true }).waitFor();
    await screenshot(admin, "access-02-tokens");
    admin.once("dialog", (dialog) => void dialog.accept());
    await admin.getByRole("button", { name: "Revoke grafana" }).click();
    await expect.poll(() => admin.getByText("No tokens yet.").count()).toBe(1);
    expect((await read()).status).toBe(401);
  });

  it("shows a viewer no Access page, and the API refuses a viewer's changes", async () => {
    const viewer = await newPage();
    await signIn(viewer, "vic", viewerPassword);
    expect(await viewer.getByRole("link", { name: "Access" }).count()).toBe(0);
    await viewer.goto(hash(`/p/${projectId}/access`));
    await viewer.getByText("You can read this project but not manage").waitFor();
    expect(await viewer.getByRole("button", { name: "Add member" }).count()).toBe(0);
    // Even sent from the dashboard's own origin with the viewer's cookie.
    const status = await viewer.evaluate(
      async (path) =>
        (
          await fetch(path, {
            method: "PUT",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ role: "admin" }),
          })
        ).status,
      `api/v1/projects/${projectId}/members/vic`,
    );
    expect(status).toBe(403);
    await expect.poll(() => (errors.at(-1) as string[]).length).toBe(1);
    forgetRefusal(errors.at(-1) as string[], 403);
  });

  it("changes a viewer's password: this login stays, the other one ends", async () => {
    const elsewhere = await newPage();
    await signIn(elsewhere, "vic", viewerPassword);
    const here = await newPage();
    await signIn(here, "vic", viewerPassword);
    await here.getByRole("link", { name: "vic" }).click();
    await here.getByRole("heading", { name: "Your account" }).waitFor();
    await here.getByLabel("Current password").fill("not the password");
    await here.getByLabel("New password (at least 8 characters)").fill("vic's new password");
    await here.getByLabel("Repeat the new password").fill("vic's new password");
    await here.getByRole("button", { name: "Change password" }).click();
    await here.getByRole("alert").filter({ hasText: "The current password is wrong" }).waitFor();
    forgetRefusal(errors.at(-1) as string[], 400);
    await here.getByLabel("Current password").fill(viewerPassword);
    await here.getByRole("button", { name: "Change password" }).click();
    await here.getByText("Every other login of this account has ended").waitFor();
    await screenshot(here, "access-03-password");

    await here.getByRole("link", { name: "mcpsight" }).click();
    await here.getByRole("heading", { name: "Overview" }).waitFor();
    await elsewhere.reload();
    await elsewhere.getByRole("button", { name: "Sign in" }).waitFor();
    await signIn(elsewhere, "vic", "vic's new password");
  }, 60_000);

  it("shows the account page without a blank project choice or a time range", async () => {
    createProject(collector, "Second project");
    await admin.goto(hash("/account"));
    await admin.reload();
    await admin.getByRole("heading", { name: "Your account" }).waitFor();
    const choice = admin.getByLabel("Project");
    await expect
      .poll(() => choice.evaluate((select: HTMLSelectElement) => select.selectedOptions[0]?.text))
      .toBe("Choose a project");
    expect(await admin.getByRole("navigation", { name: "Time range" }).count()).toBe(0);
    expect(await admin.getByLabel("Live").count()).toBe(0);
    await screenshot(admin, "access-04-account");
    await choice.selectOption({ label: "Second project" });
    await admin.getByRole("heading", { name: "Overview" }).waitFor();
    await admin.getByRole("navigation", { name: "Time range" }).waitFor();
  });

  it("ran every page without a console error or CSP violation", () => {
    expect(errors.flat()).toEqual([]);
  });
});
