import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectHttp } from "../demo/clients.js";
import { type HttpExampleProcess, startHttpExample } from "../demo/launch.js";
import { mustGetAccount } from "../shared/users.js";
import {
  type Page,
  resultText,
  type SessionRow,
  startCollector,
  type TestCollector,
  type UsersPage,
  waitFor,
} from "./helpers.js";

let collector: TestCollector;
let example: HttpExampleProcess;
beforeAll(async () => {
  collector = await startCollector();
  example = await startHttpExample("api-key", collector);
});
afterAll(async () => {
  await example?.stop();
  await collector?.close();
});

describe("api-key example (stateless Streamable HTTP, key in a header, identifyCache)", () => {
  it("identifies every request by its X-API-Key and records stateless sessions", async () => {
    for (const id of ["u_linus", "u_barbara"]) {
      const account = mustGetAccount(id);
      const { client, close } = await connectHttp(
        example.url,
        { name: `api-key-${id}`, version: "1.0.0" },
        { "x-api-key": account.apiKey },
      );
      for (const query of ["release", "rota", "onboarding"]) {
        const result = await client.callTool({
          name: "search_notes",
          arguments: { query, context: "testing" },
        });
        expect(resultText(result)).toMatch(/#\d/);
      }
      await close();
    }
    const anonymous = await connectHttp(example.url, { name: "api-key-none", version: "1.0.0" });
    await anonymous.client.callTool({
      name: "search_notes",
      arguments: { query: "style", context: "testing" },
    });
    await anonymous.close();
    // The example's events are sent when it stops (or within a second while it runs).
    await example.stop();

    const users = await waitFor(async () => {
      const page = await collector.get<UsersPage>("/users");
      return page.items.length === 2 && page.items.every((u) => u.toolCalls === 3) ? page : undefined;
    }, "both users with their three calls");
    expect(users.items.find((u) => u.userId === "u_linus")).toMatchObject({
      userName: "Linus Torvalds",
      userData: { organisation: "Kernel Folks", plan: "team" },
    });

    const { items } = await collector.get<Page<SessionRow>>("/sessions?stateless=true");
    const linus = items.filter((s) => s.userId === "u_linus");
    expect(linus.length).toBeGreaterThanOrEqual(1);
    expect(linus.every((s) => s.stateless && s.clientName === "api-key-u_linus")).toBe(true);
    expect(items.some((s) => s.userId === null && s.clientName === "api-key-none")).toBe(true);
    // No key ever reaches the collector.
    expect(JSON.stringify(await collector.get("/sessions"))).not.toContain("key_linus");
    expect(example.stderr()).not.toContain("warn");
  });
});
