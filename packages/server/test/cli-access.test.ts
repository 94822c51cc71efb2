import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../src/server.js";
import { api, removeDir, spawnCli, startCollector, tempDir } from "./helpers.js";

/** Runs the CLI to its end; `input` is piped to its standard input. */
async function cli(args: string[], input = "") {
  const run = spawnCli(args, { input });
  const code = await run.closed;
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

describe("mcpsight member, token and account", () => {
  const dir = tempDir();
  let server: RunningServer & { projectId: string };
  const at = () => ["--data-dir", dir];
  const login = (username: string, password: string) =>
    api(server.url, "/api/v1/auth/login", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username, password }),
    });

  // The collector runs on the same SQLite file the commands change, as in production.
  beforeAll(async () => {
    server = await startCollector(dir);
  });
  afterAll(async () => {
    await server.close();
    removeDir(dir);
  });

  it("explains each command with --help", async () => {
    for (const [command, shows] of [
      ["member", /mcpsight member add <projectId> <username> \[--role viewer\|admin\]/],
      ["token", /mcpsight token create <projectId> <name>/],
      ["account", /mcpsight account password <username>/],
    ] as const) {
      const { code, stdout } = await cli([command, "--help"]);
      expect(code).toBe(0);
      expect(stdout).toMatch(shows);
    }
    expect((await cli(["--help"])).stdout).toMatch(/member add\|list\|remove/);
  });

  it("adds a member with a generated password, changes its role, lists and removes it", async () => {
    const p = server.projectId;
    const added = await cli(["member", "add", p, "vic", ...at()]);
    expect(added.code).toBe(0);
    const password = added.stdout.match(/password \(shown only now\): (\S+)/)?.[1] ?? "";
    expect(password).not.toBe("");
    const signedIn = await login("vic", password);
    expect(signedIn.status).toBe(200);
    const cookie = signedIn.headers.get("set-cookie")?.split(";")[0] ?? "";
    const projects = await api<{ items: { id: string; access: string }[] }>(server.url, "/api/v1/projects", {
      headers: { cookie },
    });
    expect(projects.body.items.map((x) => [x.id, x.access])).toEqual([[p, "viewer"]]);

    const promoted = await cli(["member", "add", p, "vic", "--role", "admin", ...at()]);
    expect(promoted.stdout).toMatch(/vic is now an admin/);
    expect(promoted.stdout).not.toMatch(/password/);
    expect((await cli(["member", "list", p, ...at()])).stdout).toMatch(/^vic\tadmin$/m);
    expect((await cli(["member", "remove", p, "vic", ...at()])).code).toBe(0);
    expect((await api(server.url, `/api/v1/projects/${p}/users`, { headers: { cookie } })).status).toBe(404);
    const again = await cli(["member", "remove", p, "vic", ...at()]);
    expect(again).toMatchObject({ code: 1, stderr: expect.stringMatching(/"vic" is not a member/) });
  });

  it("refuses an unknown project or role, saying what to do", async () => {
    const unknown = await cli(["member", "add", "proj_nope", "vic", ...at()]);
    expect(unknown).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/does not exist; `mcpsight project list`/),
    });
    const role = await cli(["member", "add", server.projectId, "vic", "--role", "owner", ...at()]);
    expect(role).toMatchObject({ code: 2, stderr: expect.stringMatching(/--role must be viewer or admin/) });
    const name = await cli(["member", "add", server.projectId, "two words", ...at()]);
    expect(name).toMatchObject({ code: 1, stderr: expect.stringMatching(/not a valid username/) });
  });

  it("creates a project token that reads the project, lists it and revokes it", async () => {
    const p = server.projectId;
    const created = await cli(["token", "create", p, "nightly", "report", ...at()]);
    const secret = created.stdout.match(/mpt_\S+/)?.[0] ?? "";
    const id = created.stdout.match(/tok_\w+/)?.[0] ?? "";
    expect(secret).not.toBe("");
    expect((await api(server.url, `/api/v1/projects/${p}/overview`, { token: secret })).status).toBe(200);
    const listed = await cli(["token", "list", p, ...at()]);
    expect(listed.stdout).toMatch(new RegExp(`^${id}\\tnightly report\\tcreated .* by the CLI$`, "m"));
    expect(listed.stdout).not.toContain(secret);
    expect((await cli(["token", "revoke", p, id, ...at()])).code).toBe(0);
    expect((await api(server.url, `/api/v1/projects/${p}/overview`, { token: secret })).status).toBe(401);
  });

  it("sets a password from standard input and ends the account's logins", async () => {
    const added = await cli(["member", "add", server.projectId, "pat", ...at()]);
    const first = added.stdout.match(/password \(shown only now\): (\S+)/)?.[1] ?? "";
    const cookie = (await login("pat", first)).headers.get("set-cookie")?.split(";")[0] ?? "";
    expect((await api(server.url, "/api/v1/auth/me", { headers: { cookie } })).status).toBe(200);
    const changed = await cli(["account", "password", "pat", ...at()], "piped new password\n");
    expect(changed.code).toBe(0);
    expect(changed.stdout).not.toContain("piped new password");
    expect((await api(server.url, "/api/v1/auth/me", { headers: { cookie } })).status).toBe(401);
    expect((await login("pat", first)).status).toBe(401);
    expect((await login("pat", "piped new password")).status).toBe(200);
    const short = await cli(["account", "password", "pat", ...at()], "short\n");
    expect(short).toMatchObject({ code: 1, stderr: expect.stringMatching(/at least 8 characters/) });
    // Nothing on a standard input that is no terminal (cron, `docker exec` without -i).
    const none = await cli(["account", "password", "pat", ...at()], "");
    expect(none).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/read no password: standard input is not a terminal.*Pipe one in/),
    });
    expect(none.stderr).not.toMatch(/at least 8/);
    expect((await login("pat", "piped new password")).status).toBe(200);
    expect((await cli(["account", "list", ...at()])).stdout).toMatch(/^admin\tadmin\tevery project$/m);
  });
});
