import { describe, expect, it } from "vitest";
import { BACKENDS } from "./backends.js";
import { startProcess, stopProcess } from "./collector-process.js";
import { ADMIN_TOKEN, api, removeDir, tempDir } from "./helpers.js";

describe.each(BACKENDS)("first start ($name)", (backend) => {
  it("survives a kill -9 in the middle of first-start setup: the next start sets up", {
    timeout: 60_000,
  }, async () => {
    const dir = tempDir();
    const database = await backend.create();
    try {
      // MCPSIGHT_TEST_KILL_AT: the process SIGKILLs itself once first-start setup has begun.
      const killed = startProcess(dir, database.url, { MCPSIGHT_TEST_KILL_AT: "first-start" });
      await expect(killed).rejects.toThrow(/collector exited \(SIGKILL\)/);

      const second = await startProcess(dir, database.url);
      expect(second.output()).toContain("First start: created project");
      // Where the data is: the data directory, or the PostgreSQL database without its password.
      if (database.url) {
        const url = new URL(database.url);
        expect(second.output()).toContain(
          `Data: PostgreSQL at ${url.host}${url.pathname} (schema ${url.searchParams.get("schema")})`,
        );
        expect(second.output()).not.toContain(`:${url.password}@`);
      } else expect(second.output()).toContain(`Data: ${dir}`);
      const projects = await api<{ items: { id: string }[] }>(second.url, "/api/v1/projects", {
        token: ADMIN_TOKEN,
      });
      expect(projects.status).toBe(200);
      expect(projects.body.items).toHaveLength(1);
      // How to instrument a server, in each SDK's language, for the project just created.
      const id = projects.body.items[0]?.id;
      for (const line of [
        `TypeScript: npm install /path/to/mcpsight/packages/sdk`,
        `track(server, "${id}", { apiBaseUrl: "${second.url}" });`,
        `Python: pip install /path/to/mcpsight/sdks/python`,
        `mcpsight.track(server, "${id}", options)`,
        `Go: go mod edit -replace github.com/mcpsight/mcpsight/sdks/go=/path/to/mcpsight/sdks/go`,
        `officialsdk.Track(server, "${id}", options)`,
      ])
        expect(second.output()).toContain(line);
      await stopProcess(second);

      const third = await startProcess(dir, database.url);
      expect(third.output()).not.toContain("First start");
      const again = await api<{ items: { id: string }[] }>(third.url, "/api/v1/projects", {
        token: ADMIN_TOKEN,
      });
      expect(again.body.items.map((p) => p.id)).toEqual(projects.body.items.map((p) => p.id));
      await stopProcess(third);
    } finally {
      await database.drop();
      removeDir(dir);
    }
  });
});
