import { describe, expect, it } from "vitest";
import { connectStdio } from "../demo/clients.js";
import { type Page, resultText, type SessionRow, useCollector, waitFor } from "./helpers.js";

const collector = useCollector();

/** A session of the error-handling example for `userId`: two calls, then its recorded row. */
async function sessionFor(userId: string): Promise<{ session: SessionRow; stderr: string; ms: number }> {
  const clientName = `errors-${userId}`;
  const { client, close, stderr } = await connectStdio("error-handling", collector, {
    name: clientName,
    version: "1.0.0",
  });
  /** Duration of the first call, the one identify runs beside. */
  let ms = 0;
  for (const query of ["style", "release"]) {
    const started = Date.now();
    const result = await client.callTool({
      name: "search_notes",
      arguments: { userId, query, context: "testing" },
    });
    ms ||= Date.now() - started;
    expect(result.isError).toBeFalsy();
    expect(resultText(result)).toMatch(/#\d/);
  }
  await close();
  const session = await waitFor(async () => {
    const { items } = await collector.get<Page<SessionRow>>(`/sessions?client=${clientName}`);
    return items.find((s) => s.toolCalls === 2);
  }, `the session of ${userId}`);
  return { session, stderr: stderr(), ms };
}

describe("error-handling example (identify that fails for some users)", () => {
  it("identifies users whose lookup works", async () => {
    const { session } = await sessionFor("u_ada");
    expect(session).toMatchObject({ userId: "u_ada", userName: "Ada Lovelace", errors: 0 });
  });

  it("records a session as anonymous when identify throws; the calls succeed and a warning is logged", async () => {
    const { session, stderr } = await sessionFor("u_alan");
    expect(session.userId).toBeNull();
    expect(session.errors).toBe(0);
    expect(stderr).toContain("user directory unavailable");
  });

  it("gives up on a slow identify after identifyTimeoutMs without delaying the calls", async () => {
    const { session, ms, stderr } = await sessionFor("u_slow");
    expect(session.userId).toBeNull();
    expect(stderr).toContain("timed out after 1000 ms");
    // Had the call waited for identify, it would have taken the full second.
    expect(ms).toBeLessThan(1000);
  });
});
