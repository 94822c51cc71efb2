// How `mcpsight start` and `mcpsight project create` take their options: from flags or MCPSIGHT_*
// variables (an empty one counts as unset), refusing a bad value by naming where it came from,
// and printing URLs clients can send to.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  ADMIN_PASSWORD,
  ADMIN_TOKEN,
  makeEvent,
  postBatch,
  removeDir,
  spawnCli,
  tempDir,
} from "./helpers.js";

// Whatever the environment running the tests sets, the collector starts from these.
const BASE_ENV = {
  MCPSIGHT_DATABASE_URL: "",
  MCPSIGHT_PUBLIC_URL: "",
  MCPSIGHT_PORT: "",
  MCPSIGHT_RETENTION_DAYS: "",
  MCPSIGHT_LOG_LEVEL: "",
  MCPSIGHT_ADMIN_PASSWORD: ADMIN_PASSWORD,
  MCPSIGHT_ADMIN_TOKEN: ADMIN_TOKEN,
};

/** Runs the CLI to its end; stops it after 10 s (a collector that started when it should not have). */
async function cli(args: string[], env: Record<string, string> = {}) {
  const run = spawnCli(args, { env: { ...BASE_ENV, ...env } });
  const timer = setTimeout(() => run.child.kill("SIGTERM"), 10_000);
  const code = await run.closed;
  clearTimeout(timer);
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

/** Starts a collector, hands its banner to `check`, then stops it. */
async function withCollector(
  args: string[],
  env: Record<string, string>,
  check: (banner: string) => Promise<void>,
) {
  const run = spawnCli(["start", "--log-level", "warn", ...args], { env: { ...BASE_ENV, ...env } });
  try {
    await run.waitFor(/Data: .*\n/);
    await check(run.stdout());
  } finally {
    run.child.kill("SIGTERM");
    await run.closed;
  }
}

describe("mcpsight start's options", () => {
  const dir = tempDir();
  afterAll(() => removeDir(dir));
  const data = (name: string) => ["--data-dir", join(dir, name)];

  it("refuses a retention of 0 days, naming the flag or the variable", async () => {
    expect(await cli(["start", "--port", "0", "--retention-days", "0", ...data("r0")])).toEqual({
      code: 2,
      stdout: "",
      stderr: `mcpsight: --retention-days must be at least 1 (days of events to keep), got "0"\n`,
    });
    const fromEnv = await cli(["start", "--port", "0", ...data("r0")], { MCPSIGHT_RETENTION_DAYS: "0" });
    expect(fromEnv.code).toBe(2);
    expect(fromEnv.stderr).toBe(
      `mcpsight: MCPSIGHT_RETENTION_DAYS must be at least 1 (days of events to keep), got "0"\n`,
    );
  });

  it("takes an empty MCPSIGHT_* variable as unset: the default retention keeps new events", async () => {
    await withCollector(
      ["--port", "0", ...data("empty")],
      { MCPSIGHT_RETENTION_DAYS: " " },
      async (banner) => {
        const url = banner.match(/listening on (http:\/\/\S+)/)?.[1] ?? "";
        const projectId = banner.match(/\((proj_\w+)\)/)?.[1] ?? "";
        const hourAgo = new Date(Date.now() - 3_600_000).toISOString();
        const stored = await postBatch(url, [makeEvent(projectId, { timestamp: hourAgo })]);
        expect(stored.body).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
      },
    );
  });

  it("refuses a port, log level or public URL it cannot use, saying what it takes", async () => {
    for (const [args, env, message] of [
      [
        ["--port", "99999"],
        {},
        `--port must be from 0 to 65535 (the collector's port; 0 = any free port), got "99999"`,
      ],
      [
        ["--port", "0"],
        { MCPSIGHT_LOG_LEVEL: "loud" },
        `MCPSIGHT_LOG_LEVEL must be fatal, error, warn, info, debug, trace or silent (pino's levels), got "loud"`,
      ],
      [
        ["--port", "0", "--public-url", "notaurl"],
        {},
        `--public-url must be an absolute http:// or https:// URL, such as https://analytics.example.com or http://203.0.113.7:4747, got "notaurl"`,
      ],
    ] as const) {
      const refused = await cli(["start", ...args, ...data("bad")], env);
      expect(refused, args.join(" ")).toEqual({ code: 2, stdout: "", stderr: `mcpsight: ${message}\n` });
    }
  });

  it("says in one line why it cannot listen, open the data directory or use the database URL", async () => {
    const host = await cli(["start", "--host", "999.1.1.1", "--port", "0", ...data("host")]);
    expect(host.code).toBe(1);
    expect(host.stderr).toMatch(
      /^mcpsight: could not listen on 999\.1\.1\.1 port 0: [^\n]*--host <addr>[^\n]*\n$/,
    );

    writeFileSync(join(dir, "file"), "");
    const notDir = await cli(["start", "--port", "0", "--data-dir", join(dir, "file", "data")]);
    expect(notDir.code).toBe(1);
    expect(notDir.stderr).toMatch(/^mcpsight: ENOTDIR: not a directory, [^\n]*\n$/);

    const mysql = await cli(["start", "--port", "0", "--database-url", "mysql://x", ...data("mysql")]);
    expect(mysql.code).toBe(1);
    expect(mysql.stderr).toMatch(/^mcpsight: Unsupported database URL scheme in "mysql:…"; [^\n]*\n$/);
  });

  it("shows the public URL in the Dashboard line and the snippets, whatever the host", async () => {
    const publicUrl = "https://analytics.example.com";
    await withCollector(
      ["--host", "0.0.0.0", "--port", "0", "--public-url", publicUrl, ...data("public")],
      {},
      async (banner) => {
        expect(banner).toMatch(/listening on http:\/\/0\.0\.0\.0:\d+ \(all interfaces\)\n/);
        expect(banner).toContain(`Dashboard: ${publicUrl}/\n`);
        expect(banner).toContain(`apiBaseUrl: "${publicUrl}"`);
        // Only the listening line names the wildcard address.
        expect(banner.match(/0\.0\.0\.0/g)).toHaveLength(1);
      },
    );
  });

  it("shows loopback for a wildcard host without a public URL, and the SQLite file of a sqlite: URL", async () => {
    const file = join(dir, "wildcard", "data.db");
    await withCollector(
      ["--host", "0.0.0.0", "--port", "0", "--database-url", `sqlite:${file}`],
      {},
      async (banner) => {
        const port = banner.match(/listening on http:\/\/0\.0\.0\.0:(\d+)/)?.[1];
        expect(banner).toContain(`Dashboard: http://127.0.0.1:${port}/\n`);
        expect(banner).toContain(`apiBaseUrl: "http://127.0.0.1:${port}"`);
        expect(banner).toContain(`Data: SQLite at ${file}\n`);
      },
    );
  });
});

describe("mcpsight project create", () => {
  const dir = tempDir();
  afterAll(() => removeDir(dir));
  const create = (args: string[], env: Record<string, string> = {}) =>
    cli(["project", "create", "Snippets", "--data-dir", dir, ...args], env);

  it("prints snippets for --port or --public-url, and says where they send", async () => {
    const byPort = await create(["--port", "5000"]);
    expect(byPort.code).toBe(0);
    expect(byPort.stdout).toContain(`apiBaseUrl: "http://127.0.0.1:5000"`);
    expect(byPort.stdout).toMatch(
      /\nThe snippets send events to http:\/\/127\.0\.0\.1:5000; .*--public-url <url>/,
    );

    const byUrl = await create(["--public-url", "https://analytics.example.com/"]);
    expect(byUrl.stdout).toContain(`apiBaseUrl: "https://analytics.example.com"`);
    expect(byUrl.stdout).toContain("The snippets send events to https://analytics.example.com;");

    // An empty variable is unset: the default port, not an empty URL.
    const byDefault = await create([], { MCPSIGHT_PUBLIC_URL: "" });
    expect(byDefault.stdout).toContain(`apiBaseUrl: "http://127.0.0.1:4747"`);
  });

  it("refuses a port or public URL the snippets cannot use", async () => {
    expect(await create(["--port", "0"])).toMatchObject({
      code: 2,
      stderr: `mcpsight: --port must be from 1 to 65535 (the collector's port), got "0"\n`,
    });
    expect(await create([], { MCPSIGHT_PUBLIC_URL: "analytics.example.com" })).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(
        /^mcpsight: MCPSIGHT_PUBLIC_URL must be an absolute http:\/\/ or https:\/\/ URL/,
      ),
    });
  });
});
