import { describe, expect, it } from "vitest";
import { connectHttp } from "../demo/clients.js";
import { mustGetAccount } from "../shared/users.js";
import {
  type Page,
  resultText,
  type SessionRow,
  type UsersPage,
  useHttpExample,
  waitFor,
} from "./helpers.js";

const fixture = useHttpExample("api-key");

describe("api-key example (stateless Streamable HTTP, key in a header, identifyCache)", () => {
  it("identifies every request by its X-API-Key and records stateless sessions", async () => {
    for (const id of ["u_linus", "u_barbara"]) {
      const account = mustGetAccount(id);
      const { client, close } = await connectHttp(
        fixture.example.url,
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
    const anonymous = await connectHttp(fixture.example.url, { name: "api-key-none", version: "1.0.0" });
    await anonymous.client.callTool({
      name: "search_notes",
      arguments: { query: "style", context: "testing" },
    });
    await anonymous.close();
    // The example's events are sent when it stops (or within a second while it runs).
    await fixture.example.stop();

    const users = await waitFor(async () => {
      const page = await fixture.collector.get<UsersPage>("/users");
      return page.items.length === 2 && page.items.every((u) => u.toolCalls === 3) ? page : undefined;
    }, "both users with their three calls");
    expect(users.items.find((u) => u.userId === "u_linus")).toMatchObject({
      userName: "Linus Torvalds",
      userData: { organisation: "Kernel Folks", plan: "team" },
    });

    const { items } = await fixture.collector.get<Page<SessionRow>>("/sessions?stateless=true");
    const linus = items.filter((s) => s.userId === "u_linus");
    expect(linus.length).toBeGreaterThanOrEqual(1);
    expect(linus.every((s) => s.stateless && s.clientName === "api-key-u_linus")).toBe(true);
    expect(items.some((s) => s.userId === null && s.clientName === "api-key-none")).toBe(true);
    // No key ever reaches the fixture.collector.
    expect(JSON.stringify(await fixture.collector.get("/sessions"))).not.toContain("key_linus");
    expect(fixture.example.stderr()).not.toContain("warn");
  });
});
